package followups

import (
	"context"
	"errors"
	"sync"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
)

const rolloutParallelism = 16

// RolloutPage signals one page of workflows whose open follow-ups lag the
// policy or calendar version in the rollout (with neither set: any version in
// force). A follow-up whose workflow has ended is closed as cancelled.
func (s *Service) RolloutPage(ctx context.Context, in *followupv1.RolloutPageInput, heartbeat func(any)) (*followupv1.RolloutPageResult, error) {
	ro := in.GetRollout()
	limit := int(in.GetLimit())
	if limit <= 0 || limit > 5000 {
		limit = 500
	}
	q := s.db.WithContext(ctx).Model(&Row{}).Where("closed_at IS NULL")
	if in.GetAfterId() != "" {
		q = q.Where("id > ?", in.GetAfterId())
	}
	var active map[string]int64
	switch {
	case ro.GetPolicy() != "":
		q = q.Where("(policy = ? AND policy_version < ?) OR (escalation_policy = ? AND escalation_policy_version < ?)",
			ro.GetPolicy(), ro.GetVersion(), ro.GetPolicy(), ro.GetVersion())
	case ro.GetCalendar() != "":
		cov, err := s.policies.Coverage(ctx, ro.GetCalendar())
		if err != nil {
			return nil, err
		}
		regions, teams, isDefault := cov.Regions, cov.Teams, cov.Default
		cond := s.db.Where("calendar = ? AND calendar_version < ?", ro.GetCalendar(), ro.GetVersion())
		if len(regions) > 0 {
			cond = cond.Or("calendar_version > 0 AND calendar <> ? AND territory IN ?", ro.GetCalendar(), regions)
		}
		if len(teams) > 0 {
			cond = cond.Or("calendar_version > 0 AND calendar <> ? AND team IN ?", ro.GetCalendar(), teams)
		}
		if isDefault {
			cond = cond.Or("calendar_version > 0 AND calendar <> ?", ro.GetCalendar())
		}
		q = q.Where(cond)
	default: // reconciliation: anything behind the versions in force
		av, err := s.policies.ActiveVersions(ctx)
		if err != nil {
			return nil, err
		}
		active = map[string]int64{}
		for k, v := range av.Policies {
			active["p:"+k] = v
		}
		for k, v := range av.Calendars {
			active["c:"+k] = v
		}
	}
	var rows []Row
	// The reconciliation filters in Go: it reads every open follow-up in
	// pages, which is cheap next to the interval it runs at.
	if err := q.Select("id, workflow_id, policy, policy_version, escalation_policy, escalation_policy_version, calendar, calendar_version").
		Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
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
			return nil, err
		}
		kept := rows[:0:0]
		for _, r := range rows {
			if !ended[r.WorkflowID] {
				kept = append(kept, r)
				continue
			}
			if err := s.closeOrphan(ctx, r.ID); err != nil {
				return nil, err
			}
			res.OrphansClosed++
		}
		rows = kept
	}
	// Signals go out from a few goroutines at once: each is one round trip
	// to Temporal, and a rollout can reach tens of thousands of workflows.
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		work     = make(chan Row)
	)
	for range rolloutParallelism {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				sig := &followupv1.PolicyChangedSignal{Policy: ro.GetPolicy(), Calendar: ro.GetCalendar(), Version: ro.GetVersion()}
				err := s.wf.Signal(ctx, r.WorkflowID, wfc.SignalPolicyChanged, sig)
				gone := errors.Is(err, ErrWorkflowGone)
				if gone {
					err = s.closeOrphan(ctx, r.ID)
				}
				mu.Lock()
				switch {
				case err != nil:
					if firstErr == nil {
						firstErr = err
					}
				case gone:
					res.OrphansClosed++
				default:
					res.Signalled++
				}
				mu.Unlock()
			}
		}()
	}
	for _, r := range rows {
		if active != nil && !lagging(r, active) {
			continue
		}
		work <- r
		if heartbeat != nil {
			heartbeat(r.ID)
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return res, nil
}

func (s *Service) closeOrphan(ctx context.Context, id string) error {
	return s.Close(ctx, &followupv1.CloseFollowUpInput{Id: id, State: StateCancelled, By: "system",
		Note: "closed by the reconciliation: its workflow had ended without closing it"})
}

func lagging(r Row, active map[string]int64) bool {
	if v, ok := active["p:"+r.Policy]; ok && r.Policy != "" && r.PolicyVersion < v {
		return true
	}
	if v, ok := active["p:"+r.EscalationPolicy]; ok && r.EscalationPolicy != "" && r.EscalationPolicyVersion < v {
		return true
	}
	if v, ok := active["c:"+r.Calendar]; ok && r.Calendar != "" && r.CalendarVersion < v {
		return true
	}
	return false
}
