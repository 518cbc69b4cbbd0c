package domain

import (
	"fmt"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

// States of a follow-up.
const (
	StateOpen      = "open"
	StateEscalated = "escalated"
	StateDone      = "done"
	StateCancelled = "cancelled"
)

// Limits of the texts a follow-up keeps.
const (
	MaxTitle  = 300  // runes of a title
	MaxNote   = 2000 // runes of a close note
	MaxDetail = 2000 // runes of a history entry's detail
)

// WorkflowActor is who a change the workflow makes is recorded as.
const WorkflowActor = "workflow"

// FollowUp is one obligation a workflow tracks: the uniform record every
// workflow's follow-up is stored as. It is written only through its state
// changes (Open, ChangeDeadline, RecordStep, Close); each change that applies
// adds its history entry to Pending, which the repository stores with the
// record and clears.
type FollowUp struct {
	ID         string
	Kind       string
	CustomerID string
	OwnerID    string
	Team       string
	Territory  string
	// RequesterTeam is the team of whoever asked for the work (an info
	// slip's originator), "" when no one did: an escalate_originator step
	// tells its managers, and they see the follow-up from then on
	// (RequesterEscalatedAt).
	RequesterTeam   string
	Title           string
	State           string
	AnchorAt        time.Time
	DueAt           time.Time
	NextStepAt      *time.Time
	EscalationLevel int
	LastAction      string
	EscalatedAt     *time.Time
	// RequesterEscalatedAt is when the ladder first escalated to the
	// requester's managers (nil: it has not): from then on they see the
	// follow-up like one of their teams' (VisibleTo).
	RequesterEscalatedAt    *time.Time
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
	// Pending are the history entries the changes since the record was
	// loaded add, oldest first.
	Pending []Event
	// Outbox are the inbox messages those entries send (notification.go),
	// stored with them.
	Outbox []Notification
}

// Event is one entry of a follow-up's history.
type Event struct {
	FollowUpID string
	Action     string
	Level      int
	Actor      string
	// ActorName is the actor's display name when a person acted (for the
	// messages the change sends; the history keeps the id).
	ActorName string
	Detail    string
	// At is when the event happened; for an escalation step, when the
	// workflow carried it out.
	At time.Time
	// ScheduledAt is, for an escalation step, the instant the ladder had it
	// due: At minus ScheduledAt is how late it ran. Nil for other events.
	ScheduledAt *time.Time
}

// LateBy is how late an escalation step ran ("" for other events); never
// negative.
func (e Event) LateBy() string {
	if e.ScheduledAt == nil {
		return ""
	}
	return max(e.At.Sub(*e.ScheduledAt), 0).String()
}

// Closed reports whether the follow-up is done or cancelled.
func (f *FollowUp) Closed() bool { return f.ClosedAt != nil }

func (f *FollowUp) record(e Event) {
	e.FollowUpID = f.ID
	// Cut by runes, like the note: a cut inside a multi-byte character
	// would be text PostgreSQL refuses to store.
	e.Detail = Truncate(e.Detail, MaxDetail)
	f.Pending = append(f.Pending, e)
	f.Outbox = append(f.Outbox, notificationsOf(*f, e)...)
}

// Truncate cuts s to at most n runes.
func Truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// Opening is a follow-up as its workflow opened it.
type Opening struct {
	ID, Kind, CustomerID, OwnerID, Team, Territory, Title string
	PolicyKey, OpenedBy                                   string
	// RequesterTeam is the team of whoever asked for the work ("": none).
	RequesterTeam string
	// AnchorAt and DueAt are required (zero: missing).
	AnchorAt, DueAt         time.Time
	Policy                  string
	PolicyVersion           int64
	EscalationPolicy        string
	EscalationPolicyVersion int64
	Calendar                string
	CalendarVersion         int64
	WorkflowID, RunID       string
	// NextStepAt is when its workflow first acts (its ladder's first step),
	// when the opener knows it; nil: not recorded until a step or a
	// deadline change records it.
	NextStepAt *time.Time
}

// Open is a new open follow-up with its "opened" history entry, stored at now.
func Open(o Opening, now time.Time) (FollowUp, error) {
	if o.ID == "" || o.DueAt.IsZero() || o.AnchorAt.IsZero() {
		return FollowUp{}, apperr.Invalid("invalid", "a follow-up record needs id, anchor_at and due_at")
	}
	f := FollowUp{
		ID: o.ID, Kind: o.Kind, CustomerID: o.CustomerID, OwnerID: o.OwnerID, Team: o.Team, Territory: o.Territory,
		RequesterTeam: o.RequesterTeam, Title: Truncate(o.Title, MaxTitle), State: StateOpen, AnchorAt: o.AnchorAt, DueAt: o.DueAt,
		Policy: o.Policy, PolicyKey: o.PolicyKey, PolicyVersion: o.PolicyVersion,
		EscalationPolicy: o.EscalationPolicy, EscalationPolicyVersion: o.EscalationPolicyVersion,
		Calendar: o.Calendar, CalendarVersion: o.CalendarVersion,
		WorkflowID: o.WorkflowID, RunID: o.RunID, OpenedBy: o.OpenedBy, CreatedAt: now, UpdatedAt: now,
		NextStepAt: o.NextStepAt,
	}
	detail := "due " + f.DueAt.Format(time.RFC3339)
	if f.Policy != "" {
		detail += fmt.Sprintf(" by %s v%d", f.Policy, f.PolicyVersion)
	}
	f.record(Event{Action: "opened", Level: 0, Actor: f.OpenedBy, Detail: detail, At: now})
	return f, nil
}

// DeadlineChange is a due time its workflow re-computed under new policy or
// calendar versions.
type DeadlineChange struct {
	DueAt                                  time.Time
	NextStepAt                             *time.Time // nil: no step pending
	PolicyVersion, EscalationPolicyVersion int64
	Calendar                               string
	CalendarVersion                        int64
	Reason                                 string
}

// ChangeDeadline applies a re-computed due time. On a closed follow-up it
// changes nothing (a late retry of the workflow's activity), nor on one
// that stands as the change leaves it: its workflow asks for a change only
// when a version differs from the one it last recorded, so that is a retry
// of the activity that made it (the service died after storing it and
// before reporting it done) — recorded once.
func (f *FollowUp) ChangeDeadline(c DeadlineChange, now time.Time) {
	if f.Closed() || f.stands(c) {
		return
	}
	old := f.DueAt
	f.DueAt, f.NextStepAt = c.DueAt, c.NextStepAt
	f.PolicyVersion, f.EscalationPolicyVersion = c.PolicyVersion, c.EscalationPolicyVersion
	f.Calendar, f.CalendarVersion = c.Calendar, c.CalendarVersion
	f.UpdatedAt = now
	f.record(Event{Action: "deadline_changed", Level: f.EscalationLevel, Actor: WorkflowActor,
		Detail: fmt.Sprintf("due %s → %s (%s)", old.Format(time.RFC3339), c.DueAt.Format(time.RFC3339), c.Reason), At: now})
}

// stands reports whether the follow-up already has c's due time, next step,
// versions and calendar. Times are compared to the microsecond, the
// precision the database keeps.
func (f *FollowUp) stands(c DeadlineChange) bool {
	same := func(a, b time.Time) bool { return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond)) }
	if (f.NextStepAt == nil) != (c.NextStepAt == nil) || (f.NextStepAt != nil && !same(*f.NextStepAt, *c.NextStepAt)) {
		return false
	}
	return same(f.DueAt, c.DueAt) && f.PolicyVersion == c.PolicyVersion && f.EscalationPolicyVersion == c.EscalationPolicyVersion &&
		f.Calendar == c.Calendar && f.CalendarVersion == c.CalendarVersion
}

// ActionEscalateOriginator is the ladder step that escalates to the managers
// of whoever asked for the work (policy.ActionEscalateOriginator).
const ActionEscalateOriginator = "escalate_originator"

// Escalating reports whether an escalation action puts the follow-up in the
// escalated state (a reminder leaves it open).
func Escalating(action string) bool {
	switch action {
	case "escalate_manager", ActionEscalateOriginator, "reassign", "return_to_pool", "raise_priority":
		return true
	}
	return false
}

// RequesterManagersOf is the team whose managers an escalate_originator step
// tells: the requester's, else — a follow-up no one asked for — its own.
func (f *FollowUp) RequesterManagersOf() string {
	if f.RequesterTeam != "" {
		return f.RequesterTeam
	}
	return f.Team
}

// Step is an escalation step its workflow carried out.
type Step struct {
	Level  int
	Action string
	// ScheduledAt is when the ladder had the step due; RanAt when the
	// workflow ran it (nil: an older workflow that did not say).
	ScheduledAt time.Time
	RanAt       *time.Time
	NextStepAt  *time.Time // nil: no further step
}

// RecordStep applies an escalation step. Levels only go up: a step at or
// below the current level (a retry) changes nothing, and so does any step on
// a closed follow-up.
func (f *FollowUp) RecordStep(s Step, now time.Time) {
	if f.Closed() || s.Level <= f.EscalationLevel {
		return
	}
	f.EscalationLevel, f.LastAction, f.UpdatedAt, f.NextStepAt = s.Level, s.Action, now, s.NextStepAt
	if Escalating(s.Action) {
		at := now
		f.State, f.EscalatedAt = StateEscalated, &at
	}
	detail := "step " + s.Action
	switch s.Action {
	case "escalate_manager":
		detail = "escalated to the managers of team " + f.Team
	case ActionEscalateOriginator:
		if f.RequesterTeam != "" {
			detail = "escalated to the managers of team " + f.RequesterTeam + ", who asked for it"
		} else {
			detail = "escalated to the managers of team " + f.Team + " (no one's team asked for it)"
		}
		if f.RequesterEscalatedAt == nil {
			at := now
			f.RequesterEscalatedAt = &at
		}
	}
	ran := now
	if s.RanAt != nil {
		ran = *s.RanAt
	}
	scheduled := s.ScheduledAt
	f.record(Event{Action: s.Action, Level: s.Level, Actor: WorkflowActor, Detail: detail, At: ran, ScheduledAt: &scheduled})
}

// Closing is a follow-up's end: done or cancelled.
type Closing struct {
	State string
	By    string     // "": the workflow
	Note  string     //
	At    *time.Time // nil: now
}

// CheckCloseState refuses a closing state other than done or cancelled.
func CheckCloseState(state string) error {
	if state != StateDone && state != StateCancelled {
		return apperr.Invalid("invalid", fmt.Sprintf("state %q: use done or cancelled", state))
	}
	return nil
}

// Close closes the follow-up. Closing a closed one changes nothing.
func (f *FollowUp) Close(c Closing, now time.Time) error {
	if err := CheckCloseState(c.State); err != nil {
		return err
	}
	if f.Closed() {
		return nil
	}
	at := now
	if c.At != nil {
		at = *c.At
	}
	by := c.By
	if by == "" {
		by = WorkflowActor
	}
	f.State, f.ClosedAt, f.ClosedBy, f.CloseNote, f.UpdatedAt, f.NextStepAt = c.State, &at, &by, Truncate(c.Note, MaxNote), now, nil
	f.record(Event{Action: c.State, Level: f.EscalationLevel, Actor: by, Detail: c.Note, At: at})
	return nil
}

// CheckNote refuses a close note longer than MaxNote runes.
func CheckNote(note string) error {
	if len([]rune(note)) > MaxNote {
		var v apperr.Validation
		v.Add("note", "too_long", "at most 2000 characters")
		return v.Err()
	}
	return nil
}

// CheckOpen refuses to act on a closed follow-up.
func (f *FollowUp) CheckOpen() error {
	if f.Closed() {
		return apperr.Rule("already_closed", "this follow-up is already "+f.State)
	}
	return nil
}
