package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// newCustomer applies create's rules to in for p — field validation, value
// bounds by role, the initial stage, the owner and team defaults and the
// owner check (findUser looks the owner up) — and returns the records to
// insert. Create and Import both go through it, so a customer is judged the
// same way whichever way it arrives. The parent's visibility is the caller's
// to check (Create does; an import takes no parent).
func newCustomer(ctx context.Context, p auth.Principal, in CreateCustomer, findUser func(context.Context, string) (*adapters.UserRecord, error)) (adapters.CustomerRecord, []adapters.ContactRecord, error) {
	var v apperr.Validation
	prof := domain.Profile{Name: strings.TrimSpace(in.Name), TaxID: in.TaxID, Region: strings.TrimSpace(in.Region), Industry: strings.TrimSpace(in.Industry),
		Website: in.Website, Phone: in.Phone, Address: in.Address, RelationshipStage: domain.RelationshipStage(in.RelationshipStage)}
	domain.ValidateProfile(&v, prof, false)
	val := domain.Value{AnnualRevenue: in.AnnualRevenue, AnnualMarketingCost: in.AnnualMarketingCost, YearsOfBusiness: in.YearsOfBusiness}
	domain.ValidateValue(&v, val)
	stage := domain.LifecycleStage(in.LifecycleStage)
	if stage == "" {
		stage = domain.StageLead
	}
	domain.CheckInitialStage(&v, p, stage)
	valueByRole(p, &v, val, map[string]bool{"annual_revenue": true, "annual_marketing_cost": true})
	v.Check(len(in.Contacts) <= domain.MaxContactsNew, "contacts", "too_many", fmt.Sprintf("at most %d contacts per request", domain.MaxContactsNew))
	for i, c := range in.Contacts {
		domain.ValidateContact(&v, fmt.Sprintf("contacts[%d].", i), c.domain(), false)
	}
	if in.ParentID != nil {
		v.Check(validID(*in.ParentID), "parent_id", "invalid", "must be a customer id")
	}
	owner, team, err := defaultOwner(p, &v, strings.TrimSpace(in.OwnerID), strings.TrimSpace(in.Team))
	if err != nil {
		return adapters.CustomerRecord{}, nil, err
	}
	if err := v.Err(); err != nil {
		return adapters.CustomerRecord{}, nil, err
	}
	if err := checkOwner(ctx, findUser, p, owner, team); err != nil {
		return adapters.CustomerRecord{}, nil, err
	}
	website, _ := domain.NormalizeWebsite(in.Website)
	rec := adapters.CustomerRecord{
		ID: adapters.NewID(), Name: prof.Name, NormalizedName: domain.NormalizeName(prof.Name), ParentID: in.ParentID,
		Region: prof.Region, Industry: prof.Industry, OwnerID: owner, Team: team, Website: website, Phone: domain.NormalizePhone(in.Phone),
		Address: in.Address, LifecycleStage: string(stage), RelationshipStage: in.RelationshipStage,
		AnnualRevenue: val.AnnualRevenue, AnnualMarketingCost: val.AnnualMarketingCost, YearsOfBusiness: val.YearsOfBusiness,
		ValueScore: val.Score(),
	}
	if t := domain.NormalizeTaxID(in.TaxID); t != "" {
		rec.TaxID = &t
	}
	// A customer created lost (history imported) became lost when created.
	lost := domain.LostAfter(stage, "", "", nowUTC())
	rec.LostAt, rec.LostReason, rec.LostCompetitor = lost.At, lost.Reason, lost.Competitor
	contacts := make([]adapters.ContactRecord, len(in.Contacts))
	for i, c := range in.Contacts {
		contacts[i] = c.record(rec.ID)
	}
	return rec, contacts, nil
}
