package app

import (
	"context"
	"strings"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// UpdateContact changes the contact fields that are set.
type UpdateContact struct {
	Name, Title, Department, Email, Phone, Mobile, Birthday, PersonalNotes, DecisionRole *string
	IsPrimary                                                                            *bool
}

// visibleCustomer loads the parent customer of a contact operation, as not found
// when the caller may not see it.
func (a *App) visibleCustomer(ctx context.Context, p auth.Principal, customerID string) error {
	if !validID(customerID) {
		return domain.ErrCustomerNotFound
	}
	_, err := a.store.GetCustomer(ctx, customerID, p.Scope(), false)
	return err
}

// AddContact adds a contact to a customer, idempotently.
func (a *App) AddContact(ctx context.Context, customerID string, in ContactInput, idemKey string, rawBody []byte) (Created, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersWrite)
	if err != nil {
		return Created{}, err
	}
	if err := a.visibleCustomer(ctx, p, customerID); err != nil {
		return Created{}, err
	}
	var v apperr.Validation
	domain.ValidateContact(&v, "", in.domain(), false)
	if err := v.Err(); err != nil {
		return Created{}, err
	}
	return idempotent(ctx, a.store.DB(), p, idemKey, "POST /v1/customers/"+customerID+"/contacts", rawBody, func(tx *gorm.DB) (any, error) {
		rec := in.record(customerID)
		if err := a.store.AddContact(ctx, tx, &rec, p.Subject); err != nil {
			return nil, err
		}
		return contactView(rec), nil
	})
}

// ListContacts lists a customer's contacts.
func (a *App) ListContacts(ctx context.Context, customerID string) ([]ContactView, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersRead)
	if err != nil {
		return nil, err
	}
	if err := a.visibleCustomer(ctx, p, customerID); err != nil {
		return nil, err
	}
	rows, err := a.store.ListContacts(ctx, customerID)
	if err != nil {
		return nil, err
	}
	out := make([]ContactView, 0, len(rows))
	for _, r := range rows {
		out = append(out, contactView(r))
	}
	return out, nil
}

// GetContact returns one contact.
func (a *App) GetContact(ctx context.Context, customerID, id string) (ContactView, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersRead)
	if err != nil {
		return ContactView{}, err
	}
	if err := a.visibleCustomer(ctx, p, customerID); err != nil {
		return ContactView{}, err
	}
	if !validID(id) {
		return ContactView{}, domain.ErrContactNotFound
	}
	r, err := a.store.GetContact(ctx, customerID, id)
	if err != nil {
		return ContactView{}, err
	}
	return contactView(r), nil
}

// UpdateContact changes a contact.
func (a *App) UpdateContact(ctx context.Context, customerID, id string, in UpdateContact) (ContactView, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersWrite)
	if err != nil {
		return ContactView{}, err
	}
	if err := a.visibleCustomer(ctx, p, customerID); err != nil {
		return ContactView{}, err
	}
	if !validID(id) {
		return ContactView{}, domain.ErrContactNotFound
	}
	var v apperr.Validation
	if in.Name != nil && strings.TrimSpace(*in.Name) == "" {
		v.Add("name", "required", "must not be empty")
	}
	domain.ValidateContact(&v, "", domain.Contact{Name: str(in.Name), Title: str(in.Title), Department: str(in.Department), Email: str(in.Email),
		Phone: str(in.Phone), Mobile: str(in.Mobile), Birthday: str(in.Birthday), PersonalNotes: str(in.PersonalNotes),
		DecisionRole: domain.DecisionRole(str(in.DecisionRole))}, true)
	if err := v.Err(); err != nil {
		return ContactView{}, err
	}
	rec, err := a.store.UpdateContact(ctx, customerID, id, func(c *adapters.ContactRecord) (adapters.Audit, error) {
		set(&c.Name, trimmed(in.Name))
		set(&c.Title, in.Title)
		set(&c.Department, in.Department)
		if in.Phone != nil {
			c.Phone = domain.NormalizePhone(*in.Phone)
		}
		if in.Mobile != nil {
			c.Mobile = domain.NormalizePhone(*in.Mobile)
		}
		set(&c.Birthday, in.Birthday)
		set(&c.PersonalNotes, in.PersonalNotes)
		set(&c.DecisionRole, in.DecisionRole)
		set(&c.IsPrimary, in.IsPrimary)
		if in.Email != nil {
			if e := domain.NormalizeEmail(*in.Email); e != "" {
				c.Email = &e
			} else {
				c.Email = nil
			}
		}
		return adapters.Audit{Action: "contact_update", Actor: p.Subject}, nil
	})
	if err != nil {
		return ContactView{}, err
	}
	return contactView(rec), nil
}

// DeleteContact soft-deletes a contact.
func (a *App) DeleteContact(ctx context.Context, customerID, id string) error {
	p, err := auth.Authorize(ctx, auth.PermCustomersWrite)
	if err != nil {
		return err
	}
	if err := a.visibleCustomer(ctx, p, customerID); err != nil {
		return err
	}
	if !validID(id) {
		return domain.ErrContactNotFound
	}
	_, err = a.store.UpdateContact(ctx, customerID, id, func(c *adapters.ContactRecord) (adapters.Audit, error) {
		t := nowUTC()
		c.DeletedAt = &t
		return adapters.Audit{Action: "contact_delete", Actor: p.Subject}, nil
	})
	return err
}
