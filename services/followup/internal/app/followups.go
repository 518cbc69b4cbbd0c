package app

import (
	"cmp"
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/faults"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
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
	// Settled reports whether the workflow has no workflow task waiting or
	// running (true too when it has ended or does not exist): whether it
	// has taken in every signal sent to it.
	Settled(ctx context.Context, workflowID string) (bool, error)
}

// Customer is what a follow-up needs to know of its subject.
type Customer struct {
	OwnerID, Team, Region, ValueClass string
}

// Customers finds a customer within the caller's scope (not found otherwise):
// the customer service answers, as the caller (ports.CustomerAPI).
type Customers func(ctx context.Context, id string, scope auth.Scope) (Customer, error)

// Links builds the URLs each follow-up links to.
type Links struct {
	// TemporalUI is the Temporal web UI base URL ("" for no workflow link).
	TemporalUI string
	Namespace  string
}

// FollowUps is the follow-up use cases: people open, read, list, complete and
// cancel follow-ups and dry-run policy changes; workflows record them through
// activities (Record, UpdateDeadline, RecordStep, Close) and roll policy
// changes out (RolloutPage). The record is written only by the workflow that
// owns the obligation; people act on a follow-up by signalling it.
type FollowUps struct {
	store     *store.FollowUps
	policies  *Policies
	wf        Workflows
	customers Customers
	users     Users
	links     Links
	opened    openWaiters
	openPoll  time.Duration // 0: defaultOpenPoll
	paceCarry paceCarry     // where the last wake page ended (pacer)
	// RolloutPace, when set, sees how wake pages keep pace with the
	// workers.
	RolloutPace RolloutObserver
}

// NewFollowUps returns the use cases.
func NewFollowUps(s *store.FollowUps, p *Policies, wf Workflows, customers Customers, users Users, links Links) *FollowUps {
	return &FollowUps{store: s, policies: p, wf: wf, customers: customers, users: users, links: links}
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
	Customer string `json:"customer,omitempty"` // none for a follow-up about no customer (a notice)
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
	// Told are the in-app messages its steps sent, with who read them
	// (GET /v1/follow-ups/{id} only).
	Told []Told `json:"told,omitempty"`
}

// Told is a message a step sent: to one person (user_id) or to the managers
// of a team (managers_of), and who read it when.
type Told struct {
	Level      int        `json:"level"`
	Action     string     `json:"action"`
	UserID     string     `json:"user_id,omitempty"`
	ManagersOf string     `json:"managers_of,omitempty"`
	Urgent     bool       `json:"urgent"`
	At         time.Time  `json:"at"`
	Reads      []ReadView `json:"reads"`
	// Deliveries are its emails (one per recipient) and webhooks (one per
	// subscription): sent, held for quiet hours, retrying, failed or
	// suppressed, and why.
	Deliveries []DeliveryView `json:"deliveries"`
}

// ReadView is one reader's reading of a message.
type ReadView struct {
	UserID string    `json:"user_id"`
	At     time.Time `json:"at"`
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

// LatenessBuckets returns the lateness bucket names, least late first.
func LatenessBuckets() []string { return domain.LatenessBuckets() }

func (s *FollowUps) view(f domain.FollowUp, at time.Time) View {
	v := View{ID: f.ID, Kind: f.Kind, CustomerID: f.CustomerID, OwnerID: f.OwnerID, Team: f.Team, Territory: f.Territory, Title: f.Title,
		State: f.State, AnchorAt: f.AnchorAt, DueAt: f.DueAt, NextStepAt: f.NextStepAt, EscalationLevel: f.EscalationLevel, LastAction: f.LastAction,
		EscalatedAt: f.EscalatedAt, EscalatedTo: f.EscalatedTo(), Calendar: f.Calendar, CalendarVersion: f.CalendarVersion, WorkflowID: f.WorkflowID,
		OpenedBy: f.OpenedBy, CreatedAt: f.CreatedAt, ClosedAt: f.ClosedAt, ClosedBy: f.ClosedBy, CloseNote: f.CloseNote}
	l := f.LatenessAt(at)
	v.Overdue, v.OverdueSeconds, v.Lateness = l.Overdue, l.Seconds, l.Bucket
	if f.Policy != "" {
		v.Policy = &PolicyRef{Name: f.Policy, Key: f.PolicyKey, Version: f.PolicyVersion}
	}
	if f.EscalationPolicy != "" {
		v.EscalationPolicy = &PolicyRef{Name: f.EscalationPolicy, Version: f.EscalationPolicyVersion}
	}
	v.Links = LinksView{Self: "/v1/follow-ups/" + f.ID}
	if f.CustomerID != "" {
		v.Links.Customer = "/v1/customers/" + f.CustomerID
	}
	if s.links.TemporalUI != "" {
		v.Links.Workflow = strings.TrimRight(s.links.TemporalUI, "/") + "/namespaces/" + url.PathEscape(s.links.Namespace) + "/workflows/" + url.PathEscape(f.WorkflowID)
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
// poll). The store in this process wakes it at once (openWaiters), one by
// another replica through the database's notification (Stored); should
// that be missed, it is found by looking every defaultOpenPoll. A repeated
// request with the same idempotency key opens nothing new.
func (s *FollowUps) Open(ctx context.Context, in OpenInput, idemKey string, wait time.Duration) (View, bool, error) {
	p, err := auth.Authorize(ctx, auth.PermFollowupsWrite)
	if err != nil {
		return View{}, false, err
	}
	t := now()
	req := domain.OpenRequest{Kind: in.Kind, CustomerID: in.CustomerID, Title: in.Title, OwnerID: in.OwnerID, PolicyKey: in.PolicyKey,
		DueAt: in.DueAt, IdempotencyKey: idemKey}
	kind, err := req.Check(t)
	if err != nil {
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
	key, err := req.PolicyKeyFor(kind, c.ValueClass)
	if err != nil {
		return View{}, false, err
	}
	id := domain.FollowUpID(p.Subject, idemKey)
	spec := &followupv1.FollowUpSpec{Id: id, Kind: kind.Name, CustomerId: in.CustomerID, OwnerId: owner, Team: c.Team, Territory: c.Region,
		Title: in.Title, AnchorAt: timestamppb.New(t), PolicyKey: key, OpenedBy: p.Subject}
	if in.DueAt != nil {
		spec.DueAt = timestamppb.New(in.DueAt.UTC())
	}
	stored, stop := s.opened.wait(id)
	defer stop()
	if err := s.wf.StartFollowUp(ctx, spec); err != nil {
		return View{}, false, err
	}
	deadline, poll := time.Now().Add(wait), cmp.Or(s.openPoll, defaultOpenPoll)
	for {
		f, err := s.store.Get(ctx, id)
		if err == nil {
			return s.view(f, now()), true, nil
		}
		if !errors.Is(err, domain.ErrFollowUpNotFound) {
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
		case <-stored: // stored in this process: read it at once
			stored = nil // and poll from now on, should the read not find it
		case <-time.After(min(poll, max(time.Until(deadline), 0))):
		}
	}
}

// visible authorises perm and loads a follow-up the caller may see: one
// outside their scope is "not found", like one that does not exist. To read
// it, a manager of the team that asked for it may see it once the ladder
// escalated to them (domain.FollowUp.VisibleTo); to change it, it must be in
// the caller's scope.
func (s *FollowUps) visible(ctx context.Context, perm auth.Permission, id string) (auth.Principal, domain.FollowUp, error) {
	p, err := auth.Authorize(ctx, perm)
	if err != nil {
		return p, domain.FollowUp{}, err
	}
	f, err := s.store.Get(ctx, id)
	seen := domain.InScope(p.Scope(), f.OwnerID, f.Team)
	if perm == auth.PermFollowupsRead {
		seen = f.VisibleTo(p.Scope())
	}
	if err == nil && !seen {
		err = domain.ErrFollowUpNotFound
	}
	return p, f, err
}

// Get returns a follow-up with its history.
func (s *FollowUps) Get(ctx context.Context, id string) (View, error) {
	_, f, err := s.visible(ctx, auth.PermFollowupsRead, id)
	if err != nil {
		return View{}, err
	}
	evs, err := s.store.Events(ctx, id)
	if err != nil {
		return View{}, err
	}
	v := s.view(f, now())
	v.Events = make([]Event, len(evs))
	for i, e := range evs {
		v.Events[i] = Event{Action: e.Action, Level: e.Level, Actor: e.Actor, Detail: e.Detail, At: e.At, ScheduledAt: e.ScheduledAt, LateBy: e.LateBy()}
	}
	told, err := s.store.Told(ctx, id)
	if err != nil {
		return View{}, err
	}
	ds, err := s.store.Deliveries(ctx, id)
	if err != nil {
		return View{}, err
	}
	for _, t := range told {
		tv := Told{Level: t.Level, Action: t.Action, UserID: t.UserID, ManagersOf: t.ManagersOf, Urgent: t.Urgent, At: t.At, Reads: []ReadView{},
			Deliveries: []DeliveryView{}}
		for _, d := range ds {
			if d.NotificationID == t.ID {
				tv.Deliveries = append(tv.Deliveries, deliveryView(d, false))
			}
		}
		for _, r := range t.Reads {
			tv.Reads = append(tv.Reads, ReadView{UserID: r.UserID, At: r.At})
		}
		v.Told = append(v.Told, tv)
	}
	return v, nil
}

// Finish closes a follow-up on a person's word ("done" or "cancelled"): its
// workflow is signalled and closes it. If the workflow has ended without
// closing it, the record is closed here.
func (s *FollowUps) Finish(ctx context.Context, id, state, note string) (View, error) {
	p, f, err := s.visible(ctx, auth.PermFollowupsWrite, id)
	if err != nil {
		return View{}, err
	}
	if state == domain.StateCancelled && !p.Has(auth.RoleManager) && !p.Has(auth.RoleAdmin) {
		return View{}, apperr.Forbidden("forbidden", "only a manager may cancel a follow-up")
	}
	if err := domain.CheckNote(note); err != nil {
		return View{}, err
	}
	if err := f.CheckOpen(); err != nil {
		return View{}, err
	}
	err = s.wf.Signal(ctx, f.WorkflowID, wfc.SignalCloseFollowUp, &followupv1.CloseSignal{State: state, By: p.Subject, Note: note, FollowUpId: f.ID})
	if errors.Is(err, ErrWorkflowGone) {
		err = s.Close(ctx, id, domain.Closing{State: state, By: p.Subject, Note: note + " (its workflow had ended)"})
	}
	if err != nil {
		return View{}, err
	}
	// The workflow closes the record in a moment; wait briefly so the answer
	// shows it closed.
	for range 100 {
		cur, err := s.store.Get(ctx, id)
		if err != nil {
			return View{}, err
		}
		if cur.Closed() {
			return s.view(cur, now()), nil
		}
		select {
		case <-ctx.Done():
			return View{}, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return s.view(f, now()), nil
}

// Stored hears that a follow-up's record is stored — by any replica of the
// service (the store's notifications, heard by db.Listen): a request of
// this process waiting for it answers at once instead of at its next look.
func (s *FollowUps) Stored(id string) { s.opened.done(id) }

// Record stores a follow-up as its workflow opened it. A retried call (same
// id) changes nothing.
func (s *FollowUps) Record(ctx context.Context, o domain.Opening) error {
	f, err := domain.Open(o, now())
	if err != nil {
		return err
	}
	if err := s.store.Create(ctx, f); err != nil {
		return err
	}
	s.opened.done(f.ID)
	return nil
}

// UpdateDeadline records a due time re-computed under new policy versions.
func (s *FollowUps) UpdateDeadline(ctx context.Context, id string, c domain.DeadlineChange) error {
	return s.store.Update(ctx, id, func(f *domain.FollowUp) error {
		f.ChangeDeadline(c, now())
		return nil
	})
}

// AfterStepStore is the fault point (platform/faults) where an escalation
// step is stored and its caller not yet answered: killed there, the
// service leaves the step's workflow task (or activity) to Temporal to run
// again, and the repeated call finds the step stored.
const AfterStepStore = "followup.after-step-store"

// RecordStep records an escalation step. Levels only go up, so a retried
// call changes nothing.
func (s *FollowUps) RecordStep(ctx context.Context, id string, st domain.Step) error {
	err := s.store.Update(ctx, id, func(f *domain.FollowUp) error {
		f.RecordStep(st, now())
		return nil
	})
	if err == nil {
		faults.Point(AfterStepStore)
	}
	return err
}

// Close closes a follow-up; closing a closed one changes nothing.
func (s *FollowUps) Close(ctx context.Context, id string, c domain.Closing) error {
	if err := domain.CheckCloseState(c.State); err != nil {
		return err
	}
	return s.store.Update(ctx, id, func(f *domain.FollowUp) error { return f.Close(c, now()) })
}
