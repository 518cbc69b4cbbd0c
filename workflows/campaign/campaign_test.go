package campaign_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	marketingc "github.com/closeloop/closeloop/proto/contract/marketing"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/campaign"
	"github.com/closeloop/closeloop/workflows/followup/followuptest"
	"github.com/closeloop/closeloop/workflows/policy"
)

var launched = followuptest.CST(time.March, 2, 10, 0)

// services fakes the customer service (a segment of n customers c001…,
// served per customers a page in id order with the real cursor contract)
// and the marketing service (every fifth customer held out, a touch for
// each treated one), recording each call.
type services struct {
	t        *testing.T
	n, per   int
	action   string // of every touch; "" is call
	mu       sync.Mutex
	segments []*marketingv1.SegmentPageInput
	enrolled []*marketingv1.EnrolPageInput
	planned  []*marketingv1.PlanTouchesInput
	recorded []*marketingv1.RecordTouchesInput
	finished []*marketingv1.CampaignLaunchInput
	swept    []*marketingv1.EnrolPageInput
}

func id(i int) string { return fmt.Sprintf("c%03d", i) }

func (s *services) register(env *testsuite.TestWorkflowEnvironment) {
	env.RegisterActivityWithOptions(func(_ context.Context, in *marketingv1.SegmentPageInput) (*marketingv1.SegmentPageResult, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.segments = append(s.segments, in)
		if in.GetLimit() != campaign.PageSize {
			s.t.Errorf("page limit %d", in.GetLimit())
		}
		start := 1
		if a := in.GetAfterId(); a != "" {
			n, _ := strconv.Atoi(a[1:])
			start = n + 1
		}
		out := &marketingv1.SegmentPageResult{}
		for i := start; i <= s.n && i < start+s.per; i++ {
			out.Customers = append(out.Customers, &marketingv1.CustomerFacts{CustomerId: id(i), Name: "Customer " + id(i), OwnerId: "rep-ana"})
		}
		if last := start + s.per - 1; last < s.n {
			out.NextAfterId = id(last)
		}
		return out, nil
	}, activity.RegisterOptions{Name: customerc.ActivitySegmentPage})
	env.RegisterActivityWithOptions(func(_ context.Context, in *marketingv1.EnrolPageInput) (*marketingv1.EnrolPageResult, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.enrolled = append(s.enrolled, in)
		out := &marketingv1.EnrolPageResult{}
		for _, c := range in.GetCustomers() {
			n, _ := strconv.Atoi(c.GetCustomerId()[1:])
			if n%5 == 0 {
				out.HeldOut++
				continue
			}
			out.Enrolled++
			action := s.action
			if action == "" {
				action = "call"
			}
			out.Touches = append(out.Touches, &marketingv1.Touch{TouchId: "t-" + c.GetCustomerId(), CampaignId: in.GetCampaignId(),
				CampaignName: "Spring mailing", CustomerId: c.GetCustomerId(), Action: action, AssigneeId: c.GetOwnerId()})
		}
		return out, nil
	}, activity.RegisterOptions{Name: marketingc.ActivityEnrolPage})
	env.RegisterActivityWithOptions(func(_ context.Context, in *marketingv1.PlanTouchesInput) (*marketingv1.PlanTouchesResult, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.planned = append(s.planned, in)
		out := &marketingv1.PlanTouchesResult{}
		for _, t := range in.GetTouches() {
			out.ActionIds = append(out.ActionIds, "a-"+t.GetCustomerId())
		}
		return out, nil
	}, activity.RegisterOptions{Name: customerc.ActivityPlanTouches})
	env.RegisterActivityWithOptions(func(_ context.Context, in *marketingv1.RecordTouchesInput) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.recorded = append(s.recorded, in)
		return nil
	}, activity.RegisterOptions{Name: marketingc.ActivityRecordTouches})
	env.RegisterActivityWithOptions(func(_ context.Context, in *marketingv1.CampaignLaunchInput) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.finished = append(s.finished, in)
		return nil
	}, activity.RegisterOptions{Name: marketingc.ActivityFinishLaunch})
	env.RegisterActivityWithOptions(func(_ context.Context, in *marketingv1.EnrolPageInput) (*marketingv1.WinBackSweepResult, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.swept = append(s.swept, in)
		n := int32(len(in.GetCustomers()))
		return &marketingv1.WinBackSweepResult{Examined: n, Enrolled: n - 1, Candidates: 1}, nil
	}, activity.RegisterOptions{Name: marketingc.ActivityWinBackSweepPage})
}

func newEnv(t *testing.T, s *services, start time.Time) (*testsuite.TestWorkflowEnvironment, *followuptest.Engine) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(campaign.Launch, workflow.RegisterOptions{Name: wfc.WorkflowCampaignLaunch})
	env.RegisterWorkflowWithOptions(campaign.Sweep, workflow.RegisterOptions{Name: wfc.WorkflowWinBackSweep})
	s.t = t
	s.register(env)
	return env, followuptest.Register(env)
}

func launchInput() *marketingv1.CampaignLaunchInput {
	return &marketingv1.CampaignLaunchInput{CampaignId: "camp-1", LaunchedAt: timestamppb.New(launched), LaunchedBy: "mkt-mo",
		Filter: &marketingv1.SegmentFilter{ValueClasses: []string{"A"}, MinDaysSinceContact: 30, MaxDaysSinceContact: -1}}
}

// TestLaunchEnrolsTwoPagesAndPlansTheirTouches: seven customers in pages of
// four: each page is enrolled, its touches planned and recorded with their
// action plans, and the launch finishes with the totals.
func TestLaunchEnrolsTwoPagesAndPlansTheirTouches(t *testing.T) {
	s := &services{n: 7, per: 4}
	env, _ := newEnv(t, s, launched.Add(time.Minute))
	env.ExecuteWorkflow(wfc.WorkflowCampaignLaunch, launchInput())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var out marketingv1.EnrolPageResult
	if err := env.GetWorkflowResult(&out); err != nil {
		t.Fatal(err)
	}
	var afters []string
	for _, p := range s.segments {
		afters = append(afters, p.GetAfterId())
		if !p.GetAsOf().AsTime().Equal(launched) || !proto.Equal(p.GetFilter(), launchInput().GetFilter()) {
			t.Errorf("page asked %v", p)
		}
	}
	if want := []string{"", "c004"}; !slices.Equal(afters, want) {
		t.Errorf("pages after %v, want %v", afters, want)
	}
	// The shipped contact pressure: 1 touch in 3 days, 2 in 14, 3 in 30.
	for _, e := range s.enrolled {
		if p := e.GetPressure(); len(p) != 3 || p[0].GetMaxTouches() != 1 || p[0].GetWindow().AsDuration() != 72*time.Hour ||
			p[2].GetMaxTouches() != 3 || p[2].GetWindow().AsDuration() != 30*24*time.Hour {
			t.Errorf("page enrolled with pressure %v", p)
		}
	}
	if len(s.enrolled) != 2 || s.enrolled[0].GetSource() != campaign.SourceLaunch || s.enrolled[0].GetCampaignId() != "camp-1" ||
		len(s.enrolled[0].GetCustomers()) != 4 || len(s.enrolled[1].GetCustomers()) != 3 {
		t.Errorf("enrolled %v", s.enrolled)
	}
	// c005 is held out: touches for c001–c004, then c006–c007.
	if len(s.planned) != 2 || len(s.planned[0].GetTouches()) != 4 || len(s.planned[1].GetTouches()) != 2 {
		t.Fatalf("planned %v", s.planned)
	}
	if len(s.recorded) != 2 || !slices.Equal(s.recorded[1].GetActionIds(), []string{"a-c006", "a-c007"}) ||
		s.recorded[1].GetTouches()[0].GetTouchId() != "t-c006" {
		t.Errorf("recorded %v", s.recorded)
	}
	if out.GetEnrolled() != 6 || out.GetHeldOut() != 1 || len(out.GetTouches()) != 0 {
		t.Errorf("totals %v", &out)
	}
	if len(s.finished) != 1 || s.finished[0].GetTotals().GetEnrolled() != 6 || s.finished[0].GetCampaignId() != "camp-1" {
		t.Errorf("finished %v", s.finished)
	}
}

// TestLaunchContinuesAsNewCarryingCursorAndTotals: 120 customers in pages
// of two: after 50 pages the run continues as new with the cursor and the
// totals; the next run enrols the other ten pages and finishes with the
// totals of all 120.
func TestLaunchContinuesAsNewCarryingCursorAndTotals(t *testing.T) {
	s := &services{n: 120, per: 2}
	env, _ := newEnv(t, s, launched)
	env.ExecuteWorkflow(wfc.WorkflowCampaignLaunch, launchInput())
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("the run ended with %v, want continue-as-new", err)
	}
	var next marketingv1.CampaignLaunchInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if len(s.segments) != campaign.PagesPerRun || next.GetAfterId() != "c100" || next.GetTotals().GetEnrolled() != 80 ||
		next.GetTotals().GetHeldOut() != 20 || next.GetCampaignId() != "camp-1" || len(s.finished) != 0 || len(next.GetPressure()) != 3 {
		t.Fatalf("after %d pages carried %v (finished %d)", len(s.segments), &next, len(s.finished))
	}

	// The next run enrols with the limits carried, not those in force now.
	next.Pressure = []*marketingv1.PressureLimit{{MaxTouches: 1, Window: durationpb.New(time.Hour)}}
	s2 := &services{n: 120, per: 2}
	env2, engine2 := newEnv(t, s2, launched)
	engine2.PutPolicy(policy.ContactPressure, 2, time.Time{}, policy.Value{Table: map[string]policy.Timer{"1": {Duration: policy.Duration(99 * time.Hour), Clock: policy.ClockCalendar}}})
	env2.ExecuteWorkflow(wfc.WorkflowCampaignLaunch, &next)
	if err := env2.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var out marketingv1.EnrolPageResult
	if err := env2.GetWorkflowResult(&out); err != nil {
		t.Fatal(err)
	}
	if len(s2.segments) != 10 || s2.segments[0].GetAfterId() != "c100" || s2.enrolled[0].GetCustomers()[0].GetCustomerId() != "c101" {
		t.Errorf("the next run read %d pages from %q", len(s2.segments), s2.segments[0].GetAfterId())
	}
	if p := s2.enrolled[len(s2.enrolled)-1].GetPressure(); len(p) != 1 || p[0].GetWindow().AsDuration() != time.Hour {
		t.Errorf("the next run enrolled with pressure %v, want the carried limits", p)
	}
	if out.GetEnrolled() != 96 || out.GetHeldOut() != 24 || len(s2.finished) != 1 || s2.finished[0].GetTotals().GetEnrolled() != 96 ||
		s2.finished[0].GetAfterId() != "" {
		t.Errorf("totals %v, finished %v", &out, s2.finished)
	}
}

// TestSweepEnrolsLostCustomersPastTheInactivityPeriod: the lost customers
// asked for are those lost at or before as_of less the period in force
// (version 2, 90 days, from a day before; the shipped 180 days earlier),
// with no contact bound; each page goes to the marketing service without
// a campaign, and the result sums the pages.
func TestSweepEnrolsLostCustomersPastTheInactivityPeriod(t *testing.T) {
	asOf := followuptest.CST(time.June, 1, 3, 0)
	for _, c := range []struct {
		name       string
		in         *marketingv1.WinBackSweepInput
		v2From     time.Time
		lostBefore time.Time
	}{
		{"the period in force", &marketingv1.WinBackSweepInput{AsOf: timestamppb.New(asOf)}, asOf.Add(-24 * time.Hour), asOf.Add(-90 * 24 * time.Hour)},
		{"before the change", &marketingv1.WinBackSweepInput{AsOf: timestamppb.New(asOf)}, asOf.Add(time.Hour), asOf.Add(-180 * 24 * time.Hour)},
		{"as of the run's start", &marketingv1.WinBackSweepInput{}, asOf.Add(-24 * time.Hour), asOf.Add(-90 * 24 * time.Hour)},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &services{n: 5, per: 2}
			env, engine := newEnv(t, s, asOf)
			engine.PutPolicy(policy.WinBackInactivity, 2, c.v2From, policy.Value{Timer: &policy.Timer{Duration: policy.Duration(90 * 24 * time.Hour), Clock: policy.ClockCalendar}})
			env.ExecuteWorkflow(wfc.WorkflowWinBackSweep, c.in)
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			var out marketingv1.WinBackSweepResult
			if err := env.GetWorkflowResult(&out); err != nil {
				t.Fatal(err)
			}
			for _, p := range s.segments {
				f := p.GetFilter()
				if !f.GetLostBefore().AsTime().Equal(c.lostBefore) || !slices.Equal(f.GetLifecycleStages(), []string{"lost"}) ||
					f.GetMinDaysSinceContact() != -1 || f.GetMaxDaysSinceContact() != -1 || !p.GetAsOf().AsTime().Equal(asOf) {
					t.Errorf("page asked %v, want lost before %v", p, c.lostBefore)
				}
			}
			if len(s.segments) != 3 || len(s.swept) != 3 || s.swept[0].GetCampaignId() != "" || s.swept[0].GetSource() != campaign.SourceSweep {
				t.Errorf("pages %d, swept %v", len(s.segments), s.swept)
			}
			if out.GetExamined() != 5 || out.GetEnrolled() != 2 || out.GetCandidates() != 3 {
				t.Errorf("result %v", &out)
			}
		})
	}
}

func TestLostBeforeCountsBackOnThePeriodsClock(t *testing.T) {
	asOf := followuptest.CST(time.October, 9, 10, 0)
	at, err := campaign.LostBefore(asOf, policy.Timer{Duration: policy.Duration(30 * 24 * time.Hour), Clock: policy.ClockCalendar}, nil)
	if err != nil || !at.Equal(asOf.Add(-30*24*time.Hour)) {
		t.Errorf("calendar: %v %v", at, err)
	}
	cal, err := calendar.New(calendar.China2026(followuptest.Shanghai))
	if err != nil {
		t.Fatal(err)
	}
	// 16 working hours before Friday Oct 9 10:00: 1 h that morning, 7.5 on
	// Oct 8, then back over National Day: all of Sep 30.
	at, err = campaign.LostBefore(asOf, policy.Timer{Duration: policy.Duration(16 * time.Hour), Clock: policy.ClockBusiness}, cal)
	if want := followuptest.CST(time.September, 30, 9, 0); err != nil || !at.Equal(want) {
		t.Errorf("business: %v %v, want %v", at, err, want)
	}
}

// TestWinBackLaunchTakesOnlyCustomersPastTheInactivityPeriod: a win-back
// campaign's launch asks for the lost customers lost before the inactivity
// period in force at the launch, as the sweep does; any other campaign's
// launch filters nothing by it. A newcomers run enrols as newcomers.
func TestWinBackLaunchTakesOnlyCustomersPastTheInactivityPeriod(t *testing.T) {
	for _, c := range []struct {
		name, typ, source, wantSource string
		wantLostBefore                time.Time
	}{
		{"win-back", "winback", "", campaign.SourceLaunch, launched.Add(-90 * 24 * time.Hour)},
		{"cross-sell", "cross_sell", "", campaign.SourceLaunch, time.Time{}},
		{"a newcomers run", "visit_drive", campaign.SourceNewcomers, campaign.SourceNewcomers, time.Time{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &services{n: 3, per: 4}
			env, engine := newEnv(t, s, launched)
			engine.PutPolicy(policy.WinBackInactivity, 2, launched.Add(-time.Hour), policy.Value{Timer: &policy.Timer{Duration: policy.Duration(90 * 24 * time.Hour), Clock: policy.ClockCalendar}})
			in := launchInput()
			in.CampaignType, in.Source = c.typ, c.source
			env.ExecuteWorkflow(wfc.WorkflowCampaignLaunch, in)
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			if len(s.segments) != 1 || len(s.enrolled) != 1 {
				t.Fatalf("pages %d, enrolled %d", len(s.segments), len(s.enrolled))
			}
			got := s.segments[0].GetFilter().GetLostBefore()
			if c.wantLostBefore.IsZero() != (got == nil) || (got != nil && !got.AsTime().Equal(c.wantLostBefore)) {
				t.Errorf("lost_before %v, want %v", got, c.wantLostBefore)
			}
			if s.enrolled[0].GetSource() != c.wantSource {
				t.Errorf("source %q, want %q", s.enrolled[0].GetSource(), c.wantSource)
			}
		})
	}
}
