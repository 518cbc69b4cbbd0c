package app

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/idem"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/domain"
	"github.com/closeloop/closeloop/workflows/infoslip"
)

// PeopleLookup finds people of the organisation by id in the user
// directory (as the caller); an id the directory does not know is absent
// from the answer.
type PeopleLookup func(ctx context.Context, ids []string) (map[string]domain.Person, error)

// SlipWorkflows is the slip workflow as the use cases need it
// (ports.SlipWorkflows).
type SlipWorkflows interface {
	Start(ctx context.Context, s domain.Slip) error
	Command(ctx context.Context, s domain.Slip, cmd *servicev1.SlipCommand) (*servicev1.SlipSnapshot, error)
	// Query answers the slip's live state (each recipient's chase).
	Query(ctx context.Context, slipID string) (*servicev1.SlipSnapshot, error)
}

// Slips are the use cases of information routing slips: send one, read
// them, change one (through its workflow).
type Slips struct {
	repo     *adapters.Slips
	db       *gorm.DB
	customer CustomerLookup
	people   PeopleLookup
	org      domain.Org
	wf       SlipWorkflows
	// Now is the clock (tests may set it).
	Now func() time.Time
}

// NewSlips returns the slips' use cases.
func NewSlips(gdb *gorm.DB, customer CustomerLookup, people PeopleLookup, org domain.Org, wf SlipWorkflows) *Slips {
	return &Slips{repo: adapters.NewSlips(gdb), db: gdb, customer: customer, people: people, org: org, wf: wf, Now: time.Now}
}

// SendSlip is a slip as its originator sends it.
type SendSlip struct {
	CustomerID, ContactID, LeadID, OpportunityID, CaseID, VisitID string
	Subject, Body, Category, Urgency                              string
	Attachments                                                   []domain.SlipAttachment
	DueAt                                                         *time.Time
	Recipients                                                    []domain.RecipientInput
}

// Send files a slip about a customer the caller sees, to its recipients:
// the customer is looked up as the caller (one they may not see is 422
// unknown_customer), the people named are looked up in the directory (one
// it does not know, or disabled, is 422 unknown_user), every bad field is
// reported at once and nothing is stored. The slip's workflow starts in the
// background (the slips table is its outbox). With an Idempotency-Key, a
// retry with the same body answers the first response.
func (a *Slips) Send(ctx context.Context, in SendSlip, idemKey string, rawBody []byte) (Created, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return Created{}, apperr.Unauthenticated("unauthenticated", "a bearer token is required")
	}
	if err := idem.ValidateKey(idemKey); err != nil {
		return Created{}, err
	}
	cust, unknown, err := lookupCustomer(ctx, a.customer, in.CustomerID)
	if err != nil {
		return Created{}, err
	}
	people, err := a.lookupPeople(ctx, in.Recipients)
	if err != nil {
		return Created{}, err
	}
	s, first, err := domain.NewSlip(domain.NewSlipInput{
		ID: adapters.NewID(), CustomerID: in.CustomerID, CustomerName: cust.Name, CustomerOwnerID: cust.OwnerID, CustomerTeam: cust.Team,
		ContactID: in.ContactID, LeadID: in.LeadID, OpportunityID: in.OpportunityID, CaseID: in.CaseID, VisitID: in.VisitID,
		Subject: in.Subject, Body: in.Body, Category: in.Category, Urgency: in.Urgency, Attachments: in.Attachments,
		DueAt: in.DueAt, Recipients: in.Recipients,
	}, p, a.org, people, a.Now())
	if err := merge(unknown, err, false); err != nil {
		return Created{}, err
	}
	res, err := idem.Do(ctx, a.db, idem.Request{Key: idemKey, Principal: p.Subject, Scope: "POST /v1/slips", Body: rawBody},
		func(tx *gorm.DB) (int, any, error) {
			stored, err := a.repo.In(tx).Create(ctx, s, first)
			return http.StatusCreated, SlipOf(stored), err
		})
	if err != nil {
		return Created{}, err
	}
	out := Created{Status: res.Status, Body: res.Body, Replayed: res.Replayed, ID: s.ID}
	if res.Replayed {
		var v struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(res.Body, &v)
		out.ID = v.ID
	} else if res.Status == http.StatusCreated {
		go func(s domain.Slip) {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			_ = a.start(sctx, s)
		}(s)
	}
	return out, nil
}

// lookupCustomer looks a customer up as the caller: a refusal (unknown, not
// theirs) comes back as unknown, to report with the other field errors.
func lookupCustomer(ctx context.Context, look CustomerLookup, id string) (cust Customer, unknown, err error) {
	if id == "" || !domain.ValidRef(id) {
		return Customer{}, nil, nil
	}
	cust, err = look(ctx, id)
	if e := apperr.From(err); err != nil && e.Kind == apperr.KindRule {
		return Customer{}, err, nil
	}
	return cust, nil, err
}

// lookupPeople looks up the persons the recipients (and extra ids) name.
func (a *Slips) lookupPeople(ctx context.Context, rs []domain.RecipientInput, extra ...string) (map[string]domain.Person, error) {
	var ids []string
	for _, r := range rs {
		if r.UserID != "" && !slices.Contains(ids, r.UserID) {
			ids = append(ids, r.UserID)
		}
	}
	for _, id := range extra {
		if id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 || a.people == nil {
		return map[string]domain.Person{}, nil
	}
	return a.people(ctx, ids)
}

// Get returns a slip the caller sees, with each recipient's chase as of now
// (from the slip's workflow; without it when the workflow does not answer
// in time).
func (a *Slips) Get(ctx context.Context, id string) (SlipView, error) {
	s, err := a.read(ctx, id)
	if err != nil {
		return SlipView{}, err
	}
	v := SlipOf(s)
	if s.State == infoslip.StateOpen && a.wf != nil {
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		snap, err := a.wf.Query(qctx, s.ID)
		cancel()
		if err == nil {
			v.live(snap)
		}
	}
	return v, nil
}

// read loads a slip the caller sees (404 otherwise, and for an id that is
// not one).
func (a *Slips) read(ctx context.Context, id string) (domain.Slip, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return domain.Slip{}, apperr.Unauthenticated("unauthenticated", "a bearer token is required")
	}
	if !domain.ValidRef(id) {
		return domain.Slip{}, domain.ErrSlipNotFound
	}
	s, err := a.repo.Get(ctx, id)
	if err != nil {
		return domain.Slip{}, err
	}
	if err := domain.SlipScopeOf(p).Check(s); err != nil {
		return domain.Slip{}, err
	}
	return s, nil
}

// SlipPage is a page of slips.
type SlipPage struct {
	Items      []SlipView `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// List lists the slips the caller sees, newest first.
func (a *Slips) List(ctx context.Context, f domain.SlipFilter, after *adapters.Cursor, limit int, encode func(any) string) (SlipPage, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return SlipPage{}, apperr.Unauthenticated("unauthenticated", "a bearer token is required")
	}
	if err := f.Check(); err != nil {
		return SlipPage{}, badQuery(err)
	}
	page, err := a.repo.List(ctx, domain.SlipScopeOf(p), f, after, limit)
	if err != nil {
		return SlipPage{}, err
	}
	out := SlipPage{Items: make([]SlipView, 0, len(page.Items))}
	for _, s := range page.Items {
		out.Items = append(out.Items, SlipOf(s))
	}
	if page.Next != nil {
		out.NextCursor = encode(page.Next)
	}
	return out, nil
}

// SlipTimelinePage is a page of a slip's timeline.
type SlipTimelinePage struct {
	Items      []SlipEntryView `json:"items"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

// Timeline lists a slip's timeline, oldest first.
func (a *Slips) Timeline(ctx context.Context, id string, after *adapters.Cursor, limit int, encode func(any) string) (SlipTimelinePage, error) {
	s, err := a.read(ctx, id)
	if err != nil {
		return SlipTimelinePage{}, err
	}
	page, err := a.repo.Timeline(ctx, s.ID, after, limit)
	if err != nil {
		return SlipTimelinePage{}, err
	}
	out := SlipTimelinePage{Items: make([]SlipEntryView, 0, len(page.Items))}
	for _, e := range page.Items {
		out.Items = append(out.Items, SlipEntryOf(e))
	}
	if page.Next != nil {
		out.NextCursor = encode(page.Next)
	}
	return out, nil
}

// SlipChange is a change a person asks of a slip.
type SlipChange struct {
	Op        string
	Recipient int32
	Text      string
	UserID    string                  // route
	To        *domain.RecipientInput  // forward, reroute
	Adds      []domain.RecipientInput // add
}

// SlipAnswer is what a change answers: the slip, or the first answer again
// for a retried request (Replayed).
type SlipAnswer struct {
	Slip     SlipView
	Replayed json.RawMessage
}

// ChangeKeyed is Change for a request that may carry an Idempotency-Key: a
// retry gets the first answer, however the slip moved since; the key with
// another body is 409 idempotency_key_reused.
func (a *Slips) ChangeKeyed(ctx context.Context, id string, ch SlipChange, expected int64, k Keyed) (SlipAnswer, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return SlipAnswer{}, apperr.Unauthenticated("unauthenticated", "a bearer token is required")
	}
	req := idem.Request{Key: k.Key, Principal: p.Subject, Scope: k.Scope, Body: k.Body}
	if prior, found, err := idem.Lookup(ctx, a.db, req); err != nil || found {
		return SlipAnswer{Replayed: prior.Body}, err
	}
	v, err := a.Change(ctx, id, ch, expected)
	if err != nil {
		return SlipAnswer{}, err
	}
	if err := idem.Remember(ctx, a.db, req, http.StatusOK, v); err != nil {
		return SlipAnswer{}, err
	}
	return SlipAnswer{Slip: v}, nil
}

// Change asks for a change of a slip: who may ask for it is checked first
// (404 for a slip out of sight, 403 slip_not_allowed), then the change is
// tried on the slip as stored (a bad field or a move the slip does not
// allow is refused here, nothing sent), then sent to the slip's workflow,
// its only writer, whose validator decides against the live state. The
// answer is the slip as stored after the change. expected, when not 0, is
// the version the caller read (409 when it moved on).
func (a *Slips) Change(ctx context.Context, id string, ch SlipChange, expected int64) (SlipView, error) {
	p, _ := auth.FromContext(ctx)
	s, err := a.read(ctx, id)
	if err != nil {
		return SlipView{}, err
	}
	if err := domain.SlipScopeOf(p).CheckOp(s, ch.Op, ch.Recipient); err != nil {
		return SlipView{}, err
	}
	if err := domain.CheckSlipVersion(s, expected); err != nil {
		return SlipView{}, err
	}
	named := slices.Clone(ch.Adds)
	if ch.To != nil {
		named = append(named, *ch.To)
	}
	people, err := a.lookupPeople(ctx, named, ch.UserID)
	if err != nil {
		return SlipView{}, err
	}
	cmd := domain.SlipCommand{Op: ch.Op, Actor: p.Subject, Recipient: ch.Recipient, Text: ch.Text, To: ch.To, Adds: ch.Adds,
		UserID: ch.UserID, People: people, Org: a.org}
	if _, _, err := domain.ApplySlip(s, cmd, a.Now()); err != nil {
		return SlipView{}, err
	}
	snap, err := a.wf.Command(ctx, s, CommandProto(s.ID, cmd))
	if err != nil {
		return SlipView{}, err
	}
	stored, err := a.repo.Get(ctx, id)
	if err != nil {
		return SlipView{}, err
	}
	v := SlipOf(stored)
	v.live(snap)
	return v, nil
}

// StartPending starts the workflows of slips sent while the workflow engine
// could not be reached: those sent more than grace ago whose workflow is not
// known to run. It returns how many it started.
func (a *Slips) StartPending(ctx context.Context, grace time.Duration, batch int) (int, error) {
	ss, err := a.repo.Unstarted(ctx, a.Now().Add(-grace), batch)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range ss {
		if err := a.start(ctx, s); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// start starts the slip's workflow and records that it runs.
func (a *Slips) start(ctx context.Context, s domain.Slip) error {
	if a.wf == nil {
		return nil
	}
	if err := a.wf.Start(ctx, s); err != nil {
		return err
	}
	return a.repo.MarkStarted(ctx, s.ID, a.Now().UTC())
}
