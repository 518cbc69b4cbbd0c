package domain

import (
	"slices"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Kinds of timeline entries: every change of a case is one or more of them.
const (
	KindCreated         = "created"          // Body: the subject; To, ToTeam: assignee and team; From: the case it follows on from
	KindStateChanged    = "state_changed"    // From, To: states; Reason
	KindPriorityChanged = "priority_changed" // From, To: priorities; Reason
	KindAssigned        = "assigned"         // From, To: assignees ("" the queue); FromTeam, ToTeam; Reason
	KindNote            = "note"             // Body; internal
	KindReply           = "reply"            // Body, Direction; public
	KindSLAMet          = "sla_met"          // Target, DueAt; At: when it was met
	KindSLABreached     = "sla_breached"     // Target, DueAt; At: when it was breached
	KindSurveySent      = "survey_sent"      // later (the satisfaction survey)
	KindSurveyAnswered  = "survey_answered"  // later
)

// Visibility of an entry: internal entries only staff see; public ones are
// also what the customer is shown (a portal, the emails of a reply thread).
const (
	Internal = "internal"
	Public   = "public"
)

// publicKinds are the entries the customer sees: the case being filed, the
// replies and the survey. State, priority and assignment changes, notes and
// SLA results stay internal — their reasons are staff's words to staff; the
// customer sees the case's current state on the case itself.
var publicKinds = []string{KindCreated, KindReply, KindSurveySent, KindSurveyAnswered}

// Directions of a reply.
const (
	Outbound = "outbound" // staff to the customer
	Inbound  = "inbound"  // the customer to staff
)

// SLA targets of a case.
const (
	TargetFirstResponse = "first_response"
	TargetResolution    = "resolution"
)

// Targets lists the SLA targets.
var Targets = []string{TargetFirstResponse, TargetResolution}

// Entry is one entry of a case's timeline. Which fields a kind uses is
// listed with the kinds.
type Entry struct {
	// ID is "" until stored (the repository makes a time-ordered one); a
	// caller that retries a change (a workflow's activity) sets it, and a
	// change whose entry id is stored is not applied twice.
	ID         string
	CaseID     string
	Kind       string
	Actor      string
	At         time.Time
	Visibility string
	Body       string
	Direction  string
	From, To   string
	// FromTeam and ToTeam: an assignment across teams (and the team of a new case).
	FromTeam, ToTeam string
	Reason           string
	Target           string
	DueAt            *time.Time
}

func entry(c Case, kind, actor string, at time.Time) Entry {
	vis := Internal
	if slices.Contains(publicKinds, kind) {
		vis = Public
	}
	return Entry{CaseID: c.ID, Kind: kind, Actor: actor, At: at, Visibility: vis}
}

// Message is a public reply: staff writing to the customer (outbound) or the
// customer writing in (inbound; Actor is the contact, or who recorded it).
type Message struct {
	Direction, Body, Actor string
}

// Reply adds a public reply to the case. A closed case gets none (the
// customer's new message is a follow-on case). Its effects:
//
//   - the first outbound reply sets first_response_at and meets the
//     first-response target (MeetsFirstResponse); an outbound reply to a new
//     case is its first action and opens it;
//   - an inbound reply while the case waits for the customer resumes it:
//     it goes back to open (Resumes) — the customer has answered;
//   - otherwise the state stays: an inbound reply to a new or open case is
//     more information, and one to a resolved case is for a person to judge
//     (reopen within the window, or a follow-on case).
func Reply(c Case, m Message, now time.Time) (Case, []Entry, Effects, error) {
	if c.State == StateClosed {
		return c, nil, Effects{}, ErrCaseClosed
	}
	var v apperr.Validation
	v.Check(m.Direction == Outbound || m.Direction == Inbound, "direction", "invalid", "outbound or inbound")
	text(&v, "body", m.Body, MaxBody, true)
	user(&v, "actor", m.Actor, true)
	if err := v.Err(); err != nil {
		return c, nil, Effects{}, err
	}
	at := instant(now)
	e := entry(c, KindReply, m.Actor, at)
	e.Body, e.Direction = m.Body, m.Direction
	out, eff := []Entry{e}, Effects{}
	c.UpdatedAt = at
	switch m.Direction {
	case Outbound:
		if c.FirstResponseAt == nil {
			c.FirstResponseAt, eff.MeetsFirstResponse = &at, true
		}
		if c.State == StateNew {
			c, out = opened(c, out, m.Actor, "first reply to the customer", at)
		}
	case Inbound:
		if c.State == StatePendingCustomer {
			var s Entry
			c, s, eff = move(c, StateOpen, m.Actor, "the customer replied", at)
			out = append(out, s)
		}
	}
	return c, out, eff, nil
}

// Note adds an internal note (only staff see it). Notes are allowed on a
// closed case too — a remark changes nothing the customer was told. A note
// on a new case is its first action and opens it.
func Note(c Case, body, actor string, now time.Time) (Case, []Entry, error) {
	var v apperr.Validation
	text(&v, "body", body, MaxBody, true)
	user(&v, "actor", actor, true)
	if err := v.Err(); err != nil {
		return c, nil, err
	}
	at := instant(now)
	e := entry(c, KindNote, actor, at)
	e.Body = body
	out := []Entry{e}
	if c.State == StateNew {
		c, out = opened(c, out, actor, "first note", at)
	}
	c.UpdatedAt = at
	return c, out, nil
}

// SLAResult is the entry recording that a target was met or breached at an
// instant (the SLA clock decides which; this only writes it down).
func SLAResult(c Case, target string, met bool, due, at time.Time) (Entry, error) {
	if !slices.Contains(Targets, target) {
		return Entry{}, fieldErr("target", "invalid", "first_response or resolution")
	}
	kind := KindSLABreached
	if met {
		kind = KindSLAMet
	}
	e := entry(c, kind, WorkflowActor, instant(at))
	d := instant(due)
	e.Target, e.DueAt = target, &d
	return e, nil
}
