package domain

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Case types.
const (
	TypeRequest      = "request"
	TypeComplaint    = "complaint"
	TypeRepair       = "repair"
	TypeConsultation = "consultation"
	TypeReturns      = "returns"
)

// Types lists every case type.
var Types = []string{TypeRequest, TypeComplaint, TypeRepair, TypeConsultation, TypeReturns}

// Priorities, most urgent first. The SLA targets (first response,
// resolution) are looked up per priority in the policies.
const (
	P1 = "P1" // production down, safety: drop everything
	P2 = "P2" // the customer is hurt or angry: today
	P3 = "P3" // ordinary business: within the normal targets
	P4 = "P4" // no harm while it waits
)

// Priorities lists every priority, most urgent first.
var Priorities = []string{P1, P2, P3, P4}

// DefaultPriority is the priority of a new case of each type when the
// person filing it does not choose one:
//
//   - complaint P2: an unhappy customer is the one most likely to leave (the
//     product's reason to exist); an unanswered complaint gets worse by the hour;
//   - repair P2: something the customer paid for does not work, and they
//     usually cannot work around it;
//   - returns P3: money and goods are in flight, but on a known procedure;
//   - request P3: ordinary work (a document, a change, an order detail);
//   - consultation P4: a question whose answer helps but whose wait harms nobody.
//
// P1 is never a default: it is a person's judgement that this case is an
// emergency.
var DefaultPriority = map[string]string{
	TypeComplaint:    P2,
	TypeRepair:       P2,
	TypeReturns:      P3,
	TypeRequest:      P3,
	TypeConsultation: P4,
}

// Channels a case arrives through.
const (
	ChannelPhone    = "phone"
	ChannelEmail    = "email"
	ChannelWeb      = "web"
	ChannelVisit    = "visit"
	ChannelInternal = "internal" // raised by staff, e.g. after a visit or an audit
)

// Channels lists every channel.
var Channels = []string{ChannelPhone, ChannelEmail, ChannelWeb, ChannelVisit, ChannelInternal}

// Languages a case's customer is written to in (its survey).
var Languages = []string{"en", "zh-Hans"}

// validEmail: one address, name@domain, without spaces or display name.
func validEmail(s string) bool {
	s = strings.TrimSpace(s)
	at := strings.LastIndex(s, "@")
	return at > 0 && at < len(s)-3 && strings.Contains(s[at:], ".") && !strings.ContainsAny(s, " <>,;\"\t")
}

// Limits of the fields of a case and its entries (characters).
const (
	MaxEmail       = 254
	MaxSubject     = 200
	MaxDescription = 10000
	MaxBody        = 10000 // a reply's or a note's text
	MaxReason      = 2000
	MaxAsset       = 200 // free text: product, model, serial number
	MaxRef         = 36  // ids of customers, contacts, opportunities, cases
	MaxUser        = 200 // user ids (the token's sub)
	MaxTeam        = 100
)

// Case is one after-sales service case of a customer. It is changed only
// through the functions of this package, each returning the changed copy and
// the timeline entries the change adds.
type Case struct {
	ID            string
	CustomerID    string
	ContactID     string // optional: the customer's contact who raised it
	Asset         string // optional: the product or serial it concerns (free text)
	OpportunityID string // optional: the sale it relates to
	Type          string
	Priority      string
	Channel       string
	Subject       string
	Description   string
	State         string
	// AssigneeID is the user working the case; empty: it waits in Team's queue.
	AssigneeID string
	Team       string
	// CustomerOwnerID and CustomerTeam are the customer's owning rep and its
	// team, copied from the customer service at creation and refreshed when
	// the customer moves: sales people read the cases of their customers.
	CustomerOwnerID string
	CustomerTeam    string
	// FollowOnOf is the closed case this one follows on from.
	FollowOnOf      string
	ReopenedCount   int
	Version         int64
	CreatedBy       string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	FirstResponseAt *time.Time
	ResolvedAt      *time.Time
	ClosedAt        *time.Time
	// ContactEmail and Language: where the satisfaction survey goes, and in
	// which language ("" English).
	ContactEmail string
	Language     string
	// ClosedByCustomer: the customer asked for the close (no survey).
	ClosedByCustomer bool
	// ReportedAt is when the customer reported it, when that was before it
	// was filed (a message left overnight, a call written up later): the
	// SLA clocks count from Anchor.
	ReportedAt *time.Time
}

// MaxReportAge is how far before its filing a case may have been reported.
const MaxReportAge = 30 * 24 * time.Hour

// Anchor is the instant the case's SLA clocks count from: when the customer
// reported it, else when it was filed.
func (c Case) Anchor() time.Time {
	if c.ReportedAt != nil {
		return *c.ReportedAt
	}
	return c.CreatedAt
}

// Draft is a case as someone files it.
type Draft struct {
	// ID is the new case's id (the caller makes it).
	ID                                          string
	CustomerID, ContactID, Asset, OpportunityID string
	// Priority "" takes the type's DefaultPriority.
	Type, Priority, Channel, Subject, Description string
	AssigneeID, Team                              string
	CustomerOwnerID, CustomerTeam                 string
	CreatedBy                                     string
	// ReportedAt: see Case.ReportedAt (nil: reported when filed).
	ReportedAt *time.Time
	// ContactEmail and Language: see Case.
	ContactEmail, Language string
}

// New is a new case filed as d says, in state new, with its "created"
// timeline entry; every bad field is reported at once (422).
//
// A case is new even when it is filed with an assignee: new means nobody has
// acted on it since intake. The first action — an assignment, a note, an
// outbound reply — opens it.
func New(d Draft, now time.Time) (Case, Entry, error) {
	if err := checkDraft(d, now); err != nil {
		return Case{}, Entry{}, err
	}
	if d.Priority == "" {
		d.Priority = DefaultPriority[d.Type]
	}
	at := instant(now)
	c := Case{
		ID: d.ID, CustomerID: d.CustomerID, ContactID: d.ContactID, Asset: strings.TrimSpace(d.Asset), OpportunityID: d.OpportunityID,
		Type: d.Type, Priority: d.Priority, Channel: d.Channel, Subject: strings.TrimSpace(d.Subject), Description: d.Description,
		State: StateNew, AssigneeID: d.AssigneeID, Team: d.Team, CustomerOwnerID: d.CustomerOwnerID, CustomerTeam: d.CustomerTeam,
		Version: 1, CreatedBy: d.CreatedBy, CreatedAt: at, UpdatedAt: at, ContactEmail: strings.TrimSpace(d.ContactEmail), Language: d.Language,
	}
	if d.ReportedAt != nil && d.ReportedAt.Before(at) {
		r := instant(*d.ReportedAt)
		c.ReportedAt = &r
	}
	e := entry(c, KindCreated, d.CreatedBy, at)
	e.Body, e.To, e.ToTeam = c.Subject, c.AssigneeID, c.Team
	return c, e, nil
}

// FollowOn is a new case that follows on from prev, which is closed — or
// resolved longer ago than the reopen window, so it can no longer be
// reopened. What d leaves empty is taken from prev (contact, asset,
// opportunity, type, team, the customer's owner); the customer is prev's.
func FollowOn(prev Case, d Draft, reopenWindow time.Duration, now time.Time) (Case, Entry, error) {
	switch {
	case prev.State == StateResolved && prev.ResolvedAt != nil && !now.After(prev.ResolvedAt.Add(reopenWindow)):
		return Case{}, Entry{}, ErrReopenInstead
	case prev.State != StateClosed && prev.State != StateResolved:
		return Case{}, Entry{}, ErrNotFinished
	}
	if d.CustomerID != "" && d.CustomerID != prev.CustomerID {
		return Case{}, Entry{}, fieldErr("customer_id", "mismatch", "a follow-on case is for the customer of the case it follows on from")
	}
	d.CustomerID = prev.CustomerID
	fill := func(s *string, from string) {
		if *s == "" {
			*s = from
		}
	}
	fill(&d.ContactID, prev.ContactID)
	fill(&d.Asset, prev.Asset)
	fill(&d.OpportunityID, prev.OpportunityID)
	fill(&d.Type, prev.Type)
	fill(&d.Team, prev.Team)
	fill(&d.CustomerOwnerID, prev.CustomerOwnerID)
	fill(&d.CustomerTeam, prev.CustomerTeam)
	c, e, err := New(d, now)
	if err != nil {
		return Case{}, Entry{}, err
	}
	c.FollowOnOf = prev.ID
	e.From = prev.ID
	return c, e, nil
}

func checkDraft(d Draft, now time.Time) error {
	var v apperr.Validation
	if d.ReportedAt != nil {
		v.Check(!d.ReportedAt.After(now.Add(time.Minute)), "reported_at", "in_future", "a case cannot be reported in the future")
		v.Check(!d.ReportedAt.Before(now.Add(-MaxReportAge)), "reported_at", "too_old", "at most 30 days before filing")
	}
	if text(&v, "contact_email", d.ContactEmail, MaxEmail, false) {
		v.Check(validEmail(d.ContactEmail), "contact_email", "invalid", "an e-mail address such as name@example.com")
	}
	v.Check(d.Language == "" || slices.Contains(Languages, d.Language), "language", "invalid", "en or zh-Hans (or none: English)")
	v.Check(d.ID != "", "id", "required", "the case needs an id")
	v.Check(len(d.ID) <= MaxRef, "id", "too_long", "at most 36 characters")
	ref(&v, "customer_id", d.CustomerID, true)
	ref(&v, "contact_id", d.ContactID, false)
	ref(&v, "opportunity_id", d.OpportunityID, false)
	text(&v, "asset", d.Asset, MaxAsset, false)
	v.Check(slices.Contains(Types, d.Type), "type", "invalid", "one of "+strings.Join(Types, ", "))
	v.Check(d.Priority == "" || slices.Contains(Priorities, d.Priority), "priority", "invalid", "one of P1, P2, P3, P4 (or none: the type's default)")
	v.Check(slices.Contains(Channels, d.Channel), "channel", "invalid", "one of "+strings.Join(Channels, ", "))
	if text(&v, "subject", d.Subject, MaxSubject, true) {
		v.Check(strings.IndexFunc(d.Subject, unicode.IsControl) < 0, "subject", "invalid", "one line, without control characters")
	}
	text(&v, "description", d.Description, MaxDescription, false)
	user(&v, "assignee_id", d.AssigneeID, false)
	team(&v, "team", d.Team, true)
	user(&v, "customer_owner_id", d.CustomerOwnerID, false)
	team(&v, "customer_team", d.CustomerTeam, false)
	user(&v, "created_by", d.CreatedBy, true)
	return v.Err()
}

// Assignment is who a case goes to: an assignee in a team, or the team's
// queue (AssigneeID "").
type Assignment struct {
	AssigneeID string
	// Team "" keeps the case's team.
	Team, Reason string
}

// Assign gives the case to a.AssigneeID in a.Team (or to the team's queue),
// recording an "assigned" entry. Assigning a new case to someone opens it.
// A closed case keeps its assignee.
func Assign(c Case, a Assignment, actor string, now time.Time) (Case, []Entry, error) {
	if c.State == StateClosed {
		return c, nil, ErrCaseClosed
	}
	if a.Team == "" {
		a.Team = c.Team
	}
	var v apperr.Validation
	user(&v, "assignee_id", a.AssigneeID, false)
	team(&v, "team", a.Team, true)
	text(&v, "reason", a.Reason, MaxReason, false)
	if err := v.Err(); err != nil {
		return c, nil, err
	}
	if a.AssigneeID == c.AssigneeID && a.Team == c.Team {
		return c, nil, ErrAssignmentUnchanged
	}
	at := instant(now)
	e := entry(c, KindAssigned, actor, at)
	e.From, e.To, e.FromTeam, e.ToTeam, e.Reason = c.AssigneeID, a.AssigneeID, c.Team, a.Team, a.Reason
	c.AssigneeID, c.Team, c.UpdatedAt = a.AssigneeID, a.Team, at
	out := []Entry{e}
	if c.State == StateNew && c.AssigneeID != "" {
		c, out = opened(c, out, actor, "assigned", at)
	}
	return c, out, nil
}

// Reprioritize changes the case's priority, with a reason (the SLA targets
// follow the priority, so someone must say why they move). A resolved or
// closed case keeps its priority.
func Reprioritize(c Case, to, reason, actor string, now time.Time) (Case, []Entry, error) {
	switch c.State {
	case StateClosed:
		return c, nil, ErrCaseClosed
	case StateResolved:
		return c, nil, ErrCaseResolved
	}
	var v apperr.Validation
	v.Check(slices.Contains(Priorities, to), "priority", "invalid", "one of P1, P2, P3, P4")
	text(&v, "reason", reason, MaxReason, true)
	if err := v.Err(); err != nil {
		return c, nil, err
	}
	if to == c.Priority {
		return c, nil, ErrPriorityUnchanged
	}
	at := instant(now)
	e := entry(c, KindPriorityChanged, actor, at)
	e.From, e.To, e.Reason = c.Priority, to, reason
	c.Priority, c.UpdatedAt = to, at
	return c, []Entry{e}, nil
}

// instant is now as stored: UTC, to the microsecond (what both databases keep).
func instant(now time.Time) time.Time { return now.UTC().Truncate(time.Microsecond) }

// text checks a text field: valid UTF-8 without NUL (PostgreSQL refuses
// both), at most max characters, and not blank when required. It reports
// whether the field is present and fine.
func text(v *apperr.Validation, field, s string, max int, required bool) bool {
	if required && !v.Check(strings.TrimSpace(s) != "", field, "required", "is required") {
		return false
	}
	if !v.Check(utf8.ValidString(s) && !strings.ContainsRune(s, 0), field, "invalid", "must be valid text") {
		return false
	}
	return v.Check(utf8.RuneCountInString(s) <= max, field, "too_long", "at most "+strconv.Itoa(max)+" characters") && s != ""
}

// ValidRef reports whether s has the shape of an id (of a case, customer,
// contact or opportunity): at most 36 characters, no spaces or control
// characters, valid UTF-8. Ids of another shape name nothing, so they need
// no look-up.
func ValidRef(s string) bool {
	return len(s) <= MaxRef && utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) < 0
}

func ref(v *apperr.Validation, field, s string, required bool) {
	if required && !v.Check(s != "", field, "required", "is required") {
		return
	}
	v.Check(ValidRef(s), field, "invalid", "an id of at most 36 characters")
}

func user(v *apperr.Validation, field, s string, required bool) {
	if required && !v.Check(s != "", field, "required", "is required") {
		return
	}
	v.Check(utf8.ValidString(s) && len(s) <= MaxUser && strings.IndexFunc(s, unicode.IsControl) < 0, field, "invalid", "a user id of at most 200 characters")
}

func team(v *apperr.Validation, field, s string, required bool) {
	if required && !v.Check(strings.TrimSpace(s) != "", field, "required", "is required") {
		return
	}
	v.Check(utf8.ValidString(s) && utf8.RuneCountInString(s) <= MaxTeam && strings.IndexFunc(s, unicode.IsControl) < 0, field, "invalid", "a team name of at most 100 characters")
}

func fieldErr(field, code, msg string) error {
	var v apperr.Validation
	v.Add(field, code, msg)
	return v.Err()
}
