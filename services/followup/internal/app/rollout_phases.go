package app

import (
	"context"
	"errors"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/faults"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
	"github.com/closeloop/closeloop/workflows/policy"
)

// StaleWake is how old a wake-up a rollout owes must be before the
// reconciliation signals it in that rollout's stead: a rollout signals its
// own within a minute or two of storing them, unless it died.
const StaleWake = 30 * time.Minute

// rolloutStore stores a page of a rollout (workflow change
// "rollout-stores-first"): for each open follow-up the page selects, the
// deadline its workflow would re-compute (as recompute does) and, in the
// same transaction, the wake-up its workflow is owed (store.Wake). It
// signals nothing: rolloutWake does, once every page is stored. A chunk of
// rolloutStoreChunk is one transaction; a retried page finds the follow-ups
// an earlier attempt stored no longer behind, their wake-ups owed already.
func (s *FollowUps) rolloutStore(ctx context.Context, in *followupv1.RolloutPageInput, heartbeat func(any)) (*followupv1.RolloutPageResult, error) {
	ro := in.GetRollout()
	due, res, err := s.rolloutRows(ctx, in, false)
	if err != nil {
		return nil, err
	}
	rr := s.resolveRollout(ctx, ro, due)
	var unsignalled int64
	for rest, first := due, true; len(rest) > 0; first = false {
		n := min(rolloutStoreChunk, len(rest))
		stored, quiet, err := s.recomputeOwing(ctx, rr, rest[:n])
		if err != nil {
			return nil, err
		}
		res.Stored += stored
		unsignalled += quiet
		if first {
			faults.Point(AfterRolloutStore)
		}
		heartbeat(rest[n-1].ID)
		rest = rest[n:]
	}
	if o := s.RolloutPace; o != nil && len(due) > 0 {
		o.StorePage(res.Stored, unsignalled)
	}
	return res, nil
}

// recomputeOwing stores what recompute would for rows, in one transaction,
// with a wake-up owed for each open one: carried when the change was
// stored, bare (and due at once) when the workflow must resolve itself —
// none when the stored change brings nothing its workflow waits for
// sooner (domain.NeedsNoWake). It returns how many changes it stored and how many
// of those owe no wake-up.
func (s *FollowUps) recomputeOwing(ctx context.Context, rr *rolloutResolutions, rows []domain.FollowUp) (stored, quiet int64, err error) {
	ro := rr.ro
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	at := now()
	err = s.store.UpdateEachOwing(ctx, ids, func(f *domain.FollowUp) (store.Wake, bool, error) {
		if f.Closed() {
			return store.Wake{}, false, nil
		}
		before := *f
		w := store.Wake{FollowUpID: f.ID, Policy: ro.GetPolicy(), Calendar: ro.GetCalendar(), Version: ro.GetVersion(), At: &at, CreatedAt: at}
		if sig := s.rerun(rr, f); sig.GetRecorded() != nil {
			stored++
			if domain.NeedsNoWake(before, *f, at) {
				quiet++
				return store.Wake{}, false, nil
			}
			w.Carried, w.At = true, nextAction(*f)
		}
		return w, true, nil
	})
	return stored, quiet, err
}

// nextAction is when a follow-up's record says its workflow next acts: the
// next escalation step (or the due time, for a follow-up without a ladder);
// nil when nothing is left.
func nextAction(f domain.FollowUp) *time.Time {
	if f.NextStepAt != nil {
		t := *f.NextStepAt
		return &t
	}
	return nil
}

// rolloutWake signals a page of the wake-ups a rollout owes, the soonest
// next action first — for the reconciliation, also those a rollout left
// owed for longer than StaleWake — and removes each once its workflow is
// signalled (a follow-up closed since needs none; one whose workflow ended
// is closed as cancelled). Each signal carries a resolution made now and,
// for a carried wake-up, the change its record holds, so that the workflow
// records nothing when it computes the same. The signals keep pace with the
// workflows taking them in (pace). NextAfterId is set while more
// may be owed. Late counts the workflows signalled after their next action
// came due, that action having been in the future when the change was
// stored.
func (s *FollowUps) rolloutWake(ctx context.Context, in *followupv1.RolloutPageInput, heartbeat func(any)) (*followupv1.RolloutPageResult, error) {
	ro := in.GetRollout()
	limit := int(in.GetLimit())
	if limit <= 0 || limit > 5000 {
		limit = 500
	}
	sel := store.WakeSelect{Policy: ro.GetPolicy(), Calendar: ro.GetCalendar(), Version: ro.GetVersion()}
	if sel.Policy == "" && sel.Calendar == "" {
		stale := now().Add(-StaleWake)
		sel.StaleBefore = &stale
	}
	owed, err := s.store.Wakes(ctx, sel, limit)
	if err != nil {
		return nil, err
	}
	res := &followupv1.RolloutPageResult{}
	if len(owed) == limit {
		res.NextAfterId = owed[len(owed)-1].FollowUpID
	}
	var open []domain.FollowUp
	for _, w := range owed {
		if w.Open {
			open = append(open, w.FollowUp)
		}
	}
	rr := s.resolveRollout(ctx, ro, open)
	var done []store.Wake
	g := s.startSignalling(ctx, res, func(j signal, gone bool) {
		if w := j.wake; !gone && w.At != nil && w.At.After(w.CreatedAt) && now().After(*w.At) {
			res.Late++
		}
		done = append(done, j.wake)
	})
	pc := s.newPacer(in.GetPace())
	var closedWakes []store.Wake
	for _, w := range owed {
		if !w.Open {
			closedWakes = append(closedWakes, w.Wake) // closed since: nothing to tell
			continue
		}
		pc.before(ctx, heartbeat)
		g.send(signal{row: w.FollowUp, sig: s.wakeSignal(rr, w), wake: w.Wake})
		pc.signalled(w.FollowUp.WorkflowID)
		heartbeat(w.FollowUpID)
	}
	firstErr := g.wait()
	res.Pace = pc.done()
	done = append(done, closedWakes...)
	// What was signalled is owed no more, even when another signal failed:
	// the retry signals only what is left.
	if err := s.store.DropWakes(ctx, done); err != nil {
		return nil, errors.Join(firstErr, err)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return res, nil
}

// wakeSignal is the signal an owed wake-up sends: the rollout's, with the
// resolution rr made for the follow-up and — for a carried wake-up — the
// change its record holds now (the workflow compares it with what it
// computes from the resolution, and records only a difference).
func (s *FollowUps) wakeSignal(rr *rolloutResolutions, w store.OwedWake) *followupv1.PolicyChangedSignal {
	sig := &followupv1.PolicyChangedSignal{Policy: w.Policy, Calendar: w.Calendar, Version: w.Version}
	f := w.FollowUp
	kind, ok := policy.LookupKind(f.Kind)
	if !w.Carried || !ok {
		return sig
	}
	r := rr.byKey[keyOf(kind, f)]
	if r == nil {
		return sig
	}
	sig.Resolved, sig.ResolvedFor = r.res, r.for_
	rec := &followupv1.UpdateDeadlineInput{
		Id: f.ID, DueAt: timestamppb.New(f.DueAt), PolicyVersion: f.PolicyVersion, EscalationPolicyVersion: f.EscalationPolicyVersion,
		Calendar: f.Calendar, CalendarVersion: f.CalendarVersion, Reason: "stored by the rollout",
	}
	if f.NextStepAt != nil {
		rec.NextStepAt = timestamppb.New(*f.NextStepAt)
	}
	sig.Recorded, sig.RecordedLevel = rec, int32(f.EscalationLevel)
	return sig
}
