package domain

import (
	"fmt"
	"mime"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/workflows/infoslip"
)

// Info slips (信息流转单): a piece of information about a customer that the
// originator routes to the departments or people that must act on it. The
// rules vocabulary — states, ops, refusal codes, CheckCommand — is
// workflows/infoslip, which the InfoSlip workflow's validators use too; this
// file is the record: what a valid slip and a valid recipient are (NewSlip),
// every bad field reported at once. After filing a slip changes only through
// ApplySlip (slip_command.go), called by the workflow's activity; who sees
// and who may do what is slip_scope.go.

// Limits of a slip (characters, unless said otherwise).
const (
	MaxSlipBody           = 10000
	MaxSlipActionNote     = 10000
	MaxSlipAttachments    = 20
	MaxSlipAttachmentName = 200
	MaxSlipAttachmentSize = 1 << 30 // bytes: 1 GiB
	MaxSlipAttachmentType = 200
	MaxSlipAttachmentURL  = 2000
	MaxSlipName           = 200 // a customer's or a person's display name
	DefaultSlipUrgency    = "normal"
)

// Slip is an information routing slip. It is changed only through ApplySlip,
// which returns the changed copy and its timeline entries.
type Slip struct {
	ID string
	// The customer it is about, looked up when filed (like a case's).
	CustomerID, CustomerName, CustomerOwnerID, CustomerTeam string
	// Optional references (UUIDs): what else it is about.
	ContactID, LeadID, OpportunityID, CaseID, VisitID string
	Subject, Body                                     string
	Category                                          string // one of infoslip.Categories
	Urgency                                           string // one of infoslip.Urgencies
	Attachments                                       []SlipAttachment
	// DueAt is when the whole slip should be closed (nil: no date).
	DueAt *time.Time
	// The originator and their teams when they sent it (from the token):
	// the managers of those teams see the slip and act for the originator.
	OriginatorID, OriginatorName string
	OriginatorTeams              []string
	State                        string // infoslip.State*
	// Recipients, numbered 1.. in the order they got the slip; none is ever
	// removed (a forwarded or re-routed part keeps its place in the chain).
	Recipients []Recipient
	Version    int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ClosedAt   *time.Time
	// ClosedBy is who confirmed, or WorkflowActor (closed without objection).
	ClosedBy       string
	WithdrawnAt    *time.Time
	WithdrawReason string
	// AllDoneAt is when every counted recipient became done (nil while one
	// is not): the confirmation period counts from it.
	AllDoneAt *time.Time
}

// SlipAttachment is the metadata of a file kept elsewhere (the slip stores the link).
type SlipAttachment struct {
	Name        string
	Size        int64 // bytes
	ContentType string
	URL         string
}

// Recipient is one recipient's part of a slip.
type Recipient struct {
	N    int32  // its number on the slip, from 1
	Kind string // infoslip.KindDepartment or infoslip.KindPerson
	// Department is the department addressed; a person's is the department
	// of their first team that has one ("" none).
	Department string
	// Team is the department's team whose manager routes the part, or the
	// person's first team.
	Team string
	// UserID is who acts: the person, or for a department the person it was
	// routed to ("" not routed yet).
	UserID, UserName string
	State            string // infoslip.Recipient*
	// ReceivedAt is when it got the slip (filed, added, forwarded to,
	// re-routed to): its deadlines count from it.
	ReceivedAt     time.Time
	RoutedBy       string
	RoutedAt       *time.Time
	AcknowledgedAt *time.Time
	DoneAt         *time.Time
	ActionNote     string
	RejectedAt     *time.Time
	RejectReason   string
	// The chain: the recipient this part was forwarded (re-routed) to and
	// the one it came from (0 none).
	ForwardedTo, ForwardedFrom int32
	ReroutedTo, ReroutedFrom   int32
	// AddedBy is who gave it the slip (the originator, or who forwarded or
	// re-routed it).
	AddedBy string
}

// Person is someone of the organisation as the directory knows them (the
// app looks the named people up and passes what it found).
type Person struct {
	ID, Name string
	Teams    []string
	Manager  bool
	Enabled  bool
}

// RecipientInput names a recipient: a department (and optionally one of its
// teams) or a person.
type RecipientInput struct {
	Kind, Department, Team, UserID string
}

// NewSlipInput is a slip as its originator files it.
type NewSlipInput struct {
	// ID is the new slip's id (a UUID, v7: the caller makes it).
	ID string
	// The customer as looked up by the app.
	CustomerID, CustomerName, CustomerOwnerID, CustomerTeam string
	ContactID, LeadID, OpportunityID, CaseID, VisitID       string
	Subject, Body, Category                                 string
	// Urgency "" is DefaultSlipUrgency.
	Urgency     string
	Attachments []SlipAttachment
	DueAt       *time.Time
	Recipients  []RecipientInput
}

// NewSlip is a new open slip as in says, sent by originator, with every
// recipient pending, and its "created" entry; every bad field is reported at
// once (422). people are the named persons the app found in the directory,
// by id (one missing or disabled is not a person of the organisation).
func NewSlip(in NewSlipInput, originator auth.Principal, org Org, people map[string]Person, now time.Time) (Slip, SlipEntry, error) {
	at := instant(now)
	var v apperr.Validation
	v.Check(slipUUID(in.ID), "id", "invalid", "the slip's id is a UUID")
	ref(&v, "customer_id", in.CustomerID, true)
	text(&v, "customer_name", in.CustomerName, MaxSlipName, false)
	user(&v, "customer_owner_id", in.CustomerOwnerID, false)
	team(&v, "customer_team", in.CustomerTeam, false)
	for _, f := range []struct{ name, val string }{{"contact_id", in.ContactID}, {"lead_id", in.LeadID},
		{"opportunity_id", in.OpportunityID}, {"case_id", in.CaseID}, {"visit_id", in.VisitID}} {
		v.Check(f.val == "" || slipUUID(f.val), f.name, "invalid", "a UUID (or none)")
	}
	if text(&v, "subject", in.Subject, MaxSubject, true) {
		v.Check(strings.IndexFunc(in.Subject, unicode.IsControl) < 0, "subject", "invalid", "one line, without control characters")
	}
	text(&v, "body", in.Body, MaxSlipBody, false)
	v.Check(slices.Contains(infoslip.Categories, in.Category), "category", "invalid", "one of "+strings.Join(infoslip.Categories, ", "))
	if in.Urgency == "" {
		in.Urgency = DefaultSlipUrgency
	}
	v.Check(slices.Contains(infoslip.Urgencies, in.Urgency), "urgency", "invalid", "one of "+strings.Join(infoslip.Urgencies, ", "))
	checkSlipAttachments(&v, in.Attachments)
	if in.DueAt != nil {
		v.Check(in.DueAt.After(now), "due_at", "in_past", "a due date in the future")
	}
	user(&v, "originator", originator.Subject, true)
	text(&v, "originator_name", originator.Name, MaxSlipName, false)
	for i, t := range originator.Teams {
		team(&v, fmt.Sprintf("originator_teams[%d]", i), t, true)
	}

	s := Slip{
		ID: in.ID, CustomerID: in.CustomerID, CustomerName: strings.TrimSpace(in.CustomerName), CustomerOwnerID: in.CustomerOwnerID,
		CustomerTeam: in.CustomerTeam, ContactID: in.ContactID, LeadID: in.LeadID, OpportunityID: in.OpportunityID,
		CaseID: in.CaseID, VisitID: in.VisitID, Subject: strings.TrimSpace(in.Subject), Body: in.Body, Category: in.Category,
		Urgency: in.Urgency, OriginatorID: originator.Subject, OriginatorName: originator.Name, State: infoslip.StateOpen,
		Version: 1, CreatedAt: at, UpdatedAt: at,
	}
	if len(in.Attachments) > 0 { // none is nil, as stored
		s.Attachments = slices.Clone(in.Attachments)
	}
	if len(originator.Teams) > 0 {
		s.OriginatorTeams = slices.Clone(originator.Teams)
	}
	if in.DueAt != nil {
		d := instant(*in.DueAt)
		s.DueAt = &d
	}
	switch n := len(in.Recipients); {
	case n == 0:
		v.Add("recipients", "required", "name at least one department or person")
	case n > infoslip.MaxRecipients:
		v.Add("recipients", infoslip.CodeTooManyRecipients, "at most 49 recipients: a message to 50 or more is a notice")
	}
	for i, ri := range in.Recipients {
		if r, ok := s.newRecipient(&v, fmt.Sprintf("recipients[%d]", i), ri, org, people, originator.Subject, at); ok {
			s.Recipients = append(s.Recipients, r)
		}
	}
	if err := v.Err(); err != nil {
		return Slip{}, SlipEntry{}, err
	}
	e := s.entry(SlipKindCreated, originator.Subject, at)
	e.Body = s.Subject
	return s, e, nil
}

func checkSlipAttachments(v *apperr.Validation, as []SlipAttachment) {
	v.Check(len(as) <= MaxSlipAttachments, "attachments", "too_many", "at most 20 attachments")
	for i, a := range as {
		f := func(name string) string { return fmt.Sprintf("attachments[%d].%s", i, name) }
		text(v, f("name"), a.Name, MaxSlipAttachmentName, true)
		v.Check(a.Size >= 0 && a.Size <= MaxSlipAttachmentSize, f("size"), "invalid", "0 to 1 GiB (1073741824 bytes)")
		v.Check(slipMIME(a.ContentType), f("content_type"), "invalid", "a MIME type such as application/pdf")
		v.Check(slipLink(a.URL), f("url"), "invalid", "an http or https link of at most 2000 characters")
	}
}

// slipMIME: type/subtype (parameters allowed), at most 200 characters.
func slipMIME(s string) bool {
	if len(s) > MaxSlipAttachmentType {
		return false
	}
	mt, _, err := mime.ParseMediaType(s)
	typ, sub, ok := strings.Cut(mt, "/")
	return err == nil && ok && typ != "" && sub != "" && !strings.Contains(sub, "/")
}

// slipLink: an absolute http(s) URL with a host, at most 2000 characters.
func slipLink(s string) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxSlipAttachmentURL || strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// slipUUID: the canonical 36-character form.
func slipUUID(s string) bool {
	_, err := uuid.Parse(s)
	return len(s) == 36 && err == nil
}

// newRecipient checks in as a recipient the slip gets now (at filing, or
// added, forwarded or re-routed to) and returns it numbered after the
// slip's last: a known department and one of its teams, or an enabled
// person of the directory; not the originator; not a recipient of the slip
// that still owes it something (the same person, the same department team).
// Problems go to v under field; ok is false when there were any.
func (s *Slip) newRecipient(v *apperr.Validation, field string, in RecipientInput, org Org, people map[string]Person, actor string, at time.Time) (Recipient, bool) {
	var w apperr.Validation
	r := Recipient{N: s.nextN(), Kind: in.Kind, State: infoslip.RecipientPending, ReceivedAt: at, AddedBy: actor}
	switch in.Kind {
	case infoslip.KindPerson:
		w.Check(in.Department == "", field+".department", "not_allowed", "a person's department is their team's: leave it empty")
		w.Check(in.Team == "", field+".team", "not_allowed", "a person's team is theirs in the directory: leave it empty")
		if p, ok := s.person(&w, field+".user_id", in.UserID, people); ok {
			r.UserID, r.UserName = p.ID, p.Name
			if len(p.Teams) > 0 {
				r.Team = p.Teams[0]
			}
			if ds := org.DepartmentsOf(p.Teams); len(ds) > 0 {
				r.Department = ds[0]
			}
			w.Check(!s.owes(func(o Recipient) bool { return o.UserID == p.ID }), field+".user_id", "duplicate",
				"this person already has the slip")
		}
	case infoslip.KindDepartment:
		w.Check(in.UserID == "", field+".user_id", "not_allowed", "a department's manager routes its part to a person: leave it empty")
		if !w.Check(org.Has(in.Department), field+".department", "unknown_department", "one of the organisation's departments: "+strings.Join(org.Departments(), ", ")) {
			break
		}
		r.Department, r.Team = in.Department, in.Team
		if r.Team == "" {
			r.Team = org.TeamsOf(in.Department)[0]
		}
		if !w.Check(slices.Contains(org.TeamsOf(in.Department), r.Team), field+".team", "not_in_department",
			"one of "+in.Department+"'s teams: "+strings.Join(org.TeamsOf(in.Department), ", ")) {
			break
		}
		same := func(o Recipient) bool {
			return o.Kind == infoslip.KindDepartment && o.Department == r.Department && o.Team == r.Team
		}
		w.Check(!s.owes(same), field+".department", "duplicate", "this department's team already has the slip")
	default:
		w.Add(field+".kind", "invalid", "department or person")
	}
	for _, f := range slipFields(w.Err()) {
		v.Add(f.Field, f.Code, f.Message)
	}
	return r, w.Empty()
}

// person looks a person up for field: known, enabled, not the originator.
func (s *Slip) person(v *apperr.Validation, field, id string, people map[string]Person) (Person, bool) {
	if !v.Check(id != "", field, "required", "is required") {
		return Person{}, false
	}
	p, ok := people[id]
	if !v.Check(ok && p.Enabled && p.ID == id, field, "unknown_user", "not a person of the organisation") {
		return Person{}, false
	}
	return p, v.Check(id != s.OriginatorID, field, "self", "the originator is not their own recipient")
}

// owes reports whether a recipient that still owes the slip something matches.
func (s *Slip) owes(match func(Recipient) bool) bool {
	return slices.ContainsFunc(s.Recipients, func(o Recipient) bool { return infoslip.Owes(o.State) && match(o) })
}

func (s *Slip) nextN() int32 {
	var n int32
	for _, r := range s.Recipients {
		n = max(n, r.N)
	}
	return n + 1
}

func slipFields(err error) []apperr.FieldError {
	if err == nil {
		return nil
	}
	return apperr.From(err).Fields
}

// Recipient returns the recipient numbered n.
func (s Slip) Recipient(n int32) (Recipient, bool) {
	i := s.index(n)
	if i < 0 {
		return Recipient{}, false
	}
	return s.Recipients[i], true
}

func (s Slip) index(n int32) int {
	return slices.IndexFunc(s.Recipients, func(r Recipient) bool { return r.N == n })
}

// AllDone reports whether every recipient the closure waits for is done.
func (s Slip) AllDone() bool { return s.Rules().AllDone() }

// Rules is the slip as the workflow's rules see it (infoslip.CheckCommand).
func (s Slip) Rules() infoslip.Slip {
	out := infoslip.Slip{State: s.State, Recipients: make([]infoslip.Recipient, len(s.Recipients))}
	for i, r := range s.Recipients {
		out.Recipients[i] = infoslip.Recipient{N: r.N, Kind: r.Kind, State: r.State, UserID: r.UserID}
	}
	return out
}

// Clone is a copy of s that shares nothing changeable with it.
func (s Slip) Clone() Slip {
	s.Attachments = slices.Clone(s.Attachments)
	s.OriginatorTeams = slices.Clone(s.OriginatorTeams)
	s.Recipients = slices.Clone(s.Recipients)
	return s
}

// Label names a recipient for people: the person, or the department and team.
func (r Recipient) Label() string {
	if r.Kind == infoslip.KindPerson || r.UserID != "" {
		name := r.UserName
		if name == "" {
			name = r.UserID
		}
		if r.Kind == infoslip.KindDepartment {
			return name + " (" + r.Department + "/" + r.Team + ")"
		}
		return name
	}
	return r.Department + "/" + r.Team
}

// slipN is a recipient number as an entry's From/To.
func slipN(n int32) string { return strconv.Itoa(int(n)) }
