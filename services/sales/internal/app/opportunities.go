package app

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
	"github.com/closeloop/closeloop/services/sales/internal/adapters"
	"github.com/closeloop/closeloop/services/sales/internal/domain"
)

// OpportunityInput is a new opportunity (direct, or from a converted lead).
type OpportunityInput struct {
	CustomerID, Name, OwnerID, Currency, ExpectedClose string
	Stage, Probability                                 int
	AmountMinor                                        int64
}

// OpportunityView is an opportunity as the API shows it.
type OpportunityView struct {
	ID             string     `json:"id"`
	LeadID         string     `json:"lead_id,omitempty"`
	CustomerID     string     `json:"customer_id"`
	Name           string     `json:"name"`
	OwnerID        string     `json:"owner_id"`
	Team           string     `json:"team"`
	TerritoryID    string     `json:"territory_id"`
	Region         string     `json:"region"`
	Stage          int        `json:"stage"`
	StageName      string     `json:"stage_name"`
	Status         string     `json:"status"`
	AmountMinor    int64      `json:"amount_minor"`
	Currency       string     `json:"currency"`
	ExpectedClose  string     `json:"expected_close,omitempty"`
	Probability    int        `json:"probability"`
	WeightedMinor  int64      `json:"weighted_amount_minor"`
	LostReason     string     `json:"lost_reason,omitempty"`
	Competitor     string     `json:"competitor,omitempty"`
	StageEnteredAt time.Time  `json:"stage_entered_at"`
	Version        int64      `json:"version"`
	CreatedBy      string     `json:"created_by"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	ClosedAt       *time.Time `json:"closed_at"`
	WorkflowID     string     `json:"workflow_id"`
	WorkflowURL    string     `json:"workflow_url,omitempty"`
}

func (a *App) oppView(o adapters.Opportunity) OpportunityView {
	wid := wfc.OpportunityWorkflowID(o.ID)
	prob := o.EffectiveProbability()
	return OpportunityView{ID: o.ID, LeadID: o.LeadID, CustomerID: o.CustomerID, Name: o.Name, OwnerID: o.OwnerID, Team: o.Team,
		TerritoryID: o.TerritoryID, Region: o.Region, Stage: o.Stage, StageName: domain.StageNames[o.Stage], Status: o.Status,
		AmountMinor: o.AmountMinor, Currency: o.Currency, ExpectedClose: o.ExpectedClose, Probability: prob,
		WeightedMinor: o.AmountMinor * int64(prob) / 100, LostReason: o.LostReason, Competitor: o.Competitor,
		StageEnteredAt: o.StageEnteredAt, Version: o.Version, CreatedBy: o.CreatedBy, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
		ClosedAt: o.ClosedAt, WorkflowID: wid, WorkflowURL: a.wf.Link(wid)}
}

// CreateOpportunity starts an opportunity directly (without a lead) on a
// customer the caller can see. Reps own what they create; managers may name
// an owner of their teams.
func (a *App) CreateOpportunity(ctx context.Context, in OpportunityInput, k Keyed) (view OpportunityView, stored bool, err error) {
	idemKey := k.Key
	p, err := auth.Authorize(ctx, auth.PermLeadsWrite)
	if err != nil {
		return OpportunityView{}, false, err
	}
	var v apperr.Validation
	in.Name, in.CustomerID, in.OwnerID = strings.TrimSpace(in.Name), strings.TrimSpace(in.CustomerID), strings.TrimSpace(in.OwnerID)
	v.Check(in.Name != "", "name", "required", "is required")
	v.Check(utf8.RuneCountInString(in.Name) <= domain.MaxName, "name", "too_long", "at most 200 characters")
	_, perr := uuid.Parse(in.CustomerID)
	v.Check(perr == nil, "customer_id", "invalid", "must be a customer id")
	if in.Stage == 0 {
		in.Stage = domain.StageSpotted
	}
	v.Check(in.Stage >= domain.FirstStage && in.Stage <= domain.LastStage, "stage", "out_of_range", "1, 2, 3 or 4")
	domain.CheckMoney(&v, "", in.AmountMinor, in.Currency, in.ExpectedClose, in.Probability)
	v.Check(len(idemKey) <= 200, "Idempotency-Key", "too_long", "at most 200 characters")
	if err := v.Err(); err != nil {
		return OpportunityView{}, false, err
	}
	req, err := a.checkKey(ctx, p, "POST /v1/opportunities", k)
	if err != nil {
		return OpportunityView{}, false, err
	}
	defer func() { err = a.remembered(ctx, req, stored, view, err) }()
	owner := p.Subject
	if in.OwnerID != "" && in.OwnerID != p.Subject {
		if !p.Has(auth.RoleManager) && !p.Has(auth.RoleAdmin) {
			return OpportunityView{}, false, apperr.Forbidden("owner_out_of_scope", "reps own the opportunities they create")
		}
		owner = in.OwnerID
	}
	c, err := a.customers.Lookup(ctx, in.CustomerID)
	if err != nil {
		return OpportunityView{}, false, err
	}
	if c.OwnerID != "" && c.OwnerID != owner {
		return OpportunityView{}, false, domain.ErrCustomerNotVisible.Withf("%s may not see this customer: an opportunity belongs to its customer's owner", owner)
	}
	team, territory := "", ""
	if t, ok, err := a.homeTerritory(ctx, owner); err != nil {
		return OpportunityView{}, false, err
	} else if ok {
		team, territory = t.Team, t.ID
	}
	if team == "" && len(p.Teams) > 0 {
		team = p.Teams[0]
	}
	if team == "" {
		team = c.Team
	}
	if !p.Has(auth.RoleAdmin) && owner != p.Subject && !contains(p.Teams, team) {
		return OpportunityView{}, false, apperr.Forbidden("owner_out_of_scope", "you may only give opportunities to reps of your teams")
	}
	id := uuid.Must(uuid.NewV7()).String()
	if idemKey != "" {
		id = uuid.NewSHA1(uuid.NameSpaceOID, []byte("closeloop/opportunity\x00"+p.Subject+"\x00"+idemKey)).String()
	}
	data := &salesv1.OpportunityData{Id: id, CustomerId: c.ID, Name: in.Name, OwnerId: owner, Team: team, TerritoryId: territory,
		Region: c.Region, Stage: int32(in.Stage), AmountMinor: in.AmountMinor, Currency: in.Currency, ExpectedClose: in.ExpectedClose,
		Probability: int32(in.Probability), CreatedBy: p.Subject, CreatedAt: timestamppb.New(a.now())}
	if err := a.wf.StartOpportunity(ctx, &salesv1.OpportunityInput{Opportunity: data}); err != nil {
		return OpportunityView{}, false, err
	}
	o, ok := waitFor(ctx, a.opts.CreateWait, func() (adapters.Opportunity, error) { return a.store.Opportunity(ctx, id) })
	if !ok {
		wid := wfc.OpportunityWorkflowID(id)
		return OpportunityView{ID: id, CustomerID: c.ID, Name: in.Name, OwnerID: owner, Team: team, Stage: in.Stage, Status: domain.OppOpen,
			StageName: domain.StageNames[in.Stage], WorkflowID: wid, WorkflowURL: a.wf.Link(wid)}, false, nil
	}
	return a.oppView(o), true, nil
}

// ownerSeesCustomer checks, as the caller, that the customer belongs to
// owner (or to nobody): an opportunity goes only to a rep who may see its
// customer, so the customer's owner always sees the deals on it.
func (a *App) ownerSeesCustomer(ctx context.Context, customerID, owner string) error {
	c, err := a.customers.Lookup(ctx, customerID)
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Code == "validation_failed" {
		return domain.ErrCustomerNotVisible.Withf("the lead's customer is not visible to you; ask its team's managers")
	}
	if err != nil {
		return err
	}
	if c.OwnerID != "" && c.OwnerID != owner {
		return domain.ErrCustomerNotVisible.Withf("%s may not see the lead's customer: it belongs to another rep; ask the customer's team to move the customer or the lead", owner)
	}
	return nil
}

func (a *App) homeTerritory(ctx context.Context, rep string) (adapters.Territory, bool, error) {
	ts, err := a.store.ListTerritories(ctx)
	if err != nil {
		return adapters.Territory{}, false, err
	}
	for _, t := range ts {
		reps, err := a.store.Reps(ctx, t.ID)
		if err != nil {
			return adapters.Territory{}, false, err
		}
		for _, r := range reps {
			if r.RepID == rep {
				return t, true, nil
			}
		}
	}
	return adapters.Territory{}, false, nil
}

func (a *App) opportunity(ctx context.Context, p auth.Principal, id string) (adapters.Opportunity, error) {
	if _, err := uuid.Parse(id); err != nil {
		return adapters.Opportunity{}, domain.ErrOpportunityNotFound
	}
	o, err := a.store.Opportunity(ctx, id)
	if err != nil {
		return o, err
	}
	if !domain.Visible(scopeOf(p), o.OwnerID, o.Team, false) && !a.customerIsYours(ctx, p, o.CustomerID) {
		return adapters.Opportunity{}, domain.ErrOpportunityNotFound
	}
	return o, nil
}

// customerIsYours reports whether the caller owns the customer (a manager:
// one of their teams does), as the customer service answers now: the
// customer's owner always sees the opportunities on their customer, even
// after the customer changed hands in the customer service. Any failure
// counts as no, so an out-of-scope id still answers "not found".
func (a *App) customerIsYours(ctx context.Context, p auth.Principal, customerID string) bool {
	s := scopeOf(p)
	if s.OwnerID == "" && len(s.Teams) == 0 {
		return false
	}
	c, err := a.customers.Lookup(ctx, customerID)
	if err != nil {
		return false
	}
	return (s.OwnerID != "" && c.OwnerID == s.OwnerID) || (len(s.Teams) > 0 && contains(s.Teams, c.Team))
}

// Opportunity returns one opportunity.
func (a *App) Opportunity(ctx context.Context, id string) (OpportunityView, error) {
	p, err := auth.Authorize(ctx, auth.PermLeadsRead)
	if err != nil {
		return OpportunityView{}, err
	}
	o, err := a.opportunity(ctx, p, id)
	if err != nil {
		return OpportunityView{}, err
	}
	return a.oppView(o), nil
}

// Opportunities lists opportunities in scope, newest first.
func (a *App) Opportunities(ctx context.Context, f adapters.OppFilter) (Page[OpportunityView], error) {
	p, err := auth.Authorize(ctx, auth.PermLeadsRead)
	if err != nil {
		return Page[OpportunityView]{}, err
	}
	var v apperr.Validation
	if f.Status != "" {
		v.Check(f.Status == domain.OppOpen || f.Status == domain.OppWon || f.Status == domain.OppLost, "status", "invalid", "open, won or lost")
	}
	v.Check(f.Stage >= 0 && f.Stage <= domain.LastStage, "stage", "out_of_range", "1, 2, 3 or 4")
	if err := v.Err(); err != nil {
		return Page[OpportunityView]{}, err
	}
	if err := checkCustomerID(f.CustomerID); err != nil {
		return Page[OpportunityView]{}, err
	}
	rows, err := a.store.ListOpportunities(ctx, scopeOf(p), f)
	if err != nil {
		return Page[OpportunityView]{}, err
	}
	return paginate(rows, f.Limit, a.oppView, func(o adapters.Opportunity) adapters.Cursor { return adapters.Cursor{At: o.CreatedAt, ID: o.ID} }), nil
}

// OpportunityPatch changes money, dates and name; absent fields stay.
type OpportunityPatch struct {
	Name, Currency, ExpectedClose *string
	AmountMinor                   *int64
	Probability                   *int
	Version                       int64
}

// PatchOpportunity edits an open opportunity's name, amount, expected close
// date and probability (the stage moves only through ChangeStage).
func (a *App) PatchOpportunity(ctx context.Context, id string, in OpportunityPatch) (OpportunityView, error) {
	p, err := auth.Authorize(ctx, auth.PermLeadsWrite)
	if err != nil {
		return OpportunityView{}, err
	}
	cur, err := a.opportunity(ctx, p, id)
	if err != nil {
		return OpportunityView{}, err
	}
	if err := oppAllowed(p, cur); err != nil {
		return OpportunityView{}, err
	}
	o, err := a.store.PatchOpportunity(ctx, id, in.Version, p.Subject, func(o *adapters.Opportunity) (string, error) {
		if o.Status != domain.OppOpen {
			return "", domain.ErrOpportunityClosed
		}
		var changed []string
		if in.Name != nil {
			o.Name = strings.TrimSpace(*in.Name)
			changed = append(changed, "name")
		}
		if in.AmountMinor != nil {
			o.AmountMinor = *in.AmountMinor
			changed = append(changed, "amount")
		}
		if in.Currency != nil {
			o.Currency = *in.Currency
			changed = append(changed, "currency")
		}
		if in.ExpectedClose != nil {
			o.ExpectedClose = *in.ExpectedClose
			changed = append(changed, "expected close date")
		}
		if in.Probability != nil {
			o.Probability = *in.Probability
			changed = append(changed, "probability")
		}
		var v apperr.Validation
		v.Check(len(changed) > 0, "", "empty", "nothing to change")
		v.Check(o.Name != "" && utf8.RuneCountInString(o.Name) <= domain.MaxName, "name", "invalid", "1 to 200 characters")
		domain.CheckMoney(&v, "", o.AmountMinor, o.Currency, o.ExpectedClose, o.Probability)
		return "changed " + strings.Join(changed, ", "), v.Err()
	})
	if err != nil {
		return OpportunityView{}, err
	}
	return a.oppView(o), nil
}

func oppAllowed(p auth.Principal, o adapters.Opportunity) error {
	if p.Has(auth.RoleAdmin) || o.OwnerID == p.Subject || (p.Has(auth.RoleManager) && contains(p.Teams, o.Team)) {
		return nil
	}
	return domain.ErrOpportunityNotFound
}

// StageInput moves an opportunity through the funnel or closes it.
type StageInput struct {
	Stage              int
	Reason, Competitor string
}

// ChangeStage moves an opportunity to another stage through its workflow.
// Going back needs the leads:assign permission (managers) and a reason.
func (a *App) ChangeStage(ctx context.Context, id string, in StageInput) (OpportunityView, error) {
	return a.oppCommand(ctx, id, domain.OpStage, in)
}

// Win closes an opportunity as won.
func (a *App) Win(ctx context.Context, id string, in StageInput) (OpportunityView, error) {
	return a.oppCommand(ctx, id, domain.OpWon, in)
}

// Lose closes an opportunity as lost, with a reason and the competitor.
func (a *App) Lose(ctx context.Context, id string, in StageInput) (OpportunityView, error) {
	return a.oppCommand(ctx, id, domain.OpLost, in)
}

func (a *App) oppCommand(ctx context.Context, id, op string, in StageInput) (OpportunityView, error) {
	p, err := auth.Authorize(ctx, auth.PermLeadsWrite)
	if err != nil {
		return OpportunityView{}, err
	}
	o, err := a.opportunity(ctx, p, id)
	if err != nil {
		return OpportunityView{}, err
	}
	if err := oppAllowed(p, o); err != nil {
		return OpportunityView{}, err
	}
	in.Reason, in.Competitor = strings.TrimSpace(in.Reason), strings.TrimSpace(in.Competitor)
	mayGoBack := p.Can(auth.PermLeadsAssign)
	switch op {
	case domain.OpStage:
		err = domain.CheckStageChange(o.Status, o.Stage, in.Stage, mayGoBack, in.Reason)
	default:
		err = domain.CheckClose(o.Status, op, in.Reason, in.Competitor)
	}
	if err != nil {
		return OpportunityView{}, err
	}
	if utf8.RuneCountInString(in.Reason) > domain.MaxText {
		var v apperr.Validation
		v.Add("reason", "too_long", "at most 4000 characters")
		return OpportunityView{}, v.Err()
	}
	if _, err := a.wf.OpportunityCommand(ctx, &salesv1.OpportunityCommand{OpportunityId: id, Op: op, ToStage: int32(in.Stage), Actor: p.Subject,
		Reason: in.Reason, Competitor: in.Competitor, MayGoBack: mayGoBack, At: timestamppb.New(a.now())}); err != nil {
		return OpportunityView{}, err
	}
	o, err = a.store.Opportunity(ctx, id)
	if err != nil {
		return OpportunityView{}, err
	}
	return a.oppView(o), nil
}

// OpportunityTimeline returns an opportunity's timeline.
func (a *App) OpportunityTimeline(ctx context.Context, id string, limit int, after *adapters.Cursor) (Page[TimelineEvent], error) {
	p, err := auth.Authorize(ctx, auth.PermLeadsRead)
	if err != nil {
		return Page[TimelineEvent]{}, err
	}
	if _, err := a.opportunity(ctx, p, id); err != nil {
		return Page[TimelineEvent]{}, err
	}
	return a.timeline(ctx, "opportunity", id, limit, after)
}

func decodeData(s string) map[string]any {
	var m map[string]any
	if json.Unmarshal([]byte(s), &m) != nil || len(m) == 0 {
		return nil
	}
	return m
}
