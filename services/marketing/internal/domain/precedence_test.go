package domain_test

import (
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

func TestPrecedenceOrder(t *testing.T) {
	// The documented order, highest first; every type has a rank.
	order := []domain.Type{domain.TypeWinback, domain.TypeVisitDrive, domain.TypeEvent, domain.TypeCrossSell, domain.TypeMailing, domain.TypeOther}
	if len(order) != len(domain.Types) {
		t.Fatal("a type is missing from the precedence order")
	}
	for i := 1; i < len(order); i++ {
		if domain.Precedence(order[i-1]) <= domain.Precedence(order[i]) || domain.Precedence(order[i]) <= 0 {
			t.Errorf("%s does not come before %s", order[i-1], order[i])
		}
	}
	if domain.Precedence("unknown") != 0 {
		t.Error("an unknown type has a rank")
	}
}

func TestDecide(t *testing.T) {
	mon := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	tue := mon.Add(24 * time.Hour)
	ref := func(id string, typ domain.Type, launched time.Time) domain.CampaignRef {
		return domain.CampaignRef{ID: id, Type: typ, LaunchedAt: launched}
	}
	cases := []struct {
		name    string
		new     domain.CampaignRef
		current *domain.CampaignRef
		want    domain.Decision
	}{
		{"in no campaign", ref("b", domain.TypeMailing, tue), nil, domain.Decision{Outcome: domain.Enrol}},
		{"a win-back takes a customer from a mailing", ref("b", domain.TypeWinback, tue), ptr(ref("a", domain.TypeMailing, mon)),
			domain.Decision{Outcome: domain.Supersede, Reason: domain.ReasonSuperseded, CampaignID: "a"}},
		{"a visit drive takes a customer from an event", ref("b", domain.TypeVisitDrive, tue), ptr(ref("a", domain.TypeEvent, mon)),
			domain.Decision{Outcome: domain.Supersede, Reason: domain.ReasonSuperseded, CampaignID: "a"}},
		{"a mailing leaves a customer to a cross-sell", ref("b", domain.TypeMailing, mon), ptr(ref("a", domain.TypeCrossSell, tue)),
			domain.Decision{Outcome: domain.Skip, Reason: domain.ReasonInCampaign, CampaignID: "a"}},
		{"other leaves a customer to a mailing", ref("b", domain.TypeOther, mon), ptr(ref("a", domain.TypeMailing, tue)),
			domain.Decision{Outcome: domain.Skip, Reason: domain.ReasonInCampaign, CampaignID: "a"}},
		{"same type: the earlier launched keeps the customer", ref("b", domain.TypeEvent, tue), ptr(ref("a", domain.TypeEvent, mon)),
			domain.Decision{Outcome: domain.Skip, Reason: domain.ReasonInCampaign, CampaignID: "a"}},
		{"same type: an earlier launched campaign does not take the customer back", ref("a", domain.TypeEvent, mon), ptr(ref("b", domain.TypeEvent, tue)),
			domain.Decision{Outcome: domain.Skip, Reason: domain.ReasonInCampaign, CampaignID: "b"}},
		{"same type and instant: the smaller id does not either", ref("a", domain.TypeEvent, mon), ptr(ref("b", domain.TypeEvent, mon)),
			domain.Decision{Outcome: domain.Skip, Reason: domain.ReasonInCampaign, CampaignID: "b"}},
		{"same type and instant, the larger id skips", ref("b", domain.TypeEvent, mon), ptr(ref("a", domain.TypeEvent, mon)),
			domain.Decision{Outcome: domain.Skip, Reason: domain.ReasonInCampaign, CampaignID: "a"}},
		{"the type outranks the launch", ref("b", domain.TypeWinback, tue), ptr(ref("a", domain.TypeOther, mon)),
			domain.Decision{Outcome: domain.Supersede, Reason: domain.ReasonSuperseded, CampaignID: "a"}},
		{"already in this campaign", ref("a", domain.TypeWinback, mon), ptr(ref("a", domain.TypeWinback, mon)),
			domain.Decision{Outcome: domain.Skip, Reason: domain.ReasonAlreadyEnrolled, CampaignID: "a"}},
	}
	for _, tc := range cases {
		if got := domain.Decide(tc.new, tc.current); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestDecideDoesNotDependOnOrder(t *testing.T) {
	// Whatever order the running campaigns ask for a customer in, a
	// campaign of the highest type ends up with them (between two of one
	// type, whichever had them first keeps them).
	mon := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	campaigns := []domain.CampaignRef{
		{ID: "m", Type: domain.TypeMailing, LaunchedAt: mon},
		{ID: "e2", Type: domain.TypeEvent, LaunchedAt: mon.Add(time.Hour)},
		{ID: "e1", Type: domain.TypeEvent, LaunchedAt: mon},
		{ID: "x", Type: domain.TypeCrossSell, LaunchedAt: mon.Add(-time.Hour)},
	}
	var permute func([]domain.CampaignRef, int)
	permute = func(cs []domain.CampaignRef, k int) {
		if k == len(cs) {
			var holder *domain.CampaignRef
			for _, c := range cs {
				switch d := domain.Decide(c, holder); d.Outcome {
				case domain.Enrol, domain.Supersede:
					holder = &c
				}
			}
			if holder.Type != domain.TypeEvent {
				t.Errorf("order %v: %s keeps the customer", cs, holder.ID)
			}
			return
		}
		for i := k; i < len(cs); i++ {
			cs[k], cs[i] = cs[i], cs[k]
			permute(cs, k+1)
			cs[k], cs[i] = cs[i], cs[k]
		}
	}
	permute(campaigns, 0)
}
