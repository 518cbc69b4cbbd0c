package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// ImportRow is one row of an import: the fields of a create (without a
// parent: the hierarchy is set afterwards with a move) and the caller's own
// reference for the row, echoed back, never stored.
type ImportRow struct {
	ExternalRef string
	Customer    CreateCustomer
}

// ImportCustomers is the import command: up to domain.MaxImportRows rows,
// written only when DryRun is false.
type ImportCustomers struct {
	Rows   []ImportRow
	DryRun bool
}

// ImportResult is the answer of an import, one result per row in request order.
type ImportResult struct {
	DryRun  bool              `json:"dry_run"`
	Summary ImportSummary     `json:"summary"`
	Rows    []ImportRowResult `json:"rows"`
}

// ImportSummary counts the rows by outcome.
type ImportSummary struct {
	New       int `json:"new"`
	Duplicate int `json:"duplicate"`
	Invalid   int `json:"invalid"`
}

// ImportRowResult is what became (or, on a dry run, would become) of one row.
type ImportRowResult struct {
	// Index is the row's position in the request's rows, from 0.
	Index       int    `json:"index"`
	ExternalRef string `json:"external_ref,omitempty"`
	// Outcome is new, duplicate or invalid.
	Outcome domain.ImportOutcome `json:"outcome"`
	// CustomerID is, for a new row, the id it was created with (absent on a
	// dry run); for a duplicate, the existing customer's id when you may see
	// it, or the id the earlier row of this import was created with.
	CustomerID string `json:"customer_id,omitempty"`
	// DuplicateOfRow is the index of the earlier row of this request that
	// this one duplicates.
	DuplicateOfRow *int `json:"duplicate_of_row,omitempty"`
	// MatchedOn is the key a duplicate shares: name, tax_id or contact_email.
	MatchedOn string `json:"matched_on,omitempty"`
	// OwningTeam is, for a duplicate of a customer outside your scope, the
	// team to ask (its id is not revealed); empty when it has no owner yet.
	OwningTeam string `json:"owning_team,omitempty"`
	// Errors are an invalid row's field errors, as create would answer them.
	Errors []apperr.FieldError `json:"errors,omitempty"`
}

// importConflictRetries bounds how often an import looks for duplicates
// again after a concurrent create took one of its keys.
const importConflictRetries = 3

// Import creates many customers in one transaction, each judged by create's
// rules and duplicate keys (domain/import.go), and answers per row. A dry
// run judges the same way and writes nothing. What is not one row's fault —
// no permission, an account without a team, too many rows — fails the whole
// request with one error, and nothing is written.
func (a *App) Import(ctx context.Context, in ImportCustomers, idemKey string, rawBody []byte) (Created, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersWrite)
	if err != nil {
		return Created{}, err
	}
	var v apperr.Validation
	v.Check(len(in.Rows) > 0, "rows", "required", "send at least one row")
	v.Check(len(in.Rows) <= domain.MaxImportRows, "rows", "too_many", fmt.Sprintf("at most %d rows per request; send larger files in chunks", domain.MaxImportRows))
	if err := v.Err(); err != nil {
		return Created{}, err
	}
	j, err := judgeRows(ctx, p, in.Rows, memoUsers(a.store.GetUser))
	if err != nil {
		return Created{}, err
	}
	if in.DryRun {
		// Nothing is written, not even the idempotency key: a dry run has
		// nothing to repeat. The key is still checked.
		if err := idem.ValidateKey(idemKey); err != nil {
			return Created{}, err
		}
		var res ImportResult
		err := a.store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			res, _, err = j.duplicates(tx, p, true)
			return err
		})
		if err != nil {
			return Created{}, err
		}
		return created(res)
	}
	out, err := idem.Do(ctx, a.store.DB(), idem.Request{Key: idemKey, Principal: p.Subject, Scope: "POST /v1/customers/import", Body: rawBody},
		func(tx *gorm.DB) (int, any, error) {
			for range importConflictRetries {
				res, batch, err := j.duplicates(tx, p, false)
				if err != nil {
					return 0, nil, err
				}
				err = a.store.InsertCustomers(ctx, tx, batch, p.Subject)
				if errors.Is(err, domain.ErrDuplicate) {
					continue // a concurrent create took a key: look again
				}
				return 200, res, err
			}
			return 0, nil, apperr.Conflict("import_conflict", "customers with the same keys were being created at the same time; send the rows again")
		})
	return Created{Status: out.Status, Body: out.Body, Replayed: out.Replayed}, err
}

func created(res ImportResult) (Created, error) {
	raw, err := json.Marshal(res)
	return Created{Status: 200, Body: raw}, err
}

// judged is an import's rows after create's rules, before the duplicate check.
type judged struct {
	results []ImportRowResult
	valid   []int // rows that passed create's rules, in order
	records []adapters.NewCustomer
	keys    []domain.DuplicateKeys
}

// judgeRows applies create's rules (newCustomer) to every row. A refusal
// that is not the row's fault (domain.RowErrors) fails the whole import.
func judgeRows(ctx context.Context, p auth.Principal, rows []ImportRow, users func(context.Context, string) (*adapters.UserRecord, error)) (*judged, error) {
	j := &judged{results: make([]ImportRowResult, len(rows)), records: make([]adapters.NewCustomer, len(rows)), keys: make([]domain.DuplicateKeys, len(rows))}
	for i, row := range rows {
		r := &j.results[i]
		r.Index, r.ExternalRef = i, row.ExternalRef
		if len(row.ExternalRef) > 200 {
			r.Outcome = domain.ImportInvalid
			r.Errors = []apperr.FieldError{{Field: "external_ref", Code: "too_long", Message: "must be at most 200 characters"}}
			continue
		}
		in := row.Customer
		in.ParentID = nil
		rec, contacts, err := newCustomer(ctx, p, in, users)
		if err != nil {
			fields, ok := domain.RowErrors(err)
			if !ok {
				return nil, err
			}
			r.Outcome, r.Errors = domain.ImportInvalid, fields
			continue
		}
		k := domain.DuplicateKeys{Name: rec.NormalizedName}
		if rec.TaxID != nil {
			k.TaxID = *rec.TaxID
		}
		for _, c := range contacts {
			if c.Email != nil {
				k.Emails = append(k.Emails, *c.Email)
			}
		}
		j.valid = append(j.valid, i)
		j.records[i] = adapters.NewCustomer{Customer: rec, Contacts: contacts}
		j.keys[i] = k
	}
	return j, nil
}

// duplicates judges the valid rows against the live customers (looked up in
// q by all the rows' keys at once) and against each other, and returns the
// results and the customers to insert. A duplicate of a customer outside
// p's scope names only the key and the owning team, as create's refusal does.
func (j *judged) duplicates(q *gorm.DB, p auth.Principal, dryRun bool) (ImportResult, []adapters.NewCustomer, error) {
	var names, taxIDs, emails []string
	for _, i := range j.valid {
		k := j.keys[i]
		names = append(names, k.Name)
		if k.TaxID != "" {
			taxIDs = append(taxIDs, k.TaxID)
		}
		emails = append(emails, k.Emails...)
	}
	res := ImportResult{DryRun: dryRun, Rows: make([]ImportRowResult, len(j.results))}
	copy(res.Rows, j.results)
	var insert []adapters.NewCustomer
	if len(j.valid) > 0 {
		existing, err := adapters.FindDuplicates(q, names, taxIDs, emails)
		if err != nil {
			return ImportResult{}, nil, err
		}
		batch, scope := domain.NewBatchIndex(), p.Scope()
		for _, i := range j.valid {
			r := &res.Rows[i]
			if d := existing.Match(j.keys[i]); d != nil {
				r.Outcome, r.MatchedOn = domain.ImportDuplicate, d.MatchedOn
				if adapters.InScope(scope, d.OwnerID, d.Team) {
					r.CustomerID = d.ID
				} else {
					r.OwningTeam = d.Team
				}
				continue
			}
			if earlier, on, ok := batch.Claim(i, j.keys[i]); !ok {
				r.Outcome, r.MatchedOn, r.DuplicateOfRow = domain.ImportDuplicate, on, &earlier
				if !dryRun {
					r.CustomerID = j.records[earlier].Customer.ID
				}
				continue
			}
			r.Outcome = domain.ImportNew
			if !dryRun {
				r.CustomerID = j.records[i].Customer.ID
			}
			insert = append(insert, j.records[i])
		}
	}
	for _, r := range res.Rows {
		switch r.Outcome {
		case domain.ImportNew:
			res.Summary.New++
		case domain.ImportDuplicate:
			res.Summary.Duplicate++
		case domain.ImportInvalid:
			res.Summary.Invalid++
		}
	}
	return res, insert, nil
}

// memoUsers looks each owner up once per import.
func memoUsers(find func(context.Context, string) (*adapters.UserRecord, error)) func(context.Context, string) (*adapters.UserRecord, error) {
	seen := map[string]*adapters.UserRecord{}
	return func(ctx context.Context, id string) (*adapters.UserRecord, error) {
		if u, ok := seen[id]; ok {
			return u, nil
		}
		u, err := find(ctx, id)
		if err == nil {
			seen[id] = u
		}
		return u, err
	}
}
