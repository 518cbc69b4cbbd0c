package domain

import (
	"errors"
	"testing"

	"github.com/closeloop/closeloop/platform/apperr"
)

func TestExistingIndexMatchesAsCreate(t *testing.T) {
	x := NewExistingIndex()
	x.AddCustomer("0002", "rep-ana", "north", "acme steel", "T1")
	x.AddCustomer("0001", "rep-bo", "south", "globex", "T2")
	x.AddCustomer("0005", "rep-bo", "south", "initech", "")
	x.AddEmail("ceo@hooli.example", "0009", "rep-ana", "north")
	x.AddEmail("ceo@hooli.example", "0007", "rep-bo", "south")
	x.AddEmail("cfo@acme.example", "0002", "rep-ana", "north")
	cases := []struct {
		name    string
		keys    DuplicateKeys
		id, on  string
		ownerID string
	}{
		{"same name", DuplicateKeys{Name: "acme steel"}, "0002", "name", "rep-ana"},
		{"same tax id", DuplicateKeys{Name: "acme steel works", TaxID: "T2"}, "0001", "tax_id", "rep-bo"},
		// Name of one, tax id of another: the lowest id wins, as ORDER BY id LIMIT 1.
		{"name and tax of two customers", DuplicateKeys{Name: "acme steel", TaxID: "T2"}, "0001", "tax_id", "rep-bo"},
		{"name and tax of one customer", DuplicateKeys{Name: "acme steel", TaxID: "T1"}, "0002", "name", "rep-ana"},
		{"contact email, lowest id", DuplicateKeys{Name: "hooli", Emails: []string{"x@y.example", "ceo@hooli.example"}}, "0007", "contact_email", "rep-bo"},
		// A name or tax id match comes before an email match, as in create.
		{"name before email", DuplicateKeys{Name: "initech", Emails: []string{"ceo@hooli.example"}}, "0005", "name", "rep-bo"},
		{"none", DuplicateKeys{Name: "umbrella", TaxID: "T9", Emails: []string{"a@b.example"}}, "", "", ""},
		{"empty tax id matches nothing", DuplicateKeys{Name: "umbrella"}, "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := x.Match(tc.keys)
			if tc.id == "" {
				if d != nil {
					t.Fatalf("want none, got %+v", d)
				}
				return
			}
			if d == nil || d.ID != tc.id || d.MatchedOn != tc.on || d.OwnerID != tc.ownerID {
				t.Fatalf("got %+v, want %s on %s", d, tc.id, tc.on)
			}
		})
	}
}

func TestBatchIndexFirstRowKeepsTheKey(t *testing.T) {
	b := NewBatchIndex()
	steps := []struct {
		row     int
		keys    DuplicateKeys
		earlier int
		on      string
	}{
		{0, DuplicateKeys{Name: "acme", TaxID: "T1", Emails: []string{"a@acme.example"}}, -1, ""},
		{1, DuplicateKeys{Name: "globex", TaxID: "T2"}, -1, ""},
		{2, DuplicateKeys{Name: "acme"}, 0, "name"},
		{3, DuplicateKeys{Name: "acme group", TaxID: "T2"}, 1, "tax_id"},
		// Tax id of row 1 and name of row 0: the earlier row, matched on its name.
		{4, DuplicateKeys{Name: "acme", TaxID: "T2"}, 0, "name"},
		{5, DuplicateKeys{Name: "hooli", Emails: []string{"b@hooli.example", "a@acme.example"}}, 0, "contact_email"},
		// A duplicate claims nothing: its keys stay free for a later row.
		{6, DuplicateKeys{Name: "acme group"}, -1, ""},
		{7, DuplicateKeys{Name: "hooli"}, -1, ""},
		{8, DuplicateKeys{Name: "initech", Emails: []string{"b@hooli.example"}}, -1, ""},
		{9, DuplicateKeys{Name: "initech"}, 8, "name"},
	}
	for _, s := range steps {
		earlier, on, ok := b.Claim(s.row, s.keys)
		if ok != (s.earlier < 0) || earlier != s.earlier || on != s.on {
			t.Errorf("row %d: got (%d, %q, %v), want (%d, %q)", s.row, earlier, on, ok, s.earlier, s.on)
		}
	}
}

func TestRowErrors(t *testing.T) {
	var v apperr.Validation
	v.Add("name", "required", "is required")
	v.Add("contacts[0].email", "invalid", "must be a valid email address")
	fields, ok := RowErrors(v.Err())
	if !ok || len(fields) != 2 || fields[1].Field != "contacts[0].email" {
		t.Fatalf("validation: %v %v", fields, ok)
	}
	for _, err := range []error{ErrOwnerOutOfScope, ErrOwnerOutOfScope.Withf("the owner must be an active rep of team north"), ErrUnknownOwner.With("owner_id", "ghost")} {
		fields, ok := RowErrors(err)
		if !ok || len(fields) != 1 || fields[0].Field != "owner_id" || fields[0].Code == "" {
			t.Errorf("%v: %v %v", err, fields, ok)
		}
	}
	// Not the row's fault: the whole request fails.
	for _, err := range []error{errors.New("connection reset"), apperr.Forbidden("forbidden", "no"), apperr.Rule("no_team", "your account belongs to no team")} {
		if _, ok := RowErrors(err); ok {
			t.Errorf("%v must not be a row error", err)
		}
	}
}
