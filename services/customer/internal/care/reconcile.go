package care

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/policy"
)

// ReconcilePage checks one page of open care follow-ups against their
// customers and closes those that no longer apply (see the package doc),
// then closes the records of those whose workflow ended without a close
// notice.
func (s *Service) ReconcilePage(ctx context.Context, in *followupv1.CareReconcilePageInput) (*followupv1.CareReconcilePageResult, error) {
	limit := int(in.GetLimit())
	if limit <= 0 || limit > 5000 {
		limit = 500
	}
	var rows []openRow
	if err := s.openRows(ctx, "f.id > ?", in.GetAfterId()).Order("f.id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	res := &followupv1.CareReconcilePageResult{Checked: int64(len(rows))}
	if len(rows) == limit {
		res.NextAfterId = rows[len(rows)-1].ID
	}
	if len(rows) == 0 {
		return res, nil
	}
	settled, err := s.settle(ctx, rows, Actor)
	if err != nil {
		return nil, err
	}
	ended, err := s.closeEnded(ctx, rows, settled)
	if err != nil {
		return nil, err
	}
	for _, c := range append(settled, ended...) {
		if c.state == StateDone {
			res.Completed++
		} else {
			res.Cancelled++
		}
	}
	return res, nil
}

// endedBatch is how many workflow ids one Workflows.Ended call asks about.
const endedBatch = 200

// Answered is a care follow-up a logged contact closed.
type Answered struct {
	ID, Kind, CustomerID, OwnerID string
}

// CloseAnswered closes, as done by the contact's author, the open care
// follow-ups of customers a contact was just logged with (after Touch
// committed), whoever's they are: care is owed to the customer, and a
// contact by any department answers it. It returns the follow-ups closed.
func (s *Service) CloseAnswered(ctx context.Context, customerIDs []string, by string) ([]Answered, error) {
	if len(customerIDs) == 0 {
		return nil, nil
	}
	var rows []openRow
	if err := s.openRows(ctx, "f.customer_id IN ?", customerIDs).Order("f.id").Find(&rows).Error; err != nil {
		return nil, err
	}
	settled, err := s.settle(ctx, rows, by)
	var out []Answered
	for _, c := range settled {
		if c.state == StateDone {
			out = append(out, Answered{ID: c.row.ID, Kind: policy.KindCareContact, CustomerID: c.row.CustomerID, OwnerID: c.row.OwnerID})
		}
	}
	return out, err
}

// settle closes the open care follow-ups among rows that no longer apply
// (verdict): done (by doneBy) when a contact answered them, cancelled by the
// system when their customer changed. Each one's workflow is told to close,
// and its record is closed here at once, with the close's effects, so that
// the open pass that follows sees the customer free; the notice the workflow
// sends once it closed then finds the record closed and changes nothing. A
// workflow that has ended already is closed here all the same. It returns
// the closes it applied, also when it fails part way.
func (s *Service) settle(ctx context.Context, rows []openRow, doneBy string) ([]closing, error) {
	var stale []closing
	for _, r := range rows {
		state, note := r.care().verdict()
		switch state {
		case "":
			continue
		case StateDone:
			stale = append(stale, closing{row: r.FollowUp, state: state, by: doneBy, note: note})
		default:
			stale = append(stale, closing{row: r.FollowUp, state: state, by: Actor, note: note})
		}
	}
	return s.closeAll(ctx, stale, true)
}

// closeEnded closes, as its workflow's result says or else as cancelled by
// the system, every row whose FollowUp workflow has ended though the row is
// still open (not among settled): a workflow terminated or failed, one
// started by a release that asked for no close notice, a notice its owner
// refused. Without this its customer would never get another care
// follow-up.
func (s *Service) closeEnded(ctx context.Context, rows []openRow, settled []closing) ([]closing, error) {
	done := make(map[string]bool, len(settled))
	for _, c := range settled {
		done[c.row.ID] = true
	}
	var ids []string
	for _, r := range rows {
		if !done[r.ID] {
			ids = append(ids, r.WorkflowID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	// Asked in batches: each is one visibility query naming its ids.
	ended := make(map[string]bool)
	for batch := range slices.Chunk(ids, endedBatch) {
		e, err := s.wf.Ended(ctx, batch)
		if err != nil {
			return nil, err
		}
		maps.Copy(ended, e)
	}
	var gone []closing
	for _, r := range rows {
		if !done[r.ID] && ended[r.WorkflowID] {
			gone = append(gone, closing{row: r.FollowUp, state: StateCancelled, by: Actor,
				note: "the follow-up's workflow ended without reporting its close to the customer service"})
		}
	}
	if oc, ok := s.wf.(Outcomes); ok {
		err := each(ctx, len(gone), func(i int) error {
			o, ok, err := oc.Outcome(ctx, gone[i].row.WorkflowID)
			if err == nil && ok {
				gone[i].state, gone[i].by, gone[i].note, gone[i].at = o.State, o.By, o.Note, o.At
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return s.closeAll(ctx, gone, false)
}

// closeAll closes each follow-up (signalling its workflow first when signal
// is set) and returns those that are closed now, also when it fails part
// way.
func (s *Service) closeAll(ctx context.Context, cs []closing, signal bool) ([]closing, error) {
	var (
		mu     sync.Mutex
		closed []closing
	)
	err := each(ctx, len(cs), func(i int) error {
		c := cs[i]
		if signal {
			sig := &followupv1.CloseSignal{State: c.state, By: c.by, Note: c.note}
			if err := s.wf.Signal(ctx, c.row.WorkflowID, wfc.SignalCloseFollowUp, sig); err != nil && !errors.Is(err, ErrWorkflowGone) {
				return err
			}
		}
		if c.at.IsZero() {
			c.at = s.now()
		}
		// Closed here, or already (the workflow's notice came first).
		if _, err := s.close(ctx, c); err != nil {
			return err
		}
		mu.Lock()
		closed = append(closed, c)
		mu.Unlock()
		return nil
	})
	return closed, err
}
