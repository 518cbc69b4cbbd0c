package domain_test

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/service/internal/domain"
)

var surveyPolicy = domain.SurveyPolicy{SampleShare: 1, TokenTTL: 14 * 24 * time.Hour, NPSPeriod: 90 * 24 * time.Hour,
	CommentRequiredBelow: 3, RecoveryBelow: 3}

func closedCase() domain.Closed {
	at := t0
	return domain.Closed{CaseID: "0190a000-0000-7000-8000-000000000001", CustomerID: "c-basalt", Team: "service-north",
		Priority: domain.P2, Type: domain.TypeRepair, Subject: "Crane stops under load", State: domain.StateClosed,
		ContactEmail: "li.wei@basalt.example", Language: domain.LangChinese, ClosedAt: &at}
}

func decide(t *testing.T, f domain.Facts, p domain.SurveyPolicy, mailable bool) (*domain.Survey, string) {
	t.Helper()
	s, skip, err := domain.Decide(f, p, "s-1", "hash", mailable, t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if (s == nil) == (skip == "") {
		t.Fatalf("want a survey or a reason, got %v and %q", s, skip)
	}
	return s, skip
}

func TestDecideSendsOneSurveyPerClosedCase(t *testing.T) {
	s, _ := decide(t, domain.Facts{Case: closedCase()}, surveyPolicy, true)
	sent := t0.Add(2 * time.Hour)
	if s.CaseID != closedCase().CaseID || s.Team != "service-north" || s.Priority != domain.P2 || s.Type != domain.TypeRepair ||
		s.Language != domain.LangChinese || s.TokenHash != "hash" || !s.SentAt.Equal(sent) || !s.ExpiresAt.Equal(sent.Add(14*24*time.Hour)) ||
		!s.ClosedAt.Equal(t0) {
		t.Errorf("survey %+v", s)
	}
	if s.Delivery != domain.DeliveryEmail || s.DeliveryState != domain.DeliveryPending || s.DeliveryAttempts != 1 {
		t.Errorf("to a contact with an email and a relay: delivery %s/%s/%d", s.Delivery, s.DeliveryState, s.DeliveryAttempts)
	}
	if !s.AsksNPS {
		t.Error("a customer never asked gets the recommend question")
	}
}

func TestDecideWithoutEmailRecordsTheLinkForStaff(t *testing.T) {
	for _, tc := range []struct {
		name     string
		email    string
		mailable bool
	}{{"no contact email", "", true}, {"not an email", "li.wei at basalt", true}, {"no mail relay", "li.wei@basalt.example", false}} {
		c := closedCase()
		c.ContactEmail = tc.email
		s, _ := decide(t, domain.Facts{Case: c}, surveyPolicy, tc.mailable)
		if s.Delivery != domain.DeliveryTimeline || s.DeliveryState != domain.DeliveryRecorded {
			t.Errorf("%s: delivery %s/%s", tc.name, s.Delivery, s.DeliveryState)
		}
	}
}

func TestDecideSkips(t *testing.T) {
	byCustomer := closedCase()
	byCustomer.ClosedByCustomer = true
	followOn := closedCase()
	followOn.FollowOnOf = "0190a000-0000-7000-8000-0000000000aa"
	for _, tc := range []struct {
		name string
		f    domain.Facts
		p    domain.SurveyPolicy
		want string
	}{
		{"the customer closed it", domain.Facts{Case: byCustomer}, surveyPolicy, domain.SkipClosedByCustomer},
		{"a follow-on of a surveyed case", domain.Facts{Case: followOn, PreviousSurveyed: true}, surveyPolicy, domain.SkipFollowOnSurveyed},
		{"outside the sample", domain.Facts{Case: closedCase()}, domain.SurveyPolicy{SampleShare: 0}, domain.SkipNotSampled},
	} {
		if _, skip := decide(t, tc.f, tc.p, true); skip != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, skip, tc.want)
		}
	}
	// A follow-on of a case that got no survey is asked.
	if s, skip := decide(t, domain.Facts{Case: followOn}, surveyPolicy, true); s == nil {
		t.Errorf("follow-on of an unsurveyed case: skipped (%s)", skip)
	}
}

func TestDecideRefusesACaseNotClosed(t *testing.T) {
	c := closedCase()
	c.State = domain.StateResolved
	if _, _, err := domain.Decide(domain.Facts{Case: c}, surveyPolicy, "s", "h", true, t0); !errors.Is(err, domain.ErrCaseNotClosed) {
		t.Errorf("resolved case: %v", err)
	}
}

// The recommend question is asked at most once per customer in the NPS
// period: just inside the period it is not asked, at its end it is.
func TestDecideAsksNPSOncePerPeriod(t *testing.T) {
	now := t0.Add(2 * time.Hour)
	for _, tc := range []struct {
		name  string
		asked *time.Time
		want  bool
	}{
		{"never asked", nil, true},
		{"asked a second less than the period ago", timep(now.Add(-surveyPolicy.NPSPeriod + time.Second)), false},
		{"asked exactly the period ago", timep(now.Add(-surveyPolicy.NPSPeriod)), true},
		{"asked longer ago", timep(now.Add(-surveyPolicy.NPSPeriod - time.Hour)), true},
	} {
		s, _ := decide(t, domain.Facts{Case: closedCase(), NPSAskedAt: tc.asked}, surveyPolicy, true)
		if s.AsksNPS != tc.want {
			t.Errorf("%s: asks NPS %v, want %v", tc.name, s.AsksNPS, tc.want)
		}
	}
	p := surveyPolicy
	p.NPSPeriod = 0
	if s, _ := decide(t, domain.Facts{Case: closedCase()}, p, true); s.AsksNPS {
		t.Error("no NPS period: the question is never asked")
	}
}

func intp(v int) *int { return &v }

func timep(v time.Time) *time.Time { return &v }

// Sampling is a fixed function of the case id and surveys about the share
// asked for.
func TestSampled(t *testing.T) {
	n, in := 10000, 0
	for i := range n {
		id := fmt.Sprintf("0190a000-0000-7000-8000-%012d", i)
		got := domain.Sampled(id, 0.3)
		if got != domain.Sampled(id, 0.3) {
			t.Fatal("not stable")
		}
		if got {
			in++
			if !domain.Sampled(id, 0.5) {
				t.Fatal("a case sampled at 30% is sampled at 50% too")
			}
		}
		if !domain.Sampled(id, 1) || domain.Sampled(id, 0) {
			t.Fatal("1 samples every case, 0 none")
		}
	}
	if share := float64(in) / float64(n); share < 0.28 || share > 0.32 {
		t.Errorf("share %.3f, want about 0.3", share)
	}
}

func TestTokens(t *testing.T) {
	tok, hash := domain.NewToken()
	tok2, _ := domain.NewToken()
	if tok == tok2 || len(tok) != domain.TokenLen || domain.TokenLen != 43 {
		t.Errorf("tokens %q %q", tok, tok2)
	}
	if hash != domain.HashToken(tok) || len(hash) != 64 || strings.Contains(hash, tok) {
		t.Errorf("hash %q", hash)
	}
	if !domain.ValidToken(tok) {
		t.Error("a new token is valid")
	}
	for _, bad := range []string{"", "short", tok + "A", tok[:42] + "!", strings.Repeat("é", 43)} {
		if domain.ValidToken(bad) {
			t.Errorf("%q valid", bad)
		}
	}
}

func openSurvey() domain.Survey {
	s, _, _ := domain.Decide(domain.Facts{Case: closedCase()}, surveyPolicy, "s-1", "hash", true, t0)
	return *s
}

func TestAnswerSurvey(t *testing.T) {
	s := openSurvey()
	at := t0.Add(time.Hour)
	got, err := domain.AnswerSurvey(s, domain.Answer{CSAT: intp(4), NPS: intp(9), Comment: "  quick and kind  "}, surveyPolicy, at)
	if err != nil {
		t.Fatal(err)
	}
	if *got.CSAT != 4 || *got.NPS != 9 || got.Comment != "quick and kind" || !got.AnsweredAt.Equal(at) || got.RecoveryState != "" {
		t.Errorf("answered %+v", got)
	}
	if _, err := domain.AnswerSurvey(got, domain.Answer{CSAT: intp(5)}, surveyPolicy, at); !errors.Is(err, domain.ErrSurveyAnswered) {
		t.Errorf("second answer: %v", err)
	}
	// NPS is optional even when asked.
	if got, err := domain.AnswerSurvey(s, domain.Answer{CSAT: intp(5)}, surveyPolicy, at); err != nil || got.NPS != nil {
		t.Errorf("without NPS: %v %v", got.NPS, err)
	}
}

// A link works until the instant it expires, not at it.
func TestAnswerSurveyExpiry(t *testing.T) {
	s := openSurvey()
	if _, err := domain.AnswerSurvey(s, domain.Answer{CSAT: intp(5)}, surveyPolicy, s.ExpiresAt.Add(-time.Microsecond)); err != nil {
		t.Errorf("just before expiry: %v", err)
	}
	if _, err := domain.AnswerSurvey(s, domain.Answer{CSAT: intp(5)}, surveyPolicy, s.ExpiresAt); !errors.Is(err, domain.ErrSurveyExpired) {
		t.Errorf("at expiry: %v", err)
	}
}

func TestAnswerSurveyRefusesBadAnswers(t *testing.T) {
	noNPS := openSurvey()
	noNPS.AsksNPS = false
	for _, tc := range []struct {
		name string
		s    domain.Survey
		a    domain.Answer
		want map[string]string
	}{
		{"no CSAT", openSurvey(), domain.Answer{}, map[string]string{"csat": "required"}},
		{"CSAT 0", openSurvey(), domain.Answer{CSAT: intp(0), Comment: "x"}, map[string]string{"csat": "out_of_range"}},
		{"CSAT 6", openSurvey(), domain.Answer{CSAT: intp(6)}, map[string]string{"csat": "out_of_range"}},
		{"NPS 11", openSurvey(), domain.Answer{CSAT: intp(5), NPS: intp(11)}, map[string]string{"nps": "out_of_range"}},
		{"NPS -1", openSurvey(), domain.Answer{CSAT: intp(5), NPS: intp(-1)}, map[string]string{"nps": "out_of_range"}},
		{"NPS not asked", noNPS, domain.Answer{CSAT: intp(5), NPS: intp(9)}, map[string]string{"nps": "not_asked"}},
		{"low score without a comment", openSurvey(), domain.Answer{CSAT: intp(2), Comment: "   "}, map[string]string{"comment": "required"}},
		{"comment too long", openSurvey(), domain.Answer{CSAT: intp(5), Comment: strings.Repeat("好", domain.MaxComment+1)}, map[string]string{"comment": "too_long"}},
		{"NUL in the comment", openSurvey(), domain.Answer{CSAT: intp(5), Comment: "a\x00b"}, map[string]string{"comment": "invalid"}},
		{"several at once", openSurvey(), domain.Answer{CSAT: intp(9), NPS: intp(12)}, map[string]string{"csat": "out_of_range", "nps": "out_of_range"}},
	} {
		got, err := domain.AnswerSurvey(tc.s, tc.a, surveyPolicy, t0.Add(time.Hour))
		if f := fields(t, err); !maps.Equal(f, tc.want) {
			t.Errorf("%s: %v (%v), want %v", tc.name, f, err, tc.want)
		}
		if got.AnsweredAt != nil {
			t.Errorf("%s: recorded", tc.name)
		}
	}
	// A comment of exactly the limit is fine; a score at the threshold needs none.
	if _, err := domain.AnswerSurvey(openSurvey(), domain.Answer{CSAT: intp(3), Comment: strings.Repeat("好", domain.MaxComment)}, surveyPolicy, t0); err != nil {
		t.Errorf("comment at the limit: %v", err)
	}
	if _, err := domain.AnswerSurvey(openSurvey(), domain.Answer{CSAT: intp(3)}, surveyPolicy, t0); err != nil {
		t.Errorf("CSAT 3 without comment: %v", err)
	}
}

// A CSAT below the recovery threshold asks for a recovery call; at it, not.
func TestRecoveryBelowThreshold(t *testing.T) {
	for csat, want := range map[int]string{1: domain.RecoveryPending, 2: domain.RecoveryPending, 3: "", 5: ""} {
		got, err := domain.AnswerSurvey(openSurvey(), domain.Answer{CSAT: intp(csat), Comment: "why"}, surveyPolicy, t0)
		if err != nil || got.RecoveryState != want {
			t.Errorf("CSAT %d: recovery %q (%v), want %q", csat, got.RecoveryState, err, want)
		}
	}
	p := surveyPolicy
	p.RecoveryBelow = 0
	if got, _ := domain.AnswerSurvey(openSurvey(), domain.Answer{CSAT: intp(1), Comment: "bad"}, p, t0); got.RecoveryState != "" {
		t.Error("threshold 0: never a recovery call")
	}
}

func TestSurveyEntries(t *testing.T) {
	s := openSurvey()
	e := domain.SentEntry(s, "li.wei@basalt.example", "https://crm.example/surveys/x", t0)
	if e.Kind != domain.KindSurveySent || e.Visibility != domain.Public || e.Body != "l***@basalt.example" || strings.Contains(e.Body, "surveys/") {
		t.Errorf("emailed: %+v", e)
	}
	s.Delivery, s.DeliveryState = domain.DeliveryTimeline, domain.DeliveryRecorded
	e = domain.SentEntry(s, "", "https://crm.example/surveys/x", t0)
	if e.Visibility != domain.Internal || e.Body != "https://crm.example/surveys/x" || e.To != domain.DeliveryTimeline {
		t.Errorf("a link for staff is internal: %+v", e)
	}
	s.Delivery, s.DeliveryState = domain.DeliveryEmail, domain.DeliveryFailed
	e = domain.SentEntry(s, "li.wei@basalt.example", "https://crm.example/surveys/y", t0)
	if e.Visibility != domain.Internal || e.Body != "https://crm.example/surveys/y" || !strings.Contains(e.Reason, "l***@basalt.example") {
		t.Errorf("undeliverable: %+v", e)
	}
	a, _ := domain.AnswerSurvey(openSurvey(), domain.Answer{CSAT: intp(2), NPS: intp(4), Comment: "slow"}, surveyPolicy, t0)
	e = domain.AnsweredEntry(a)
	if e.Kind != domain.KindSurveyAnswered || e.To != "2" || e.From != "4" || e.Body != "slow" || e.Actor != domain.CustomerActor || e.Visibility != domain.Public {
		t.Errorf("answered: %+v", e)
	}
}
