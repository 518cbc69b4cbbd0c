package domain

import (
	"errors"

	"github.com/closeloop/closeloop/platform/apperr"
)

// An import creates many customers at once. Each row is judged exactly as one
// create would judge it — the same validation, owner and initial-stage rules
// — and by the same duplicate rule: a row duplicates a live customer with the
// same normalised name or tax id, or with a contact email already on file
// (NormalizeName, NormalizeTaxID, NormalizeEmail). Rows of one import are also
// compared with each other: of two rows that would both be created with a key
// in common, the first is new and the second its duplicate. A row that is
// invalid, or a duplicate of an existing customer, claims no keys, so it makes
// no later row a duplicate.

// MaxImportRows is the most rows one import request may carry; larger files
// are sent in chunks of at most this many rows.
const MaxImportRows = 5000

// ImportOutcome is what became, or would become, of one row.
type ImportOutcome string

const (
	// ImportNew: the row is (or would be) created.
	ImportNew ImportOutcome = "new"
	// ImportDuplicate: the row duplicates an existing customer or an earlier row.
	ImportDuplicate ImportOutcome = "duplicate"
	// ImportInvalid: the row breaks a rule of create; it is not created.
	ImportInvalid ImportOutcome = "invalid"
)

// DuplicateKeys are the keys create compares, as stored: the normalised name
// (NormalizeName), the normalised tax id (NormalizeTaxID; "" when none) and
// the contacts' normalised emails (NormalizeEmail).
type DuplicateKeys struct {
	Name   string
	TaxID  string
	Emails []string
}

// ExistingIndex holds the live customers found by a batch's keys and answers,
// per row, the one create would name as the duplicate: among customers with
// the same name or tax id the lowest id (matched on name when the names are
// equal, else tax_id); failing that, among customers with a contact email in
// common, the lowest id (matched on contact_email).
type ExistingIndex struct {
	byName, byTax, byEmail map[string]Duplicate
	names                  map[string]string // id → normalised name
}

// NewExistingIndex returns an empty index.
func NewExistingIndex() *ExistingIndex {
	return &ExistingIndex{byName: map[string]Duplicate{}, byTax: map[string]Duplicate{}, byEmail: map[string]Duplicate{}, names: map[string]string{}}
}

// AddCustomer records a live customer found by its name or tax id.
func (x *ExistingIndex) AddCustomer(id, ownerID, team, normalizedName, taxID string) {
	d := Duplicate{ID: id, OwnerID: ownerID, Team: team}
	x.names[id] = normalizedName
	keepLowest(x.byName, normalizedName, d)
	if taxID != "" {
		keepLowest(x.byTax, taxID, d)
	}
}

// AddEmail records a live customer with a live contact of this (normalised) email.
func (x *ExistingIndex) AddEmail(email, id, ownerID, team string) {
	keepLowest(x.byEmail, email, Duplicate{ID: id, OwnerID: ownerID, Team: team})
}

func keepLowest(m map[string]Duplicate, key string, d Duplicate) {
	if cur, ok := m[key]; !ok || d.ID < cur.ID {
		m[key] = d
	}
}

// Match returns the live customer a new one with keys k duplicates, or nil.
func (x *ExistingIndex) Match(k DuplicateKeys) *Duplicate {
	var best *Duplicate
	consider := func(d Duplicate, ok bool) {
		if ok && (best == nil || d.ID < best.ID) {
			best = &d
		}
	}
	d, ok := x.byName[k.Name]
	consider(d, ok)
	if k.TaxID != "" {
		d, ok := x.byTax[k.TaxID]
		consider(d, ok)
	}
	if best != nil {
		best.MatchedOn = "tax_id"
		if x.names[best.ID] == k.Name {
			best.MatchedOn = "name"
		}
		return best
	}
	for _, e := range k.Emails {
		d, ok := x.byEmail[e]
		consider(d, ok)
	}
	if best != nil {
		best.MatchedOn = "contact_email"
	}
	return best
}

// BatchIndex compares the rows of one import with each other: the first row
// to claim a key keeps it.
type BatchIndex struct {
	byName, byTax, byEmail map[string]int
	names                  map[int]string // row → normalised name
}

// NewBatchIndex returns an empty index.
func NewBatchIndex() *BatchIndex {
	return &BatchIndex{byName: map[string]int{}, byTax: map[string]int{}, byEmail: map[string]int{}, names: map[int]string{}}
}

// Claim registers row's keys when no earlier row holds any of them and
// returns ok. Otherwise it returns the earlier row the row duplicates, and on
// which key (name, tax_id or contact_email, in create's order), registering
// nothing.
func (b *BatchIndex) Claim(row int, k DuplicateKeys) (earlier int, matchedOn string, ok bool) {
	earlier = -1
	consider := func(r int, found bool) {
		if found && (earlier < 0 || r < earlier) {
			earlier = r
		}
	}
	r, found := b.byName[k.Name]
	consider(r, found)
	if k.TaxID != "" {
		r, found := b.byTax[k.TaxID]
		consider(r, found)
	}
	if earlier >= 0 {
		if b.names[earlier] == k.Name {
			return earlier, "name", false
		}
		return earlier, "tax_id", false
	}
	for _, e := range k.Emails {
		r, found := b.byEmail[e]
		consider(r, found)
	}
	if earlier >= 0 {
		return earlier, "contact_email", false
	}
	b.names[row] = k.Name
	b.byName[k.Name] = row
	if k.TaxID != "" {
		b.byTax[k.TaxID] = row
	}
	for _, e := range k.Emails {
		if _, taken := b.byEmail[e]; !taken {
			b.byEmail[e] = row
		}
	}
	return -1, "", true
}

// RowErrors turns a refusal by create's rules into the field errors of one
// import row: the fields of a validation failure, or the owner_id field for an
// owner the caller may not name. ok is false for any other error (a failure
// of the service, or a refusal of the whole request such as a missing
// permission), which is not the row's fault.
func RowErrors(err error) (fields []apperr.FieldError, ok bool) {
	var e *apperr.Error
	if !errors.As(err, &e) {
		return nil, false
	}
	switch {
	case e.Kind == apperr.KindRule && len(e.Fields) > 0:
		return e.Fields, true
	case errors.Is(err, ErrOwnerOutOfScope), errors.Is(err, ErrUnknownOwner):
		return []apperr.FieldError{{Field: "owner_id", Code: e.Code, Message: e.Message}}, true
	}
	return nil, false
}
