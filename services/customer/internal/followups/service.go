package followups

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/policies"
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

// Customers finds a customer within the caller's scope (not found otherwise).
type Customers func(ctx context.Context, id string, scope auth.Scope) (Customer, error)

// Service is the follow-up use cases.
type Service struct {
	db        *gorm.DB
	wf        Workflows
	customers Customers
	policies  *policies.Service
	links     Links
	onClose   []CloseHook
}

// CloseHook runs inside the transaction that closes a follow-up (once per
// follow-up), with the row as it was open, the new state, who closed it and when.
type CloseHook func(tx *gorm.DB, r Row, state, by string, at time.Time) error

// OnClose adds a hook run whenever a follow-up closes; set it up before use.
func (s *Service) OnClose(h CloseHook) { s.onClose = append(s.onClose, h) }

// Links builds the URLs each follow-up links to.
type Links struct {
	// TemporalUI is the Temporal web UI base URL ("" for no workflow link).
	TemporalUI string
	Namespace  string
}

// New returns the service.
func New(gdb *gorm.DB, wf Workflows, customers Customers, p *policies.Service, links Links) *Service {
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
	Action string    `json:"action"`
	Level  int       `json:"level"`
	Actor  string    `json:"actor"`
	Detail string    `json:"detail"`
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

// Filter narrows follow-up lists.
type Filter struct {
	Team, OwnerID, Kind, Territory, CustomerID string
	Lateness                                   string // overdue lists only
	State                                      string // "open" (default), "closed", "all"; plain lists only
}

func (f Filter) check(overdue bool) error {
	var v apperr.Validation
	if f.Kind != "" {
		_, ok := policy.LookupKind(f.Kind)
		v.Check(ok, "kind", "invalid", "unknown follow-up kind")
	}
	if overdue && f.Lateness != "" {
		v.Check(slices.Contains(LatenessBuckets(), f.Lateness), "lateness", "invalid", "use one of "+strings.Join(LatenessBuckets(), ", "))
	}
	if !overdue {
		v.Check(f.State == "" || f.State == "open" || f.State == "closed" || f.State == "all", "state", "invalid", "use open, closed or all")
	}
	for name, val := range map[string]string{"team": f.Team, "owner_id": f.OwnerID, "territory": f.Territory, "customer_id": f.CustomerID} {
		v.Check(len(val) <= 200, name, "too_long", "at most 200 characters")
	}
	return v.Err()
}

func (f Filter) apply(q *gorm.DB) *gorm.DB {
	if f.Team != "" {
		q = q.Where("team = ?", f.Team)
	}
	if f.OwnerID != "" {
		q = q.Where("owner_id = ?", f.OwnerID)
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if f.Territory != "" {
		q = q.Where("territory = ?", f.Territory)
	}
	if f.CustomerID != "" {
		q = q.Where("customer_id = ?", f.CustomerID)
	}
	return q
}

// overdueQuery is the open, overdue follow-ups in the caller's scope that
// match f at instant at: a range over the partial index of open rows.
func (s *Service) overdueQuery(ctx context.Context, scope auth.Scope, f Filter, at time.Time) *gorm.DB {
	q := s.db.WithContext(ctx).Model(&Row{}).Where("closed_at IS NULL AND due_at < ?", at)
	q = f.apply(adapters.Scoped(q, scope, ""))
	for _, b := range buckets {
		if b.Name == f.Lateness {
			q = q.Where("due_at < ?", at.Add(-b.From))
			if b.To != 0 {
				q = q.Where("due_at >= ?", at.Add(-b.To))
			}
		}
	}
	return q
}

// Cursor is a keyset position in a follow-up list.
type Cursor struct {
	Due time.Time `json:"d"`
	ID  string    `json:"i"`
	At  time.Time `json:"a,omitzero"` // overdue lists: the instant lateness is measured at
}

// Page is a page of follow-ups.
type Page struct {
	Items      []View `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// Overdue lists overdue follow-ups, most late first. Pages measure lateness
// at the instant of the first page, so paging never skips or repeats.
func (s *Service) Overdue(ctx context.Context, f Filter, after *Cursor, limit int, encode func(any) string) (Page, error) {
	p, err := auth.Authorize(ctx, auth.PermFollowupsRead)
	if err != nil {
		return Page{}, err
	}
	if err := f.check(true); err != nil {
		return Page{}, err
	}
	at := now()
	q := s.overdueQuery(ctx, p.Scope(), f, at)
	if after != nil {
		if !after.At.IsZero() {
			at = after.At
			q = s.overdueQuery(ctx, p.Scope(), f, at)
		}
		q = q.Where("(due_at, id) > (?, ?)", after.Due, after.ID)
	}
	return s.page(q, limit, at, encode)
}

func (s *Service) page(q *gorm.DB, limit int, at time.Time, encode func(any) string) (Page, error) {
	var rows []Row
	if err := q.Order("due_at, id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return Page{}, err
	}
	out := Page{Items: make([]View, 0, min(len(rows), limit))}
	for i, r := range rows {
		if i == limit {
			last := rows[limit-1]
			out.NextCursor = encode(Cursor{Due: last.DueAt, ID: last.ID, At: at})
			break
		}
		out.Items = append(out.Items, s.view(r, at))
	}
	return out, nil
}

// List lists follow-ups in scope (open ones by default), soonest due first.
func (s *Service) List(ctx context.Context, f Filter, after *Cursor, limit int, encode func(any) string) (Page, error) {
	p, err := auth.Authorize(ctx, auth.PermFollowupsRead)
	if err != nil {
		return Page{}, err
	}
	if err := f.check(false); err != nil {
		return Page{}, err
	}
	q := f.apply(adapters.Scoped(s.db.WithContext(ctx).Model(&Row{}), p.Scope(), ""))
	switch f.State {
	case "", "open":
		q = q.Where("closed_at IS NULL")
	case "closed":
		q = q.Where("closed_at IS NOT NULL")
	}
	if after != nil {
		q = q.Where("(due_at, id) > (?, ?)", after.Due, after.ID)
	}
	return s.page(q, limit, now(), encode)
}

// Count is a number of overdue follow-ups with the oldest due time.
type Count struct {
	Team        string    `json:"team,omitempty"`
	OwnerID     string    `json:"owner_id,omitempty"`
	Overdue     int64     `json:"overdue"`
	Escalated   int64     `json:"escalated"`
	OldestDueAt time.Time `json:"oldest_due_at"`
}

// Counts summarises overdue follow-ups per owner, per team and per lateness bucket.
type Counts struct {
	At         time.Time        `json:"at"`
	Total      int64            `json:"total"`
	ByTeam     []Count          `json:"by_team"`
	ByOwner    []Count          `json:"by_owner"`
	ByLateness map[string]int64 `json:"by_lateness"`
}

// OverdueCounts counts overdue follow-ups in scope matching f.
func (s *Service) OverdueCounts(ctx context.Context, f Filter) (Counts, error) {
	p, err := auth.Authorize(ctx, auth.PermFollowupsRead)
	if err != nil {
		return Counts{}, err
	}
	if err := f.check(true); err != nil {
		return Counts{}, err
	}
	at := now()
	var rows []struct {
		Team, OwnerID string
		N, Escalated  int64
		Oldest        dbTime
		B1, B2, B3    int64
	}
	d1, d3, d7 := at.Add(-24*time.Hour), at.Add(-72*time.Hour), at.Add(-168*time.Hour)
	err = s.overdueQuery(ctx, p.Scope(), f, at).
		Select(`team, owner_id, COUNT(*) AS n, SUM(CASE WHEN state = 'escalated' THEN 1 ELSE 0 END) AS escalated, MIN(due_at) AS oldest,
			SUM(CASE WHEN due_at >= ? THEN 1 ELSE 0 END) AS b1,
			SUM(CASE WHEN due_at < ? AND due_at >= ? THEN 1 ELSE 0 END) AS b2,
			SUM(CASE WHEN due_at < ? AND due_at >= ? THEN 1 ELSE 0 END) AS b3`, d1, d1, d3, d3, d7).
		Group("team, owner_id").Scan(&rows).Error
	if err != nil {
		return Counts{}, err
	}
	c := Counts{At: at, ByTeam: []Count{}, ByOwner: []Count{}, ByLateness: map[string]int64{}}
	for _, b := range LatenessBuckets() {
		c.ByLateness[b] = 0
	}
	teams := map[string]*Count{}
	for _, r := range rows {
		c.Total += r.N
		c.ByOwner = append(c.ByOwner, Count{Team: r.Team, OwnerID: r.OwnerID, Overdue: r.N, Escalated: r.Escalated, OldestDueAt: r.Oldest.T})
		t := teams[r.Team]
		if t == nil {
			t = &Count{Team: r.Team, OldestDueAt: r.Oldest.T}
			teams[r.Team] = t
		}
		t.Overdue += r.N
		t.Escalated += r.Escalated
		if r.Oldest.T.Before(t.OldestDueAt) {
			t.OldestDueAt = r.Oldest.T
		}
		c.ByLateness["under_1d"] += r.B1
		c.ByLateness["1d_3d"] += r.B2
		c.ByLateness["3d_7d"] += r.B3
		c.ByLateness["over_7d"] += r.N - r.B1 - r.B2 - r.B3
	}
	for _, t := range teams {
		c.ByTeam = append(c.ByTeam, *t)
	}
	sort.Slice(c.ByTeam, func(i, j int) bool {
		if c.ByTeam[i].Overdue != c.ByTeam[j].Overdue {
			return c.ByTeam[i].Overdue > c.ByTeam[j].Overdue
		}
		return c.ByTeam[i].Team < c.ByTeam[j].Team
	})
	sort.Slice(c.ByOwner, func(i, j int) bool {
		if c.ByOwner[i].Overdue != c.ByOwner[j].Overdue {
			return c.ByOwner[i].Overdue > c.ByOwner[j].Overdue
		}
		return c.ByOwner[i].OwnerID < c.ByOwner[j].OwnerID
	})
	return c, nil
}

// dbTime scans an aggregate over a timestamp column: a time on PostgreSQL,
// text on SQLite.
type dbTime struct{ T time.Time }

// Scan implements sql.Scanner.
func (d *dbTime) Scan(v any) error {
	switch x := v.(type) {
	case time.Time:
		d.T = x.UTC()
		return nil
	case string:
		return d.parse(x)
	case []byte:
		return d.parse(string(x))
	case nil:
		d.T = time.Time{}
		return nil
	}
	return fmt.Errorf("followups: cannot scan %T as a time", v)
}

func (d *dbTime) parse(s string) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			d.T = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("followups: cannot parse time %q", s)
}

// Value implements driver.Valuer (gorm needs both halves).
func (d dbTime) Value() (driver.Value, error) { return d.T, nil }
