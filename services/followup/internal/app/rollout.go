package app

import (
	"context"
	"errors"
	"sync"

	"github.com/closeloop/closeloop/platform/faults"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

const (
	rolloutParallelism = 16
	// rolloutStoreChunk is the follow-ups a rollout page stores in one
	// transaction before their signals go out.
	rolloutStoreChunk = 100
)

// AfterRolloutStore is the fault point (platform/faults) where a rollout
// page has stored the re-computed deadlines of its first chunk (of
// rolloutStoreChunk) and signalled no workflow yet: killed there, the
// service leaves Temporal to retry the page. A store page's retry finds
// that chunk stored with its owed wake-ups, which the wake pages signal; a
// one-phase page's retry signals the follow-ups already on the new version
// too.
const AfterRolloutStore = "followup.after-rollout-store"

// RolloutPage does one page of a rollout, as in.Phase says: store a page of
// re-computed deadlines with the wake-ups their workflows are owed
// (rolloutStore), signal a page of owed wake-ups (rolloutWake), or — for a
// rollout started before the two phases — both at once (below).
//
// Both at once: it signals one page of workflows whose open follow-ups lag the
// policy or calendar version in the rollout (with neither set: any version in
// force, domain.FollowUp.Lagging). Before it signals, it stores the deadline
// each follow-up's workflow would re-compute (recompute), and each signal
// carries what was resolved and stored, so that the workflow has neither to
// ask nor to record again. A follow-up whose workflow has ended is closed as
// cancelled. The page is stored a chunk at a time, and a chunk's signals go
// out while the next one is stored. retry is true on the activity's second
// and later attempts: an earlier attempt may have stored deadlines and
// failed before it signalled, so the page also signals the follow-ups
// already at the rollout's version.
func (s *FollowUps) RolloutPage(ctx context.Context, in *followupv1.RolloutPageInput, retry bool, heartbeat func(any)) (*followupv1.RolloutPageResult, error) {
	if heartbeat == nil {
		heartbeat = func(any) {}
	}
	switch in.GetPhase() {
	case followupv1.RolloutPhase_ROLLOUT_PHASE_STORE:
		return s.rolloutStore(ctx, in, heartbeat)
	case followupv1.RolloutPhase_ROLLOUT_PHASE_WAKE:
		return s.rolloutWake(ctx, in, heartbeat)
	}
	ro := in.GetRollout()
	due, res, err := s.rolloutRows(ctx, in, retry)
	if err != nil {
		return nil, err
	}
	rr := s.resolveRollout(ctx, ro, due)
	// The page is stored a chunk at a time, one transaction each, and a
	// chunk's workflows are signalled while the next chunk is stored: no
	// workflow is signalled before its record holds what the signal says.
	chunks := make(chan storedChunk, (len(due)+rolloutStoreChunk-1)/rolloutStoreChunk)
	go func() {
		defer close(chunks)
		for rest := due; len(rest) > 0; {
			n := min(rolloutStoreChunk, len(rest))
			sigs, err := s.recompute(ctx, rr, rest[:n])
			chunks <- storedChunk{rows: rest[:n], sigs: sigs, err: err}
			if err != nil {
				return
			}
			rest = rest[n:]
		}
	}()
	// Signals go out from a few goroutines at once: each is one round trip
	// to Temporal, and a rollout can reach tens of thousands of workflows.
	g := s.startSignalling(ctx, res, nil)
	first := true
	var storeErr error
	for c := range chunks {
		if c.err != nil {
			storeErr = c.err
			break // the chunks stored before are signalled; the retry signals them again
		}
		if first {
			faults.Point(AfterRolloutStore)
			first = false
		}
		for _, r := range c.rows {
			g.send(signal{row: r, sig: c.sigs[r.ID]})
			heartbeat(r.ID)
		}
	}
	if err := errors.Join(storeErr, g.wait()); err != nil {
		return nil, err
	}
	return res, nil
}

// signaller signals a rollout page's workflows from rolloutParallelism
// goroutines: a follow-up whose workflow has ended is closed as cancelled,
// and res counts what was signalled or closed.
type signaller struct {
	work  chan signal
	wg    sync.WaitGroup
	mu    sync.Mutex
	err   error // the first
	after func(j signal, gone bool)
}

// startSignalling starts the goroutines; after (if any) is called, under
// the signaller's lock, for each signal that went out or found its
// workflow gone.
func (s *FollowUps) startSignalling(ctx context.Context, res *followupv1.RolloutPageResult, after func(j signal, gone bool)) *signaller {
	g := &signaller{work: make(chan signal), after: after}
	for range rolloutParallelism {
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			for j := range g.work {
				err := s.wf.Signal(ctx, j.row.WorkflowID, wfc.SignalPolicyChanged, j.sig)
				gone := errors.Is(err, ErrWorkflowGone)
				if gone {
					err = s.closeOrphan(ctx, j.row.ID)
				}
				g.mu.Lock()
				switch {
				case err != nil:
					if g.err == nil {
						g.err = err
					}
				case gone:
					res.OrphansClosed++
				default:
					res.Signalled++
				}
				if err == nil && g.after != nil {
					g.after(j, gone)
				}
				g.mu.Unlock()
			}
		}()
	}
	return g
}

func (g *signaller) send(j signal) { g.work <- j }

// wait waits for every signal sent and returns the first error.
func (g *signaller) wait() error {
	close(g.work)
	g.wg.Wait()
	return g.err
}

// storedChunk is a chunk of a rollout page as stored, with the signal of each
// of its follow-ups, or the error that stopped the page's store.
type storedChunk struct {
	rows []domain.FollowUp
	sigs map[string]*followupv1.PolicyChangedSignal
	err  error
}

// signal is one follow-up of a rollout page and the signal its workflow
// gets (with the wake-up it pays, on a wake page).
type signal struct {
	row  domain.FollowUp
	sig  *followupv1.PolicyChangedSignal
	wake store.Wake
}

func (s *FollowUps) closeOrphan(ctx context.Context, id string) error {
	return s.Close(ctx, id, domain.Closing{State: domain.StateCancelled, By: "system",
		Note: "closed by the reconciliation: its workflow had ended without closing it"})
}

// rolloutRows reads a page of the follow-ups a rollout selects, closes those
// whose workflow has ended (the reconciliation's page), and returns those
// left to bring onto the version, with the page's result so far. retry (a
// reconciliation page's later attempt) keeps every follow-up of the page.
func (s *FollowUps) rolloutRows(ctx context.Context, in *followupv1.RolloutPageInput, retry bool) ([]domain.FollowUp, *followupv1.RolloutPageResult, error) {
	ro := in.GetRollout()
	limit := int(in.GetLimit())
	if limit <= 0 || limit > 5000 {
		limit = 500
	}
	sel := store.Rollout{Policy: ro.GetPolicy(), Calendar: ro.GetCalendar(), Version: ro.GetVersion(), Through: retry}
	var active *domain.ActiveVersions
	switch {
	case sel.Policy != "":
	case sel.Calendar != "":
		cov, err := s.policies.Coverage(ctx, sel.Calendar)
		if err != nil {
			return nil, nil, err
		}
		sel.Coverage = cov
	default: // reconciliation: anything behind the versions in force
		av, err := s.policies.ActiveVersions(ctx)
		if err != nil {
			return nil, nil, err
		}
		active = &av
	}
	// The reconciliation filters in Go: it reads every open follow-up in
	// pages, which is cheap next to the interval it runs at.
	rows, err := s.store.RolloutPage(ctx, sel, in.GetAfterId(), limit)
	if err != nil {
		return nil, nil, err
	}
	res := &followupv1.RolloutPageResult{}
	if len(rows) == limit { // the next page starts after this one as read
		res.NextAfterId = rows[len(rows)-1].ID
	}
	if active != nil && len(rows) > 0 {
		// The reconciliation also closes follow-ups whose workflow ended
		// without closing them (terminated by an operator, timed out): no
		// signal would ever reach them.
		ids := make([]string, 0, len(rows))
		for _, r := range rows {
			ids = append(ids, r.WorkflowID)
		}
		ended, err := s.wf.Ended(ctx, ids)
		if err != nil {
			return nil, nil, err
		}
		kept := rows[:0:0]
		for _, r := range rows {
			if !ended[r.WorkflowID] {
				kept = append(kept, r)
				continue
			}
			if err := s.closeOrphan(ctx, r.ID); err != nil {
				return nil, nil, err
			}
			res.OrphansClosed++
		}
		rows = kept
	}
	due := rows[:0:0]
	for _, r := range rows {
		// A retried reconciliation page cannot tell what an earlier attempt
		// stored: it signals every follow-up of the page.
		if active == nil || retry || r.Lagging(*active) {
			due = append(due, r)
		}
	}
	return due, res, nil
}
