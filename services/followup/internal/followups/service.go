package followups

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/followup/internal/adapters"
	"github.com/closeloop/closeloop/services/followup/internal/app"
	"github.com/closeloop/closeloop/workflows/policy"
)

// ErrWorkflowGone is returned by Workflows.Signal when the workflow has ended.
var ErrWorkflowGone = errors.New("the workflow is no longer running")

// Workflows starts and signals follow-up workflows (Temporal).
type Workflows interface {
	// StartFollowUp starts the FollowUp workflow; starting the same id twice
	// is not an error.
	StartFollowUp(ctx context.Context, spec *followupv1.FollowUpSpec) error
	Signal(ctx context.Context, workflowID, name string, payload any) error
	// Ended returns which of the workflow ids have ended: no run is open and
	// at least one has closed (completed, failed, cancelled, terminated or
	// timed out).
	Ended(ctx context.Context, workflowIDs []string) (map[string]bool, error)
}

// Customer is what a follow-up needs to know of its subject.
type Customer struct {
	OwnerID, Team, Region, ValueClass string
}

// Customers finds a customer within the caller's scope (not found otherwise):
// the customer service answers, as the caller (ports.CustomerAPI).
type Customers func(ctx context.Context, id string, scope auth.Scope) (Customer, error)

// Service is the follow-up use cases.
type Service struct {
	db        *gorm.DB
	wf        Workflows
	customers Customers
	policies  *app.Policies
	links     Links
}

// Links builds the URLs each follow-up links to.
type Links struct {
	// TemporalUI is the Temporal web UI base URL ("" for no workflow link).
	TemporalUI string
	Namespace  string
}

// New returns the service.
func New(gdb *gorm.DB, wf Workflows, customers Customers, p *app.Policies, links Links) *Service {
	return &Service{db: gdb, wf: wf, customers: customers, policies: p, links: links}
}

// PolicyRef names a policy version.
type PolicyRef struct {
	Name    string `json:"name"`
	Key     string `json:"key,omitempty"`
	Version int64  `json:"version"`
}

// LinksView are the URLs of what a follow-up is about.
type LinksView struct {
	Self     string `json:"self"`
	Customer string `json:"customer"`
	Workflow string `json:"workflow,omitempty"`
}

// View is a follow-up as the API shows it.
type View struct {
	ID               string     `json:"id"`
	Kind             string     `json:"kind"`
	CustomerID       string     `json:"customer_id"`
	OwnerID          string     `json:"owner_id"`
	Team             string     `json:"team"`
	Territory        string     `json:"territory"`
	Title            string     `json:"title"`
	State            string     `json:"state"`
	AnchorAt         time.Time  `json:"anchor_at"`
	DueAt            time.Time  `json:"due_at"`
	Overdue          bool       `json:"overdue"`
	OverdueSeconds   int64      `json:"overdue_seconds"`
	Lateness         string     `json:"lateness,omitempty"`
	NextStepAt       *time.Time `json:"next_step_at,omitempty"`
	EscalationLevel  int        `json:"escalation_level"`
	LastAction       string     `json:"last_action,omitempty"`
	EscalatedAt      *time.Time `json:"escalated_at,omitempty"`
	EscalatedTo      string     `json:"escalated_to,omitempty"`
	Policy           *PolicyRef `json:"policy,omitempty"`
	EscalationPolicy *PolicyRef `json:"escalation_policy,omitempty"`
	Calendar         string     `json:"calendar,omitempty"`
	CalendarVersion  int64      `json:"calendar_version,omitempty"`
	WorkflowID       string     `json:"workflow_id"`
	OpenedBy         string     `json:"opened_by"`
	CreatedAt        time.Time  `json:"created_at"`
	ClosedAt         *time.Time `json:"closed_at,omitempty"`
	ClosedBy         *string    `json:"closed_by,omitempty"`
	CloseNote        string     `json:"close_note,omitempty"`
	Links            LinksView  `json:"links"`
	Events           []Event    `json:"events,omitempty"`
}

// Event is one entry of a follow-up's history.
type Event struct {
	Action string `json:"action"`
	Level  int    `json:"level"`
	Actor  string `json:"actor"`
	Detail string `json:"detail"`
	// At is when it happened; for an escalation step, when it ran.
	At time.Time `json:"at"`
	// ScheduledAt is, for an escalation step, when the ladder had it due;
	// LateBy is At minus ScheduledAt (how late the step ran).
	ScheduledAt *time.Time `json:"scheduled_at,omitempty"`
	LateBy      string     `json:"late_by,omitempty"`
}

// Lateness buckets, by how long ago the due time passed.
var buckets = []struct {
	Name     string
	From, To time.Duration // lateness in (From, To]; To 0 = unbounded
}{
	{"under_1d", 0, 24 * time.Hour},
	{"1d_3d", 24 * time.Hour, 72 * time.Hour},
	{"3d_7d", 72 * time.Hour, 168 * time.Hour},
	{"over_7d", 168 * time.Hour, 0},
}

// LatenessBuckets returns the bucket names, least late first.
func LatenessBuckets() []string {
	out := make([]string, len(buckets))
	for i, b := range buckets {
		out[i] = b.Name
	}
	return out
}

func bucketOf(late time.Duration) string {
	for _, b := range buckets {
		if late > b.From && (b.To == 0 || late <= b.To) {
			return b.Name
		}
	}
	return ""
}

func (s *Service) view(r Row, at time.Time) View {
	v := View{ID: r.ID, Kind: r.Kind, CustomerID: r.CustomerID, OwnerID: r.OwnerID, Team: r.Team, Territory: r.Territory, Title: r.Title,
		State: r.State, AnchorAt: r.AnchorAt, DueAt: r.DueAt, NextStepAt: r.NextStepAt, EscalationLevel: r.EscalationLevel, LastAction: r.LastAction,
		EscalatedAt: r.EscalatedAt, Calendar: r.Calendar, CalendarVersion: r.CalendarVersion, WorkflowID: r.WorkflowID, OpenedBy: r.OpenedBy,
		CreatedAt: r.CreatedAt, ClosedAt: r.ClosedAt, ClosedBy: r.ClosedBy, CloseNote: r.CloseNote}
	if r.ClosedAt == nil && r.DueAt.Before(at) {
		v.Overdue = true
		v.OverdueSeconds = int64(at.Sub(r.DueAt) / time.Second)
		v.Lateness = bucketOf(at.Sub(r.DueAt))
	}
	if r.State == StateEscalated && (r.LastAction == "escalate_manager" || r.LastAction == "reassign" || r.LastAction == "return_to_pool") {
		v.EscalatedTo = "managers of team " + r.Team
	}
	if r.Policy != "" {
		v.Policy = &PolicyRef{Name: r.Policy, Key: r.PolicyKey, Version: r.PolicyVersion}
	}
	if r.EscalationPolicy != "" {
		v.EscalationPolicy = &PolicyRef{Name: r.EscalationPolicy, Version: r.EscalationPolicyVersion}
	}
	v.Links = LinksView{Self: "/v1/follow-ups/" + r.ID, Customer: "/v1/customers/" + r.CustomerID}
	if s.links.TemporalUI != "" {
		v.Links.Workflow = strings.TrimRight(s.links.TemporalUI, "/") + "/namespaces/" + url.PathEscape(s.links.Namespace) + "/workflows/" + url.PathEscape(r.WorkflowID)
	}
	return v
}

// OpenInput is a follow-up a person opens on a customer.
type OpenInput struct {
	Kind       string
	CustomerID string
	Title      string
	OwnerID    string     // "" = the customer's owner
	PolicyKey  string     // table policies: "" = derived (care: the customer's ABC class)
	DueAt      *time.Time // nil = computed by the kind's deadline policy
}

// Open starts the FollowUp workflow for a new follow-up and returns it once
// the workflow has stored it (or, if that takes longer than wait, the id to
// poll). A repeated request with the same idempotency key opens nothing new.
func (s *Service) Open(ctx context.Context, in OpenInput, idemKey string, wait time.Duration) (View, bool, error) {
	p, err := auth.Authorize(ctx, auth.PermFollowupsWrite)
	if err != nil {
		return View{}, false, err
	}
	var v apperr.Validation
	kind, ok := policy.LookupKind(in.Kind)
	if v.Check(in.Kind != "", "kind", "required", "the kind of obligation, such as callback or first_contact") && !ok {
		names := []string{}
		for _, k := range policy.Kinds() {
			names = append(names, k.Name)
		}
		v.Add("kind", "invalid", "unknown kind; use one of "+strings.Join(names, ", "))
	}
	v.Check(in.CustomerID != "", "customer_id", "required", "the customer the follow-up is about")
	v.Check(len([]rune(in.Title)) <= 300, "title", "too_long", "at most 300 characters")
	v.Check(len(in.OwnerID) <= 200, "owner_id", "too_long", "at most 200 characters")
	v.Check(len(idemKey) <= 200, "Idempotency-Key", "too_long", "at most 200 characters")
	t := now()
	if in.DueAt != nil {
		v.Check(in.DueAt.After(t), "due_at", "in_the_past", "a due time must be in the future")
		v.Check(in.DueAt.Before(t.AddDate(2, 0, 0)), "due_at", "out_of_range", "at most two years ahead")
	}
	if err := v.Err(); err != nil {
		return View{}, false, err
	}
	c, err := s.customers(ctx, in.CustomerID, p.Scope())
	if err != nil {
		return View{}, false, err
	}
	owner := c.OwnerID
	if in.OwnerID != "" && in.OwnerID != owner {
		if !p.Has(auth.RoleManager) && !p.Has(auth.RoleAdmin) {
			return View{}, false, apperr.Forbidden("forbidden", "only a manager may give a follow-up to someone other than the customer's owner")
		}
		owner = in.OwnerID
	}
	key := in.PolicyKey
	if d, _ := policy.Lookup(kind.Deadline); d.Shape == policy.ShapeTable && in.DueAt == nil {
		if key == "" && kind.Name == policy.KindCareContact {
			key = c.ValueClass
		}
		if !slices.Contains(d.Keys, key) {
			v.Add("policy_key", "invalid", fmt.Sprintf("%s needs a %s: one of %s", kind.Name, d.KeyMeaning, strings.Join(d.Keys, ", ")))
			return View{}, false, v.Err()
		}
	} else if key != "" && in.DueAt == nil {
		v.Add("policy_key", "not_allowed", kind.Deadline+" is not a table; leave policy_key out")
		return View{}, false, v.Err()
	}
	id := uuid.Must(uuid.NewV7()).String()
	if idemKey != "" {
		id = uuid.NewSHA1(uuid.NameSpaceOID, []byte("closeloop/follow-up\x00"+p.Subject+"\x00"+idemKey)).String()
	}
	spec := &followupv1.FollowUpSpec{Id: id, Kind: kind.Name, CustomerId: in.CustomerID, OwnerId: owner, Team: c.Team, Territory: c.Region,
		Title: in.Title, AnchorAt: timestamppb.New(t), PolicyKey: key, OpenedBy: p.Subject}
	if in.DueAt != nil {
		spec.DueAt = timestamppb.New(in.DueAt.UTC())
	}
	if err := s.wf.StartFollowUp(ctx, spec); err != nil {
		return View{}, false, err
	}
	deadline := time.Now().Add(wait)
	for {
		var r Row
		err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error
		if err == nil {
			return s.view(r, now()), true, nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return View{}, false, err
		}
		if time.Now().After(deadline) {
			return View{ID: id, Kind: kind.Name, CustomerID: in.CustomerID, OwnerID: owner, Team: c.Team, Territory: c.Region, Title: in.Title,
				State: "opening", WorkflowID: wfc.FollowUpWorkflowID(id), OpenedBy: p.Subject, CreatedAt: t,
				Links: LinksView{Self: "/v1/follow-ups/" + id, Customer: "/v1/customers/" + in.CustomerID}}, false, nil
		}
		select {
		case <-ctx.Done():
			return View{}, false, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *Service) visible(ctx context.Context, perm auth.Permission, id string) (auth.Principal, Row, error) {
	p, err := auth.Authorize(ctx, perm)
	if err != nil {
		return p, Row{}, err
	}
	var r Row
	err = s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && !adapters.InScope(p.Scope(), r.OwnerID, r.Team)) {
		return p, r, apperr.NotFound("not_found", "no such follow-up")
	}
	return p, r, err
}

// Get returns a follow-up with its history.
func (s *Service) Get(ctx context.Context, id string) (View, error) {
	_, r, err := s.visible(ctx, auth.PermFollowupsRead, id)
	if err != nil {
		return View{}, err
	}
	var evs []EventRow
	if err := s.db.WithContext(ctx).Where("follow_up_id = ?", id).Order("at, id").Find(&evs).Error; err != nil {
		return View{}, err
	}
	v := s.view(r, now())
	v.Events = make([]Event, len(evs))
	for i, e := range evs {
		v.Events[i] = Event{Action: e.Action, Level: e.Level, Actor: e.Actor, Detail: e.Detail, At: e.At, ScheduledAt: e.ScheduledAt}
		if e.ScheduledAt != nil {
			v.Events[i].LateBy = max(e.At.Sub(*e.ScheduledAt), 0).String()
		}
	}
	return v, nil
}

// Finish closes a follow-up on a person's word ("done" or "cancelled"): its
// workflow is signalled and closes it. If the workflow has ended without
// closing it, the record is closed here.
func (s *Service) Finish(ctx context.Context, id, state, note string) (View, error) {
	p, r, err := s.visible(ctx, auth.PermFollowupsWrite, id)
	if err != nil {
		return View{}, err
	}
	if state == StateCancelled && !p.Has(auth.RoleManager) && !p.Has(auth.RoleAdmin) {
		return View{}, apperr.Forbidden("forbidden", "only a manager may cancel a follow-up")
	}
	if len([]rune(note)) > 2000 {
		var v apperr.Validation
		v.Add("note", "too_long", "at most 2000 characters")
		return View{}, v.Err()
	}
	if r.ClosedAt != nil {
		return View{}, apperr.Rule("already_closed", "this follow-up is already "+r.State)
	}
	err = s.wf.Signal(ctx, r.WorkflowID, wfc.SignalCloseFollowUp, &followupv1.CloseSignal{State: state, By: p.Subject, Note: note})
	if errors.Is(err, ErrWorkflowGone) {
		err = s.Close(ctx, &followupv1.CloseFollowUpInput{Id: id, State: state, By: p.Subject, Note: note + " (its workflow had ended)"})
	}
	if err != nil {
		return View{}, err
	}
	// The workflow closes the record in a moment; wait briefly so the answer
	// shows it closed.
	for range 100 {
		var cur Row
		if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&cur).Error; err != nil {
			return View{}, err
		}
		if cur.ClosedAt != nil {
			return s.view(cur, now()), nil
		}
		select {
		case <-ctx.Done():
			return View{}, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return s.view(r, now()), nil
}
