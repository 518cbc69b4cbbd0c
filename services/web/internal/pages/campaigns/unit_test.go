package campaigns

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/closeloop/closeloop/services/web/internal/apis/marketingapi"
	"github.com/closeloop/closeloop/services/web/internal/session"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

func TestSigned(t *testing.T) {
	for in, want := range map[float64]string{5: "+5.0", 0.04: "0.0", -0.04: "0.0", -2: "-2.0", 0.35: "+0.4", 8.649: "+8.6", 0: "0.0"} {
		if got := signed(in); got != want {
			t.Errorf("signed(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestSignal(t *testing.T) {
	for _, c := range []struct {
		ci   *Interval
		want string
	}{
		{nil, ""},
		{&Interval{Low: 0.001, High: 0.1}, SignalGain},
		{&Interval{Low: -0.1, High: -0.001}, SignalLoss},
		{&Interval{Low: -0.01, High: 0.1}, SignalUnclear},
		{&Interval{Low: 0, High: 0.1}, SignalUnclear}, // touching zero is not clear
	} {
		if got := (Uplift{CI: c.ci}).Signal(); got != c.want {
			t.Errorf("Signal(%v) = %q, want %q", c.ci, got, c.want)
		}
	}
}

func TestEvalOfLeavesOutWhatCannotBeComputed(t *testing.T) {
	e := evalOf(marketingapi.EvaluationView{ResponseUplift: &marketingapi.UpliftView{TreatedN: ptr(10), Ci95: &marketingapi.IntervalView{Low: ptr(0.1)}}})
	if e.Response.CI != nil || e.Response.Absolute != nil || e.Response.TreatedN != 10 || e.ROI != nil || e.WinBack != nil || e.Treated.Enrolled != 0 {
		t.Fatalf("evalOf = %+v", e)
	}
	e = evalOf(marketingapi.EvaluationView{Winback: &marketingapi.WinBackView{Baseline: ptr(0.25)}})
	if e.WinBack == nil || e.WinBack.Rate != nil || e.WinBack.Baseline != 0.25 {
		t.Fatalf("a win-back without enrolments: %+v", e.WinBack)
	}
}

func TestParseAmount(t *testing.T) {
	for in, want := range map[string]float64{"1,250.50": 1250.5, " 12 500 ": 12500, "12，500": 12500, "": 0, "0.1": 0.1} {
		if got, ok := parseAmount(in); !ok || got != want {
			t.Errorf("parseAmount(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"ten", "1.2.3", "5%"} {
		if _, ok := parseAmount(in); ok {
			t.Errorf("parseAmount(%q) is a number", in)
		}
	}
}

// TestRequestAndValuesRoundTrip: a draft shows in its form as it is
// stored, and the form sends it back unchanged — the main channel first,
// the holdout's percentage as the share.
func TestRequestAndValuesRoundTrip(t *testing.T) {
	c := marketingapi.CampaignView{Name: ptr("Back"), Objective: ptr("Why"), Type: ptr("winback"), Channels: &[]string{"visit", "email"},
		Segment: &marketingapi.Segment{LifecycleStages: &[]string{"lost"}, Regions: &[]string{"East", "North"}, MinDaysSinceContact: ptr(0)},
		Holdout: ptr(0.125), Budget: ptr(1000.5), ExpectedCost: ptr(0.0), ExpectedRevenue: ptr(3e6), StartsOn: ptr("2026-06-01"),
		EndsOn: ptr("2026-06-30"), OwnerId: ptr("mkt-ivy"), Team: ptr("marketing"), EnrolNewcomers: ptr(true),
		EmailSubject: ptr("We miss you"), EmailBody: ptr("Hello,\n\tcome back.")}
	v := valuesOf(c)
	if v.Get("holdout") != "12.5" || v.Get("channel") != "visit" || !reflect.DeepEqual(v["channels"], []string{"email"}) ||
		v.Get("seg_regions") != "East, North" || v.Get("seg_min_days") != "0" || v.Has("seg_max_days") || v.Get("budget") != "1000.5" ||
		v.Get("expected_revenue") != "3000000" || v.Get("email_subject") != "We miss you" || v.Get("email_body") != "Hello,\n\tcome back." {
		t.Fatalf("valuesOf = %v", v)
	}
	b, bad := request(v)
	if len(bad) != 0 {
		t.Fatalf("bad %v", bad)
	}
	if *b.Holdout != 0.125 || !reflect.DeepEqual(*b.Channels, []string{"visit", "email"}) || *b.Budget != 1000.5 || *b.ExpectedRevenue != 3e6 ||
		*b.OwnerId != "mkt-ivy" || *b.Team != "marketing" || !*b.EnrolNewcomers || *b.Name != "Back" || *b.EmailSubject != "We miss you" ||
		*b.EmailBody != "Hello,\n\tcome back." {
		t.Fatalf("request = %+v", b)
	}
	seg := b.Segment.(marketingapi.Segment)
	if !reflect.DeepEqual(*seg.Regions, []string{"East", "North"}) || *seg.MinDaysSinceContact != 0 || seg.MaxDaysSinceContact != nil ||
		len(*seg.ValueClasses) != 0 || !reflect.DeepEqual(*seg.LifecycleStages, []string{"lost"}) {
		t.Fatalf("segment = %+v", seg)
	}
	if e := editRequest(b, 0); e.ExpectedVersion != nil || e.Name != b.Name {
		t.Fatalf("an edit without a version: %+v", e)
	}
	if e := editRequest(b, 7); *e.ExpectedVersion != 7 || e.EmailSubject != b.EmailSubject || e.EmailBody != b.EmailBody {
		t.Fatalf("an edit at version 7: %+v", e)
	}
	// An empty holdout is left out (the service's default); a bad one is no number.
	if b, bad := request(url.Values{"holdout": {""}}); b.Holdout != nil || len(bad) != 0 {
		t.Fatalf("an empty holdout: %v %v", b.Holdout, bad)
	}
	// An email left blank is left out: the campaign sends none.
	if b, _ := request(url.Values{"email_subject": {"  "}, "email_body": {"\r\n \r\n"}}); b.EmailSubject != nil || b.EmailBody != nil {
		t.Fatalf("a blank email: %v %v", b.EmailSubject, b.EmailBody)
	}
	if _, bad := request(url.Values{"holdout": {"5 percent"}, "seg_max_days": {"x"}}); !reflect.DeepEqual(bad, []string{"segment.max_days_since_contact", "holdout"}) {
		t.Fatalf("bad = %v", bad)
	}
}

// TestWhoActs: who the campaign page offers its forms to — the service's
// rules on what the session knows.
func TestWhoActs(t *testing.T) {
	c := marketingapi.CampaignView{OwnerId: ptr("mkt-ivy"), Team: ptr("marketing")}
	user := func(sub string, roles []string, teams ...string) *view.Ctx {
		return &view.Ctx{User: &session.Session{Subject: sub, Roles: roles, Teams: teams}}
	}
	for _, w := range []struct {
		who                    *view.Ctx
		writes, approves, runs bool
	}{
		{user("mkt-ivy", []string{"rep"}, "marketing"), true, false, true}, // the owner
		{user("mkt-may", []string{"rep"}, "marketing"), true, false, false},
		{user("mgr-jo", []string{"manager"}, "marketing"), true, true, true},
		{user("mgr-nico", []string{"manager"}, "marketing-emea"), false, false, false}, // another marketing team's manager
		{user("analyst-ali", []string{"analyst"}), false, false, false},
		{user("admin-ada", []string{"admin"}), true, true, true},
		{user("mkt-ivy", []string{"analyst"}), false, false, true}, // its owner, now an analyst: still in sight, still runs it
		{&view.Ctx{}, false, false, false},
	} {
		if Writes(w.who, c) != w.writes || Approves(w.who, c) != w.approves || Runs(w.who, c) != w.runs {
			t.Errorf("%v: writes %v approves %v runs %v", w.who.User, Writes(w.who, c), Approves(w.who, c), Runs(w.who, c))
		}
	}
}

// TestEmailBody: the body as the browser sends it ("\r\n") is sent, and
// shown on the campaign's page, line by line as typed.
func TestEmailBody(t *testing.T) {
	for in, want := range map[string]string{"\r\n Hello,\r\n\r\n\tcome back.\r\n\r\n": "Hello,\n\n\tcome back.", "a\rb": "a\nb", " \r\n ": ""} {
		if got := emailBody(in); got != want {
			t.Errorf("emailBody(%q) = %q, want %q", in, got, want)
		}
	}
	d := &campaignData{C: marketingapi.CampaignView{EmailBody: ptr("Hello,\r\n\r\ncome back.\n")}}
	if got := d.EmailLines(); !reflect.DeepEqual(got, []string{"Hello,", "", "come back."}) {
		t.Fatalf("EmailLines = %q", got)
	}
	if got := (&campaignData{}).EmailLines(); got != nil {
		t.Fatalf("no email: %q", got)
	}
}

// TestLoyaltyRoundTrip: a draft's loyalty levels and satisfaction range
// show in its form and go back unchanged.
func TestLoyaltyRoundTrip(t *testing.T) {
	c := marketingapi.CampaignView{Segment: &marketingapi.Segment{LoyaltyLevels: &[]string{"at_risk", "unknown"}, MinSatisfaction: ptr(1.0),
		MaxSatisfaction: ptr(3.25)}}
	v := valuesOf(c)
	if !reflect.DeepEqual(v["seg_loyalty_levels"], []string{"at_risk", "unknown"}) || v.Get("seg_min_satisfaction") != "1" ||
		v.Get("seg_max_satisfaction") != "3.25" {
		t.Fatalf("valuesOf = %v", v)
	}
	b, bad := request(v)
	seg := b.Segment.(marketingapi.Segment)
	if len(bad) != 0 || !reflect.DeepEqual(*seg.LoyaltyLevels, []string{"at_risk", "unknown"}) || *seg.MinSatisfaction != 1 || *seg.MaxSatisfaction != 3.25 {
		t.Fatalf("request = %+v, bad %v", seg, bad)
	}
	if v := valuesOf(marketingapi.CampaignView{Segment: &marketingapi.Segment{}}); v.Has("seg_min_satisfaction") || len(v["seg_loyalty_levels"]) != 0 {
		t.Fatalf("a segment without them: %v", v)
	}
}

func TestFormErrGathersEntries(t *testing.T) {
	f := &Form{Problem: &view.Problem{Fields: map[string]string{"channels": "a", "channels[1]": "b", "channels[2]": "b", "channelsx": "c"}}}
	if got := f.Err("channels"); got != "a b" {
		t.Fatalf("Err(channels) = %q", got)
	}
	if got := (&Form{}).Err("name"); got != "" {
		t.Fatalf("no problem: %q", got)
	}
}
