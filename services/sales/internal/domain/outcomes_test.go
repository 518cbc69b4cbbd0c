package domain

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

func customerID(i int) string { return fmt.Sprintf("0190a000-0000-7000-8000-%012d", i) }

func TestNewOutcomesQuery(t *testing.T) {
	since := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	until := since.Add(30 * 24 * time.Hour)
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = customerID(i + 1)
		}
		return out
	}

	q, err := NewOutcomesQuery(ids(MaxOutcomeCustomers), since, until)
	if err != nil || len(q.CustomerIDs) != MaxOutcomeCustomers || !q.Since.Equal(since) || !q.Until.Equal(until) {
		t.Fatalf("1,000 customers: %d ids, %v", len(q.CustomerIDs), err)
	}
	q, err = NewOutcomesQuery([]string{customerID(2), customerID(1), customerID(2)}, time.Time{}, until)
	if err != nil || len(q.CustomerIDs) != 2 || q.CustomerIDs[0] != customerID(2) || q.CustomerIDs[1] != customerID(1) || !q.Since.IsZero() {
		t.Fatalf("a repeated id is asked once, no since is no lower bound: %+v, %v", q, err)
	}
	if q, err := NewOutcomesQuery(nil, since, since); err != nil || len(q.CustomerIDs) != 0 {
		t.Fatalf("no customers, an empty period: %+v, %v", q, err)
	}

	for _, tc := range []struct {
		name         string
		ids          []string
		since, until time.Time
		field, code  string
	}{
		{"1,001 customers", ids(MaxOutcomeCustomers + 1), since, until, "customer_ids", "too_many"},
		{"not a customer id", []string{customerID(1), "acme"}, since, until, "customer_ids[1]", "invalid"},
		{"no id", []string{""}, since, until, "customer_ids[0]", "invalid"},
		{"an id in capitals", []string{"0190A000-0000-7000-8000-000000000001"}, since, until, "customer_ids[0]", "invalid"},
		{"a period that ends before it starts", ids(1), until, since, "until", "before_since"},
	} {
		_, err := NewOutcomesQuery(tc.ids, tc.since, tc.until)
		var e *apperr.Error
		if !errors.As(err, &e) || e.Kind != apperr.KindInvalid || e.Code != "invalid" || len(e.Fields) == 0 ||
			e.Fields[0].Field != tc.field || e.Fields[0].Code != tc.code {
			t.Errorf("%s: %#v, want invalid with %s %s", tc.name, err, tc.field, tc.code)
		}
	}
}

func TestOutcomes(t *testing.T) {
	a, b, c, d := customerID(1), customerID(2), customerID(3), customerID(4)
	t1 := time.Date(2027, 3, 5, 9, 0, 0, 0, time.UTC)
	t2 := t1.Add(48 * time.Hour)
	got := Outcomes(OutcomeFacts{
		Leads:         map[string]int64{b: 2, a: 1, d: 0},
		Opportunities: map[string]int64{a: 3},
		Wins: []CustomerWins{
			{CustomerID: a, Currency: "CNY", Count: 2, AmountMinor: 12000050, FirstAt: t2},
			{CustomerID: a, Currency: "JPY", Count: 1, AmountMinor: 500000, FirstAt: t1},
			{CustomerID: c, Currency: "KWD", Count: 1, AmountMinor: 1500, FirstAt: t2},
		},
	})
	want := []CustomerOutcome{
		{CustomerID: a, Leads: 1, Opportunities: 3, Won: 3, WonRevenue: 120000.50 + 500000, FirstWonAt: t1},
		{CustomerID: b, Leads: 2},
		{CustomerID: c, Won: 1, WonRevenue: 1.5, FirstWonAt: t2},
	}
	if len(got) != len(want) {
		t.Fatalf("outcomes: %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("outcome %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := Outcomes(OutcomeFacts{}); len(got) != 0 {
		t.Fatalf("no facts: %+v", got)
	}
}

func TestMajorUnits(t *testing.T) {
	for _, tc := range []struct {
		minor    int64
		currency string
		want     float64
	}{
		{12000050, "CNY", 120000.50},
		{12000050, "eur", 120000.50},
		{500000, "JPY", 500000},
		{1500, "KWD", 1.5},
		{0, "", 0},
	} {
		if got := MajorUnits(tc.minor, tc.currency); got != tc.want {
			t.Errorf("MajorUnits(%d, %q) = %v, want %v", tc.minor, tc.currency, got, tc.want)
		}
	}
}
