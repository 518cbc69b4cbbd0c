package domain_test

import (
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/service/internal/domain"
)

var loyaltyNow = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

func caseMonths(n int) []time.Time {
	var out []time.Time
	for i := range n {
		out = append(out, loyaltyNow.AddDate(0, -i, -1))
	}
	return out
}

func scored(csat ...int) []domain.Scored {
	var out []domain.Scored
	for i, c := range csat { // the first is the latest
		out = append(out, domain.Scored{At: loyaltyNow.Add(-time.Duration(i+1) * 24 * time.Hour), CSAT: c})
	}
	return out
}

func withNPS(a []domain.Scored, nps int) []domain.Scored {
	a[0].NPS = &nps
	return a
}

func firstCase(monthsAgo int) *time.Time {
	t := loyaltyNow.AddDate(0, -monthsAgo, 0)
	return &t
}

func TestLoyaltyLevels(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    domain.LoyaltyFacts
		want string
	}{
		{"no answers", domain.LoyaltyFacts{CaseDates: caseMonths(6), FirstCaseAt: firstCase(24)}, domain.LoyaltyUnknown},
		{"only answers older than a year", domain.LoyaltyFacts{Answers: []domain.Scored{{At: loyaltyNow.AddDate(-1, 0, -1), CSAT: 5}}, FirstCaseAt: firstCase(24)}, domain.LoyaltyUnknown},
		{"average below 3", domain.LoyaltyFacts{Answers: scored(3, 2, 3), CaseDates: caseMonths(6), FirstCaseAt: firstCase(24)}, domain.LoyaltyAtRisk},
		{"latest CSAT 2 among good ones", domain.LoyaltyFacts{Answers: scored(2, 5, 5, 5, 5), CaseDates: caseMonths(6), FirstCaseAt: firstCase(24)}, domain.LoyaltyAtRisk},
		{"a detractor", domain.LoyaltyFacts{Answers: withNPS(scored(5, 5), 6), CaseDates: caseMonths(6), FirstCaseAt: firstCase(24)}, domain.LoyaltyAtRisk},
		{"an advocate", domain.LoyaltyFacts{Answers: withNPS(scored(5, 4, 5), 9), CaseDates: caseMonths(3), FirstCaseAt: firstCase(12)}, domain.LoyaltyAdvocate},
		{"a promoter of 11 months is loyal", domain.LoyaltyFacts{Answers: withNPS(scored(5, 5), 10), CaseDates: caseMonths(3), FirstCaseAt: firstCase(11)}, domain.LoyaltyLoyal},
		{"a promoter with cases in 2 months is loyal", domain.LoyaltyFacts{Answers: withNPS(scored(5, 5), 10), CaseDates: caseMonths(2), FirstCaseAt: firstCase(24)}, domain.LoyaltyLoyal},
		{"a passive is loyal", domain.LoyaltyFacts{Answers: withNPS(scored(4, 4), 8), CaseDates: caseMonths(2), FirstCaseAt: firstCase(6)}, domain.LoyaltyLoyal},
		{"loyal without NPS", domain.LoyaltyFacts{Answers: scored(4, 5), CaseDates: caseMonths(2), FirstCaseAt: firstCase(6)}, domain.LoyaltyLoyal},
		{"satisfied but new", domain.LoyaltyFacts{Answers: scored(5, 5), CaseDates: caseMonths(2), FirstCaseAt: firstCase(5)}, domain.LoyaltyNeutral},
		{"satisfied, one month of cases", domain.LoyaltyFacts{Answers: scored(5), CaseDates: caseMonths(1), FirstCaseAt: firstCase(24)}, domain.LoyaltyNeutral},
		{"average 3.5", domain.LoyaltyFacts{Answers: scored(3, 4), CaseDates: caseMonths(6), FirstCaseAt: firstCase(24)}, domain.LoyaltyNeutral},
	} {
		got := domain.LoyaltyOf(tc.f, loyaltyNow)
		if got.Level != tc.want {
			t.Errorf("%s: %s (%s), want %s", tc.name, got.Level, got.Rule, tc.want)
		}
		if got.Rule == "" {
			t.Errorf("%s: no rule named", tc.name)
		}
	}
}

// The average is of the 10 most recent answers within the year: an old bad
// streak no longer counts once ten better answers followed.
func TestLoyaltyAverageIsRecent(t *testing.T) {
	a := scored(4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 1, 1, 1, 1)
	got := domain.LoyaltyOf(domain.LoyaltyFacts{Answers: a, CaseDates: caseMonths(3), FirstCaseAt: firstCase(24)}, loyaltyNow)
	if got.CSATCount != 10 || *got.CSATAverage != 4 || *got.LatestCSAT != 4 || got.Level != domain.LoyaltyLoyal {
		t.Errorf("%+v", got)
	}
	got = domain.LoyaltyOf(domain.LoyaltyFacts{Answers: scored(4, 5, 5)}, loyaltyNow)
	if *got.CSATAverage != 4.67 {
		t.Errorf("average %v, want 4.67 (two decimals)", *got.CSATAverage)
	}
}

// The latest NPS answer counts, even when it is not on the latest answer.
func TestLoyaltyLatestNPS(t *testing.T) {
	a := scored(5, 5, 5)
	nine, three := 9, 3
	a[1].NPS, a[2].NPS = &nine, &three
	got := domain.LoyaltyOf(domain.LoyaltyFacts{Answers: a, CaseDates: caseMonths(3), FirstCaseAt: firstCase(12)}, loyaltyNow)
	if got.NPS == nil || *got.NPS != 9 || got.Level != domain.LoyaltyAdvocate {
		t.Errorf("%+v", got)
	}
}

// Repeat business counts distinct months within two years; tenure whole
// months since the first case, on both sides of the month's boundary.
func TestLoyaltyRepeatAndTenure(t *testing.T) {
	dates := []time.Time{loyaltyNow.AddDate(0, 0, -1), loyaltyNow.AddDate(0, 0, -2), loyaltyNow.AddDate(0, -1, 0), loyaltyNow.AddDate(-2, 0, -1)}
	got := domain.LoyaltyOf(domain.LoyaltyFacts{CaseDates: dates}, loyaltyNow)
	if got.ActiveMonths != 2 {
		t.Errorf("active months %d, want 2 (two cases in one month; one older than two years)", got.ActiveMonths)
	}
	for _, tc := range []struct {
		first time.Time
		want  int
	}{
		{loyaltyNow.AddDate(0, -6, 0), 6},
		{loyaltyNow.AddDate(0, -6, 0).Add(time.Second), 5},
		{loyaltyNow.AddDate(-1, 0, 0).Add(-time.Second), 12},
		{loyaltyNow.Add(time.Hour), 0},
	} {
		got := domain.LoyaltyOf(domain.LoyaltyFacts{FirstCaseAt: &tc.first}, loyaltyNow)
		if got.TenureMonths != tc.want {
			t.Errorf("first case %s: tenure %d, want %d", tc.first, got.TenureMonths, tc.want)
		}
	}
}
