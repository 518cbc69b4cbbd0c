package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/care"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// ContactInput is a contact in a create or update request.
type ContactInput struct {
	Name, Title, Department, Email, Phone, Mobile, Birthday, PersonalNotes, DecisionRole string
	IsPrimary                                                                            bool
}

// CreateCustomer is the create command.
type CreateCustomer struct {
	Name, TaxID, Region, Industry, Website, Phone, Address string
	ParentID                                               *string
	OwnerID, Team                                          string
	LifecycleStage, RelationshipStage                      string
	AnnualRevenue, AnnualMarketingCost                     float64
	YearsOfBusiness                                        int
	Contacts                                               []ContactInput
}

// UpdateCustomer changes the fields that are set.
type UpdateCustomer struct {
	Name, TaxID, Region, Industry, Website, Phone, Address *string
	OwnerID, Team, RelationshipStage                       *string
	AnnualRevenue, AnnualMarketingCost                     *float64
	YearsOfBusiness                                        *int
	Reason                                                 string
}

func (in ContactInput) domain() domain.Contact {
	return domain.Contact{Name: strings.TrimSpace(in.Name), Title: in.Title, Department: in.Department, Email: in.Email, Phone: in.Phone,
		Mobile: in.Mobile, Birthday: in.Birthday, PersonalNotes: in.PersonalNotes, DecisionRole: domain.DecisionRole(in.DecisionRole), IsPrimary: in.IsPrimary}
}

func (in ContactInput) record(customerID string) adapters.ContactRecord {
	r := adapters.ContactRecord{ID: adapters.NewID(), CustomerID: customerID, Name: strings.TrimSpace(in.Name), Title: in.Title, Department: in.Department,
		Phone: domain.NormalizePhone(in.Phone), Mobile: domain.NormalizePhone(in.Mobile), Birthday: in.Birthday, PersonalNotes: in.PersonalNotes, DecisionRole: in.DecisionRole, IsPrimary: in.IsPrimary}
	if e := domain.NormalizeEmail(in.Email); e != "" {
		r.Email = &e
	}
	return r
}

// defaultOwner fills in the owner and team of a customer the principal
// creates or reassigns: reps own what they create, in their (first) team;
// managers default to themselves and their only team; admins to themselves.
// Whether the result is allowed is domain.CheckOwner's decision.
func defaultOwner(p auth.Principal, v *apperr.Validation, owner, team string) (string, string, error) {
	if owner == "" {
		owner = p.Subject
	}
	switch {
	case p.Has(auth.RoleAdmin):
		v.Check(team != "", "team", "required", "is required")
	case p.Has(auth.RoleManager):
		if team == "" && len(p.Teams) == 1 {
			team = p.Teams[0]
		}
		v.Check(team != "", "team", "required", "is required: name one of your teams")
	default: // rep
		if team == "" && len(p.Teams) > 0 {
			team = p.Teams[0]
		}
		if len(p.Teams) == 0 {
			return "", "", apperr.Rule("no_team", "your account belongs to no team; ask an admin")
		}
	}
	v.Check(len(owner) <= 200, "owner_id", "too_long", "must be at most 200 characters")
	v.Check(len(team) <= 100, "team", "too_long", "must be at most 100 characters")
	return owner, team, nil
}

// valueByRole checks the value figures against the bound of the caller's
// role: reps alone are held to domain.MaxMoneyRep.
func valueByRole(p auth.Principal, v *apperr.Validation, val domain.Value, changed map[string]bool) {
	if !p.Has(auth.RoleAdmin) && !p.Has(auth.RoleManager) {
		domain.ValidateRepValue(v, val, changed)
	}
}

// Create adds a customer (with contacts) idempotently.
func (a *App) Create(ctx context.Context, in CreateCustomer, idemKey string, rawBody []byte) (Created, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersWrite)
	if err != nil {
		return Created{}, err
	}
	rec, contacts, err := newCustomer(ctx, p, in, a.store.GetUser)
	if err != nil {
		return Created{}, err
	}
	if in.ParentID != nil {
		// The parent must be visible to the caller: no attaching to others' accounts blindly.
		if _, err := a.store.GetCustomer(ctx, *in.ParentID, p.Scope(), false); err != nil {
			if errors.Is(err, domain.ErrCustomerNotFound) {
				return Created{}, domain.ErrParentNotFound
			}
			return Created{}, err
		}
	}
	return idempotent(ctx, a.store.DB(), p, idemKey, "POST /v1/customers", rawBody, func(tx *gorm.DB) (any, error) {
		if err := a.store.CreateCustomer(ctx, tx, &rec, contacts, p.Subject, ""); err != nil {
			return nil, refuseDuplicate(p, err)
		}
		view := customerView(rec)
		for _, c := range contacts {
			view.Contacts = append(view.Contacts, contactView(c))
		}
		return view, nil
	})
}

// Get returns one customer with its contacts.
func (a *App) Get(ctx context.Context, id string) (CustomerView, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersRead)
	if err != nil {
		return CustomerView{}, err
	}
	if !validID(id) {
		return CustomerView{}, domain.ErrCustomerNotFound
	}
	c, err := a.store.GetCustomer(ctx, id, p.Scope(), false)
	if err != nil {
		return CustomerView{}, err
	}
	contacts, err := a.store.ListContacts(ctx, id)
	if err != nil {
		return CustomerView{}, err
	}
	view := customerView(c)
	view.Contacts = make([]ContactView, 0, len(contacts))
	for _, ct := range contacts {
		view.Contacts = append(view.Contacts, contactView(ct))
	}
	if c.OwnerID != "" {
		u, err := a.store.GetUser(ctx, c.OwnerID)
		if err != nil {
			return CustomerView{}, err
		}
		if u != nil {
			view.OwnerName = u.Name
		}
	}
	if a.care != nil {
		st, err := a.care.Status(ctx, c.ID, care.Customer{Stage: c.LifecycleStage, OwnerID: c.OwnerID, ValueClass: c.ValueClass,
			Team: c.Team, Region: c.Region, Deleted: c.DeletedAt != nil, CareFrom: view.CareFrom, LastContact: c.LastContactAt})
		if err != nil {
			return CustomerView{}, err
		}
		view.Care = &st
	}
	return view, nil
}

// MaxListIDs is how many ids one list request may name (a page's worth:
// the console names the customers of one page of follow-ups).
const MaxListIDs = 200

// ListParams are the list filters as the API receives them.
type ListParams struct {
	Region, Industry, OwnerID, Team, Stage, Class, ParentID, Q, Sort, Cursor string
	// IDs is the ids filter as given: comma-separated customer ids.
	IDs     string
	Deleted bool
	Limit   int
}

// List returns a page of customers visible to the caller.
func (a *App) List(ctx context.Context, in ListParams, decode func(string, any) error, encode func(any) string) (Page[CustomerView], error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersRead)
	if err != nil {
		return Page[CustomerView]{}, err
	}
	var v apperr.Validation
	q := adapters.ListQuery{Scope: p.Scope(), Region: in.Region, Industry: in.Industry, OwnerID: in.OwnerID, Team: in.Team,
		Stage: in.Stage, Class: in.Class, ParentID: in.ParentID, Deleted: in.Deleted, Limit: in.Limit}
	if in.Stage != "" {
		v.Check(domain.LifecycleStage(in.Stage).Valid(), "lifecycle_stage", "invalid", "must be lead, prospect, transacting, service or lost")
	}
	if in.Class != "" {
		v.Check(domain.ValueClass(in.Class).Valid(), "value_class", "invalid", "must be A, B or C")
	}
	if in.Deleted && !p.Can(auth.PermCustomersDelete) {
		return Page[CustomerView]{}, apperr.Forbidden("forbidden", "your role may not list deleted customers")
	}
	if in.IDs != "" {
		q.IDs = strings.Split(in.IDs, ",")
		if v.Check(len(q.IDs) <= MaxListIDs, "ids", "too_many", fmt.Sprintf("at most %d ids", MaxListIDs)) {
			for _, id := range q.IDs {
				if !validID(id) {
					v.Add("ids", "invalid", "must be customer ids separated by commas")
					break
				}
			}
		}
	}
	if in.Q != "" {
		v.Check(len(in.Q) <= 200, "q", "too_long", "must be at most 200 characters")
		q.Text = domain.NormalizeName(in.Q)
		q.TaxID = domain.NormalizeTaxID(in.Q)
		if q.Text == "" && q.TaxID == "" {
			v.Add("q", "invalid", "must contain letters or digits")
		}
	}
	sort := in.Sort
	if sort == "" {
		sort = "name"
	}
	if strings.HasPrefix(sort, "-") {
		q.Desc, sort = true, sort[1:]
	}
	q.Sort = sort
	v.Check(adapters.SortColumns[sort], "sort", "invalid", "must be name, created_at, updated_at or value_score, with - for descending")
	if err := v.Err(); err != nil {
		return Page[CustomerView]{}, err
	}
	if in.Cursor != "" {
		var c adapters.Cursor
		if err := decode(in.Cursor, &c); err != nil {
			return Page[CustomerView]{}, err
		}
		if c.Sort != q.Sort || c.Desc != q.Desc {
			return Page[CustomerView]{}, apperr.Invalid("invalid_cursor", "the cursor belongs to a different sort order")
		}
		q.After = &c
	}
	rows, next, err := a.store.ListCustomers(ctx, q)
	if err != nil {
		return Page[CustomerView]{}, err
	}
	out := Page[CustomerView]{Items: make([]CustomerView, 0, len(rows))}
	for _, r := range rows {
		out.Items = append(out.Items, customerView(r))
	}
	if next != nil {
		out.NextCursor = encode(next)
	}
	return out, nil
}

// Update changes customer fields; owner changes follow the assignment rules.
func (a *App) Update(ctx context.Context, id string, in UpdateCustomer) (CustomerView, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersWrite)
	if err != nil {
		return CustomerView{}, err
	}
	if !validID(id) {
		return CustomerView{}, domain.ErrCustomerNotFound
	}
	var v apperr.Validation
	prof := domain.Profile{Name: str(in.Name), TaxID: str(in.TaxID), Region: str(in.Region), Industry: str(in.Industry),
		Website: str(in.Website), Phone: str(in.Phone), Address: str(in.Address), RelationshipStage: domain.RelationshipStage(str(in.RelationshipStage))}
	domain.ValidateProfile(&v, prof, true)
	for field, s := range map[string]*string{"name": in.Name, "region": in.Region, "industry": in.Industry} {
		if s != nil && strings.TrimSpace(*s) == "" {
			v.Add(field, "required", "must not be empty")
		}
	}
	v.Check(len(in.Reason) <= domain.MaxTextLen, "reason", "too_long", "must be at most 2000 characters")
	if err := v.Err(); err != nil {
		return CustomerView{}, err
	}
	rec, err := a.store.UpdateCustomer(ctx, id, p.Scope(), false, func(tx *gorm.DB, c *adapters.CustomerRecord) (adapters.Audit, error) {
		var v apperr.Validation
		set(&c.Name, trimmed(in.Name))
		if in.Name != nil {
			c.NormalizedName = domain.NormalizeName(c.Name)
		}
		if in.TaxID != nil {
			if t := domain.NormalizeTaxID(*in.TaxID); t != "" {
				c.TaxID = &t
			} else {
				c.TaxID = nil
			}
		}
		set(&c.Region, trimmed(in.Region))
		set(&c.Industry, trimmed(in.Industry))
		if in.Website != nil {
			c.Website, _ = domain.NormalizeWebsite(*in.Website)
		}
		if in.Phone != nil {
			c.Phone = domain.NormalizePhone(*in.Phone)
		}
		set(&c.Address, in.Address)
		val := domain.Value{AnnualRevenue: c.AnnualRevenue, AnnualMarketingCost: c.AnnualMarketingCost, YearsOfBusiness: c.YearsOfBusiness}
		set(&val.AnnualRevenue, in.AnnualRevenue)
		set(&val.AnnualMarketingCost, in.AnnualMarketingCost)
		set(&val.YearsOfBusiness, in.YearsOfBusiness)
		domain.ValidateValue(&v, val)
		valueByRole(p, &v, val, map[string]bool{
			"annual_revenue":        in.AnnualRevenue != nil && *in.AnnualRevenue != c.AnnualRevenue,
			"annual_marketing_cost": in.AnnualMarketingCost != nil && *in.AnnualMarketingCost != c.AnnualMarketingCost,
		})
		c.AnnualRevenue, c.AnnualMarketingCost, c.YearsOfBusiness, c.ValueScore = val.AnnualRevenue, val.AnnualMarketingCost, val.YearsOfBusiness, val.Score()
		if in.OwnerID != nil || in.Team != nil {
			owner, team := c.OwnerID, c.Team
			set(&owner, trimmed(in.OwnerID))
			set(&team, trimmed(in.Team))
			if owner != c.OwnerID || team != c.Team {
				if !p.Has(auth.RoleAdmin) && !p.Has(auth.RoleManager) {
					return adapters.Audit{}, domain.ErrOwnerOutOfScope
				}
				owner, team, err := defaultOwner(p, &v, owner, team)
				if err != nil {
					return adapters.Audit{}, err
				}
				if err := v.Err(); err != nil {
					return adapters.Audit{}, err
				}
				find := func(_ context.Context, id string) (*adapters.UserRecord, error) { return adapters.FindUser(tx, id) }
				if err := checkOwner(ctx, find, p, owner, team); err != nil {
					return adapters.Audit{}, err
				}
				c.OwnerID, c.Team = owner, team
			}
		}
		if in.RelationshipStage != nil && *in.RelationshipStage != c.RelationshipStage {
			if err := adapters.RecordStageChange(tx, c.ID, "relationship", c.RelationshipStage, *in.RelationshipStage, in.Reason, p.Subject); err != nil {
				return adapters.Audit{}, err
			}
			c.RelationshipStage = *in.RelationshipStage
		}
		if err := v.Err(); err != nil {
			return adapters.Audit{}, err
		}
		return adapters.Audit{Action: "update", Actor: p.Subject, Reason: in.Reason}, nil
	})
	if err != nil {
		return CustomerView{}, refuseDuplicate(p, err)
	}
	return customerView(rec), nil
}

// Move places a customer under another parent, or makes it a root when parentID is nil.
func (a *App) Move(ctx context.Context, id string, parentID *string, reason string) (CustomerView, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersWrite)
	if err != nil {
		return CustomerView{}, err
	}
	if !validID(id) {
		return CustomerView{}, domain.ErrCustomerNotFound
	}
	if parentID != nil {
		if !validID(*parentID) {
			return CustomerView{}, domain.ErrParentNotFound
		}
		if _, err := a.store.GetCustomer(ctx, *parentID, p.Scope(), false); err != nil {
			if errors.Is(err, domain.ErrCustomerNotFound) {
				return CustomerView{}, domain.ErrParentNotFound
			}
			return CustomerView{}, err
		}
	}
	rec, err := a.store.UpdateCustomer(ctx, id, p.Scope(), false, func(tx *gorm.DB, c *adapters.CustomerRecord) (adapters.Audit, error) {
		if parentID != nil {
			if err := adapters.CheckMove(tx, c.ID, *parentID); err != nil {
				return adapters.Audit{}, err
			}
		}
		c.ParentID = parentID
		return adapters.Audit{Action: "move", Actor: p.Subject, Reason: reason}, nil
	})
	if err != nil {
		return CustomerView{}, err
	}
	return customerView(rec), nil
}

// Delete soft-deletes a customer without live subsidiaries.
func (a *App) Delete(ctx context.Context, id, reason string) error {
	p, err := auth.Authorize(ctx, auth.PermCustomersDelete)
	if err != nil {
		return err
	}
	if !validID(id) {
		return domain.ErrCustomerNotFound
	}
	_, err = a.store.UpdateCustomer(ctx, id, p.Scope(), false, func(tx *gorm.DB, c *adapters.CustomerRecord) (adapters.Audit, error) {
		if has, err := adapters.HasLiveChildren(tx, c.ID); err != nil {
			return adapters.Audit{}, err
		} else if has {
			return adapters.Audit{}, domain.ErrHasChildren
		}
		t := nowUTC()
		c.DeletedAt, c.DeletedBy = &t, &p.Subject
		return adapters.Audit{Action: "delete", Actor: p.Subject, Reason: reason}, nil
	})
	return err
}

// Restore brings back a soft-deleted customer, unless its name or tax id has
// since been taken by another live customer or its parent is deleted.
func (a *App) Restore(ctx context.Context, id, reason string) (CustomerView, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersDelete)
	if err != nil {
		return CustomerView{}, err
	}
	if !validID(id) {
		return CustomerView{}, domain.ErrCustomerNotFound
	}
	rec, err := a.store.UpdateCustomer(ctx, id, p.Scope(), true, func(tx *gorm.DB, c *adapters.CustomerRecord) (adapters.Audit, error) {
		if c.DeletedAt == nil {
			return adapters.Audit{}, domain.ErrNotDeleted
		}
		if c.ParentID != nil {
			var n int64
			if err := tx.Model(&adapters.CustomerRecord{}).Where("id = ? AND deleted_at IS NULL", *c.ParentID).Count(&n).Error; err != nil {
				return adapters.Audit{}, err
			}
			if n == 0 {
				return adapters.Audit{}, domain.ErrParentDeleted
			}
		}
		if err := a.store.CheckUnique(tx, c); err != nil {
			return adapters.Audit{}, err
		}
		c.DeletedAt, c.DeletedBy = nil, nil
		return adapters.Audit{Action: "restore", Actor: p.Subject, Reason: reason}, nil
	})
	if err != nil {
		return CustomerView{}, refuseDuplicate(p, err)
	}
	return customerView(rec), nil
}

// Tree returns the customer, the chain of parents above it and its subsidiaries
// down to depth levels.
func (a *App) Tree(ctx context.Context, id string, depth int) (Tree, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersRead)
	if err != nil {
		return Tree{}, err
	}
	if !validID(id) {
		return Tree{}, domain.ErrCustomerNotFound
	}
	scope := p.Scope()
	root, err := a.store.GetCustomer(ctx, id, scope, false)
	if err != nil {
		return Tree{}, err
	}
	node := func(c adapters.CustomerRecord) *TreeNode {
		if !adapters.InScope(scope, c.OwnerID, c.Team) {
			return &TreeNode{ID: c.ID, Restricted: true, Children: []*TreeNode{}}
		}
		return &TreeNode{ID: c.ID, Name: c.Name, Region: c.Region, ValueClass: c.ValueClass, Stage: c.LifecycleStage, Children: []*TreeNode{}}
	}
	out := Tree{Root: node(root), Ancestors: []*TreeNode{}}
	ancestors, err := a.store.Ancestors(ctx, id)
	if err != nil {
		return Tree{}, err
	}
	for _, an := range ancestors {
		out.Ancestors = append(out.Ancestors, node(an))
	}
	desc, _, err := a.store.Subtree(ctx, id, depth)
	if err != nil {
		return Tree{}, err
	}
	nodes := map[string]*TreeNode{root.ID: out.Root}
	for _, d := range desc {
		nodes[d.ID] = node(d)
	}
	for _, d := range desc {
		if d.ParentID != nil {
			if parent, ok := nodes[*d.ParentID]; ok {
				parent.Children = append(parent.Children, nodes[d.ID])
			}
		}
	}
	return out, nil
}

// Audit returns a page of the customer's audit trail, newest first.
func (a *App) Audit(ctx context.Context, id, cursor string, limit int) (Page[AuditView], error) {
	p, err := auth.Authorize(ctx, auth.PermAuditRead)
	if err != nil {
		return Page[AuditView]{}, err
	}
	if !validID(id) {
		return Page[AuditView]{}, domain.ErrCustomerNotFound
	}
	if _, err := a.store.GetCustomer(ctx, id, p.Scope(), true); err != nil {
		return Page[AuditView]{}, err
	}
	if cursor != "" && !validID(cursor) {
		return Page[AuditView]{}, apperr.Invalid("invalid_cursor", "the cursor is not one this API returned")
	}
	rows, err := a.store.ListAudit(ctx, id, cursor, limit+1)
	if err != nil {
		return Page[AuditView]{}, err
	}
	out := Page[AuditView]{Items: []AuditView{}}
	if len(rows) > limit {
		rows = rows[:limit]
		out.NextCursor = rows[len(rows)-1].ID
	}
	for _, r := range rows {
		out.Items = append(out.Items, auditView(r))
	}
	return out, nil
}
