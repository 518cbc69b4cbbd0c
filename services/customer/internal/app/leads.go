package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
	windomain "github.com/closeloop/closeloop/services/customer/internal/winback/domain"
)

// LeadCompany is the company a new lead names, and the rep the lead was
// routed to, for whom the customer is claimed if it has no owner
// (ClaimOwner, of ClaimTeam, ClaimReason on its audit trail; empty: none).
type LeadCompany struct {
	NewID, Name, TaxID, Region, Industry, ContactName, ContactEmail, ContactPhone, Actor string
	ClaimOwner, ClaimTeam, ClaimReason                                                   string
}

// LeadCustomer is the customer a lead is about, and who owns it.
type LeadCustomer struct {
	ID, OwnerID, Team, Region string
	Created, Claimed          bool
}

// EnsureLeadCustomer finds the customer a lead names — by the same duplicate
// detection as every create (normalised name, tax id, contact email) — or
// creates it as a lead-stage customer with id NewID — owned by ClaimOwner
// when one is named, else unowned. A found customer without an owner is
// claimed for ClaimOwner (ClaimCustomerOwner). Claimed says the customer is
// ClaimOwner's by this call, or by an earlier attempt of it: a retried call
// finds the customer the first call created or claimed. It runs for the
// sales service's Lead workflow, not for a person: no principal is involved.
func (a *App) EnsureLeadCustomer(ctx context.Context, in LeadCompany) (LeadCustomer, error) {
	if in.NewID == "" || !validID(in.NewID) {
		return LeadCustomer{}, apperr.Invalid("invalid", "new_id must be a customer id")
	}
	if c, err := a.store.GetCustomer(ctx, in.NewID, auth.Scope{All: true}, false); err == nil {
		return LeadCustomer{ID: c.ID, OwnerID: c.OwnerID, Team: c.Team, Region: c.Region, Created: true,
			Claimed: in.ClaimOwner != "" && c.OwnerID == in.ClaimOwner}, nil
	} else if !errors.Is(err, domain.ErrCustomerNotFound) {
		return LeadCustomer{}, err
	}
	var v apperr.Validation
	prof := domain.Profile{Name: strings.TrimSpace(in.Name), TaxID: in.TaxID, Region: strings.TrimSpace(in.Region), Industry: strings.TrimSpace(in.Industry)}
	domain.ValidateProfile(&v, prof, false)
	contact := ContactInput{Name: strings.TrimSpace(in.ContactName), Email: in.ContactEmail, Phone: in.ContactPhone, IsPrimary: true}
	if contact.Name != "" {
		domain.ValidateContact(&v, "contacts[0].", contact.domain(), false)
	}
	if err := v.Err(); err != nil {
		return LeadCustomer{}, err
	}
	rec := adapters.CustomerRecord{ID: in.NewID, Name: prof.Name, NormalizedName: domain.NormalizeName(prof.Name),
		Region: prof.Region, Industry: prof.Industry, LifecycleStage: string(domain.StageLead), OwnerID: in.ClaimOwner}
	if in.ClaimOwner != "" {
		rec.Team = in.ClaimTeam
	}
	if t := domain.NormalizeTaxID(in.TaxID); t != "" {
		rec.TaxID = &t
	}
	var contacts []adapters.ContactRecord
	if contact.Name != "" {
		contacts = append(contacts, contact.record(rec.ID))
	}
	actor := in.Actor
	if actor == "" {
		actor = "workflow"
	}
	err := a.store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		reason := ""
		if in.ClaimOwner != "" { // why the new customer has its owner
			reason = in.ClaimReason
		}
		return a.store.CreateCustomer(ctx, tx, &rec, contacts, actor, reason)
	})
	if err == nil {
		return LeadCustomer{ID: rec.ID, OwnerID: rec.OwnerID, Team: rec.Team, Region: rec.Region, Created: true, Claimed: in.ClaimOwner != ""}, nil
	}
	// The system sees every customer: the duplicate's id is the answer.
	var dup *domain.Duplicate
	if errors.As(err, &dup) {
		if id := dup.ID; id != "" {
			if in.ClaimOwner != "" {
				return a.ClaimCustomerOwner(ctx, id, in.ClaimOwner, in.ClaimTeam, "", "workflow", in.ClaimReason)
			}
			c, gerr := a.store.GetCustomer(ctx, id, auth.Scope{All: true}, false)
			if gerr != nil {
				return LeadCustomer{}, gerr
			}
			return LeadCustomer{ID: c.ID, OwnerID: c.OwnerID, Team: c.Team, Region: c.Region}, nil
		}
	}
	if errors.Is(err, domain.ErrDuplicate) {
		// The duplicate was deleted between the insert and the look-up: retry.
		return LeadCustomer{}, apperr.Unavailable("duplicate_vanished", "the duplicate customer changed concurrently; retry").Wrap(err)
	}
	return LeadCustomer{}, err
}

// ClaimCustomerOwner makes owner (of team) the customer's owner unless it
// already has one, in one locked read-modify-write, so leads for one customer
// arriving at once never give it two owners. An empty owner only reads.
//
// With replace, a customer owned by replace moves to owner too: the lead that
// created it was handed to another rep, and the customer follows its lead.
//
// Claimed says this call set the owner — or an earlier attempt of it did:
// the customer is owner's and its audit trail holds a change for reason
// (which names the lead that asks), so a retried claim answers as the
// first did.
func (a *App) ClaimCustomerOwner(ctx context.Context, id, owner, team, replace, actor, reason string) (LeadCustomer, error) {
	claimed := false
	c, err := a.store.UpdateCustomer(ctx, id, auth.Scope{All: true}, false, func(tx *gorm.DB, c *adapters.CustomerRecord) (adapters.Audit, error) {
		switch {
		case owner != "" && (c.OwnerID == "" || (replace != "" && c.OwnerID == replace)):
			c.OwnerID, c.Team, claimed = owner, team, true
		case owner != "" && c.OwnerID == owner && reason != "":
			var err error
			if claimed, err = a.store.ChangedFor(tx, c.ID, reason); err != nil {
				return adapters.Audit{}, err
			}
		}
		if actor == "" {
			actor = "workflow"
		}
		return adapters.Audit{Action: "update", Actor: actor, Reason: reason}, nil
	})
	if err != nil {
		return LeadCustomer{}, err
	}
	return LeadCustomer{ID: c.ID, OwnerID: c.OwnerID, Team: c.Team, Region: c.Region, Claimed: claimed}, nil
}

// LeadNamed hears that a lead names a customer (its Lead workflow found or
// claimed it): a response to the customer's win-back, if it is in one and
// the lead is not the win-back's own hand-over (windomain.ResponseOf).
// Retried activities tell it again; the workflow takes the first response.
func (a *App) LeadNamed(ctx context.Context, customerID, leadID, source, createdBy string) {
	if a.winback == nil || customerID == "" || leadID == "" {
		return
	}
	a.winback.Responded(ctx, windomain.Event{Source: windomain.SourceLead, CustomerID: customerID, Ref: leadID, By: createdBy,
		LeadSource: source, At: time.Now().UTC()})
}
