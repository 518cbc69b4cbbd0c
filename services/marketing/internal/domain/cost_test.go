package domain_test

import (
	"errors"
	"maps"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

func TestNewCostEntry(t *testing.T) {
	in := domain.CostDraft{ID: "cost-1", Amount: 1200.5, Note: "Print run", SpentOn: time.Date(2026, 6, 3, 17, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		state domain.State
		want  error
	}{
		{domain.StateDraft, domain.ErrCostNotAllowed},
		{domain.StateApproved, nil},
		{domain.StateRunning, nil},
		{domain.StateCompleted, nil},
		{domain.StateCancelled, domain.ErrCostNotAllowed},
	} {
		c := campaignIn(t, tc.state)
		e, err := domain.NewCostEntry(c, in, marketer, t0)
		if tc.want != nil {
			if !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.state, err, tc.want)
			}
			continue
		}
		want := domain.CostEntry{ID: "cost-1", CampaignID: c.ID, Amount: 1200.5, Note: "Print run", SpentOn: date(2026, 6, 3), By: "mk-lin", CreatedAt: t0}
		if err != nil || e != want {
			t.Errorf("%s: %+v, %v\nwant %+v", tc.state, e, err, want)
		}
	}
}

func TestNewCostEntryFieldRules(t *testing.T) {
	c := campaignIn(t, domain.StateRunning)
	ok := domain.CostDraft{ID: "cost-1", Amount: 1, SpentOn: date(2026, 6, 3)}
	cases := []struct {
		name  string
		edit  func(*domain.CostDraft)
		field string
		code  string
	}{
		{"a cent", func(d *domain.CostDraft) { d.Amount = 0.01 }, "", ""},
		{"1e12", func(d *domain.CostDraft) { d.Amount = 1e12 }, "", ""},
		{"nothing spent", func(d *domain.CostDraft) { d.Amount = 0 }, "amount", "out_of_range"},
		{"a refund", func(d *domain.CostDraft) { d.Amount = -5 }, "amount", "out_of_range"},
		{"over 1e12", func(d *domain.CostDraft) { d.Amount = 1.0000001e12 }, "amount", "out_of_range"},
		{"NaN", func(d *domain.CostDraft) { d.Amount = math.NaN() }, "amount", "out_of_range"},
		{"note of 500 characters", func(d *domain.CostDraft) { d.Note = strings.Repeat("n", 500) }, "", ""},
		{"note of 501 characters", func(d *domain.CostDraft) { d.Note = strings.Repeat("n", 501) }, "note", "too_long"},
		{"no date", func(d *domain.CostDraft) { d.SpentOn = time.Time{} }, "spent_on", "required"},
		{"no id", func(d *domain.CostDraft) { d.ID = "" }, "id", "required"},
	}
	for _, tc := range cases {
		d := ok
		tc.edit(&d)
		_, err := domain.NewCostEntry(c, d, marketer, t0)
		got := fields(t, err)
		if tc.field == "" && err != nil || tc.field != "" && !maps.Equal(got, map[string]string{tc.field: tc.code}) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if _, err := domain.NewCostEntry(c, ok, domain.Actor{}, t0); fields(t, err)["by"] != "required" {
		t.Errorf("no actor: %v", err)
	}
}

func TestActualCost(t *testing.T) {
	if got := domain.ActualCost([]domain.CostEntry{{Amount: 100.25}, {Amount: 900}, {Amount: 0.75}}); got != 1001 {
		t.Errorf("ActualCost = %v", got)
	}
	if got := domain.ActualCost(nil); got != 0 {
		t.Errorf("ActualCost(nil) = %v", got)
	}
}
