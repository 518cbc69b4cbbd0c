// Package followups stores follow-ups — one uniform record for every open
// obligation any workflow creates — and answers the managers' questions about
// them: what is overdue, whose, how late, per team and per person.
//
// The record is written only by the workflow that owns the obligation,
// through activities (open, re-computed deadline, escalation step, close);
// people act on a follow-up by signalling its workflow. The table keeps every
// follow-up ever opened; the indexes the overdue views use are partial (open
// rows only), so they stay small however long the history grows. See
// docs/follow-ups.md for why this is a table and not Temporal visibility.
package followups

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/apperr"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
)

// Row is a stored follow-up.
type Row struct {
	ID                      string
	Kind                    string
	CustomerID              string
	OwnerID                 string
	Team                    string
	Territory               string
	Title                   string
	State                   string
	AnchorAt                time.Time
	DueAt                   time.Time
	NextStepAt              *time.Time
	EscalationLevel         int
	LastAction              string
	EscalatedAt             *time.Time
	Policy                  string
	PolicyKey               string
	PolicyVersion           int64
	EscalationPolicy        string
	EscalationPolicyVersion int64
	Calendar                string
	CalendarVersion         int64
	WorkflowID              string
	RunID                   string
	OpenedBy                string
	CreatedAt               time.Time
	UpdatedAt               time.Time
	ClosedAt                *time.Time
	ClosedBy                *string
	CloseNote               string
}

// TableName is the table.
func (Row) TableName() string { return "follow_ups" }

// EventRow is one entry of a follow-up's history.
type EventRow struct {
	ID         string
	FollowUpID string
	Action     string
	Level      int
	Actor      string
	Detail     string
	// At is when the event happened; for an escalation step, when the
	// workflow carried it out.
	At time.Time
	// ScheduledAt is, for an escalation step, the instant the ladder had it
	// due: At minus ScheduledAt is how late it ran. Nil for other events.
	ScheduledAt *time.Time
}

// TableName is the table.
func (EventRow) TableName() string { return "follow_up_events" }

// States of a follow-up.
const (
	StateOpen      = "open"
	StateEscalated = "escalated"
	StateDone      = "done"
	StateCancelled = "cancelled"
)

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func ts(t interface{ AsTime() time.Time }) time.Time {
	return t.AsTime().UTC().Truncate(time.Microsecond)
}

func addEvent(tx *gorm.DB, id, action string, level int, actor, detail string, at time.Time) error {
	return addEventRow(tx, EventRow{FollowUpID: id, Action: action, Level: level, Actor: actor, Detail: detail, At: at})
}

func addEventRow(tx *gorm.DB, e EventRow) error {
	e.ID = newID()
	if len(e.Detail) > 2000 {
		e.Detail = e.Detail[:2000]
	}
	return tx.Create(&e).Error
}

// Record stores a follow-up as its workflow opened it. A retried call (same id)
// changes nothing.
func (s *Service) Record(ctx context.Context, rec *followupv1.FollowUpRecord) error {
	sp := rec.GetSpec()
	if sp.GetId() == "" || rec.GetDueAt() == nil || sp.GetAnchorAt() == nil {
		return apperr.Invalid("invalid", "a follow-up record needs id, anchor_at and due_at")
	}
	t := now()
	row := Row{
		ID: sp.GetId(), Kind: sp.GetKind(), CustomerID: sp.GetCustomerId(), OwnerID: sp.GetOwnerId(), Team: sp.GetTeam(),
		Territory: sp.GetTerritory(), Title: truncate(sp.GetTitle(), 300), State: StateOpen, AnchorAt: ts(sp.GetAnchorAt()), DueAt: ts(rec.GetDueAt()),
		Policy: rec.GetPolicy(), PolicyKey: sp.GetPolicyKey(), PolicyVersion: rec.GetPolicyVersion(),
		EscalationPolicy: rec.GetEscalationPolicy(), EscalationPolicyVersion: rec.GetEscalationPolicyVersion(),
		Calendar: rec.GetCalendar(), CalendarVersion: rec.GetCalendarVersion(),
		WorkflowID: rec.GetWorkflowId(), RunID: rec.GetRunId(), OpenedBy: sp.GetOpenedBy(), CreatedAt: t, UpdatedAt: t,
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		detail := fmt.Sprintf("due %s", row.DueAt.Format(time.RFC3339))
		if row.Policy != "" {
			detail += fmt.Sprintf(" by %s v%d", row.Policy, row.PolicyVersion)
		}
		return addEvent(tx, row.ID, "opened", 0, row.OpenedBy, detail, t)
	})
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// open loads an open follow-up for update inside tx; ok is false when it is
// closed already (the workflow's late retry) — not an error.
func openRow(tx *gorm.DB, id string) (Row, bool, error) {
	var r Row
	err := tx.Where("id = ?", id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return r, false, apperr.NotFound("not_found", "no follow-up "+id)
	}
	if err != nil {
		return r, false, err
	}
	return r, r.ClosedAt == nil, nil
}

// UpdateDeadline records a due time re-computed under new policy versions.
func (s *Service) UpdateDeadline(ctx context.Context, in *followupv1.UpdateDeadlineInput) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r, open, err := openRow(tx, in.GetId())
		if err != nil || !open {
			return err
		}
		t := now()
		upd := map[string]any{
			"due_at": ts(in.GetDueAt()), "policy_version": in.GetPolicyVersion(), "escalation_policy_version": in.GetEscalationPolicyVersion(),
			"calendar": in.GetCalendar(), "calendar_version": in.GetCalendarVersion(), "updated_at": t, "next_step_at": nil,
		}
		if in.GetNextStepAt() != nil {
			upd["next_step_at"] = ts(in.GetNextStepAt())
		}
		if err := tx.Model(&Row{}).Where("id = ? AND closed_at IS NULL", r.ID).Updates(upd).Error; err != nil {
			return err
		}
		return addEvent(tx, r.ID, "deadline_changed", r.EscalationLevel, "workflow",
			fmt.Sprintf("due %s → %s (%s)", r.DueAt.Format(time.RFC3339), ts(in.GetDueAt()).Format(time.RFC3339), in.GetReason()), t)
	})
}

// escalating actions put the follow-up in the escalated state; a reminder
// leaves it open.
var escalating = map[string]bool{"escalate_manager": true, "reassign": true, "return_to_pool": true}

// RecordStep records an escalation step. Levels only go up, so a retried
// call changes nothing.
func (s *Service) RecordStep(ctx context.Context, in *followupv1.RecordStepInput) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r, open, err := openRow(tx, in.GetId())
		if err != nil || !open || int(in.GetLevel()) <= r.EscalationLevel {
			return err
		}
		t := now()
		upd := map[string]any{"escalation_level": in.GetLevel(), "last_action": in.GetAction(), "updated_at": t, "next_step_at": nil}
		if in.GetNextStepAt() != nil {
			upd["next_step_at"] = ts(in.GetNextStepAt())
		}
		if escalating[in.GetAction()] {
			upd["state"] = StateEscalated
			upd["escalated_at"] = t
		}
		if err := tx.Model(&Row{}).Where("id = ? AND closed_at IS NULL", r.ID).Updates(upd).Error; err != nil {
			return err
		}
		detail := "step " + in.GetAction()
		if in.GetAction() == "escalate_manager" {
			detail = "escalated to the managers of team " + r.Team
		}
		// At is when the step ran (the workflow's clock; the store's when an
		// older workflow did not say), ScheduledAt when the ladder had it due.
		ran := t
		if in.GetRanAt() != nil {
			ran = ts(in.GetRanAt())
		}
		scheduled := ts(in.GetAt())
		return addEventRow(tx, EventRow{FollowUpID: r.ID, Action: in.GetAction(), Level: int(in.GetLevel()), Actor: "workflow",
			Detail: detail, At: ran, ScheduledAt: &scheduled})
	})
}

// Close closes a follow-up; closing a closed one changes nothing.
func (s *Service) Close(ctx context.Context, in *followupv1.CloseFollowUpInput) error {
	state := in.GetState()
	if state != StateDone && state != StateCancelled {
		return apperr.Invalid("invalid", fmt.Sprintf("state %q: use done or cancelled", state))
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r, open, err := openRow(tx, in.GetId())
		if err != nil || !open {
			return err
		}
		t := now()
		at := t
		if in.GetAt() != nil {
			at = ts(in.GetAt())
		}
		by := in.GetBy()
		if by == "" {
			by = "workflow"
		}
		res := tx.Model(&Row{}).Where("id = ? AND closed_at IS NULL", r.ID).Updates(map[string]any{
			"state": state, "closed_at": at, "closed_by": by, "close_note": truncate(in.GetNote(), 2000), "updated_at": t, "next_step_at": nil,
		})
		if res.Error != nil {
			return res.Error
		}
		return addEvent(tx, r.ID, state, r.EscalationLevel, by, in.GetNote(), at)
	})
}
