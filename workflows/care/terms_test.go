package care

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

// termsEngine fakes the follow-up engine's two activities the sweep asks for
// the care terms: the care.cadence version (version 4, class B counted in
// business time) and every calendar with its assignments. It records the
// activities called, engine's and customer service's, in order.
type termsEngine struct {
	mu        sync.Mutex
	calls     []string
	resolveIn []*followupv1.ResolvePoliciesInput
	setIn     []*followupv1.CalendarSetInput
	failSet   int  // CalendarSet attempts to fail (transiently) first
	noCadence bool // answer the resolution without a care.cadence version
}

var (
	termsCadence = func() *followupv1.ResolvedPolicy {
		d, _ := policy.Lookup(policy.CareCadence)
		table := map[string]policy.Timer{}
		for k, tm := range d.Default.Table {
			table[k] = tm
		}
		table["B"] = policy.Timer{Duration: policy.Duration(30 * time.Hour), Clock: policy.ClockBusiness}
		return &followupv1.ResolvedPolicy{Name: policy.CareCadence, Version: 4, ValueJson: policy.Value{Table: table}.MustJSON(),
			EffectiveFrom: timestamppb.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
	}()
	termsCalendars = func() []*followupv1.ResolvedCalendar {
		china, err := json.Marshal(calendar.China2026(time.UTC))
		if err != nil {
			panic(err)
		}
		evening, err := json.Marshal(calendar.Spec{Name: "evening shift", TimeZone: "Asia/Shanghai",
			Week: calendar.Weekdays(calendar.Range{Start: calendar.At(18, 0), End: calendar.At(22, 0)})})
		if err != nil {
			panic(err)
		}
		return []*followupv1.ResolvedCalendar{{Name: "cn-mainland", Version: 3, SpecJson: china}, {Name: "evening", Version: 1, SpecJson: evening}}
	}()
	termsAssignments = []*followupv1.CalendarAssignment{
		{Scope: policy.ScopeDefault, Calendar: "cn-mainland"},
		{Scope: policy.ScopeTeam, Value: "night-desk", Calendar: "evening"},
	}
)

func (e *termsEngine) note(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, name)
}

func (e *termsEngine) register(env *testsuite.TestWorkflowEnvironment) {
	env.RegisterActivityWithOptions(func(_ context.Context, in *followupv1.ResolvePoliciesInput) (*followupv1.ResolvePoliciesResult, error) {
		e.note(followupc.ActivityResolvePolicies)
		e.mu.Lock()
		defer e.mu.Unlock()
		e.resolveIn = append(e.resolveIn, in)
		res := &followupv1.ResolvePoliciesResult{AssignedCalendar: "cn-mainland", Calendars: termsCalendars[:1]}
		if !e.noCadence {
			res.Policies = []*followupv1.ResolvedPolicy{termsCadence}
		}
		return res, nil
	}, activity.RegisterOptions{Name: followupc.ActivityResolvePolicies})
	env.RegisterActivityWithOptions(func(_ context.Context, in *followupv1.CalendarSetInput) (*followupv1.CalendarSetResult, error) {
		e.note(followupc.ActivityCalendarSet)
		e.mu.Lock()
		defer e.mu.Unlock()
		e.setIn = append(e.setIn, in)
		if e.failSet > 0 {
			e.failSet--
			return nil, errors.New("engine database restarted")
		}
		return &followupv1.CalendarSetResult{Calendars: termsCalendars, Assignments: termsAssignments}, nil
	}, activity.RegisterOptions{Name: followupc.ActivityCalendarSet})
}

// termsRun runs the sweep on b with the engine e, recording the terms each
// open page received; oldVersion runs it as an execution started before the
// sweep asked the engine. It returns the terms per open page and the
// workflow's error.
func termsRun(t *testing.T, b *book, e *termsEngine, in *followupv1.CareSweepInput, oldVersion bool) ([]*followupv1.CareTerms, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(b.t0.Add(time.Hour))
	if oldVersion {
		env.OnGetVersion(engineTermsChange, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	}
	env.RegisterWorkflow(Sweep)
	e.register(env)
	var mu sync.Mutex
	var terms []*followupv1.CareTerms
	env.RegisterActivityWithOptions(func(ctx context.Context, in *followupv1.CareReconcilePageInput) (*followupv1.CareReconcilePageResult, error) {
		e.note(customerc.ActivityCareReconcilePage)
		return b.reconcile(ctx, in)
	}, activity.RegisterOptions{Name: customerc.ActivityCareReconcilePage})
	env.RegisterActivityWithOptions(func(ctx context.Context, in *followupv1.CareOpenPageInput) (*followupv1.CareOpenPageResult, error) {
		e.note(customerc.ActivityCareOpenPage)
		mu.Lock()
		terms = append(terms, in.GetTerms())
		mu.Unlock()
		return b.open(ctx, in)
	}, activity.RegisterOptions{Name: customerc.ActivityCareOpenPage})
	env.ExecuteWorkflow(Sweep, in)
	if !env.IsWorkflowCompleted() {
		t.Fatal("the sweep did not complete")
	}
	return terms, env.GetWorkflowError()
}

// The sweep asks the engine for the care terms once, after the reconcile
// pass and before the open pass, at the sweep's instant, and hands the same
// terms to every open page of every class.
func TestSweepResolvesCareTermsOncePerSweepAndPassesThemToEveryOpenPage(t *testing.T) {
	b := newBook()
	b.followUps = 4
	b.anchors = map[string][]int{"A": {0, 10, 20, 30, 40}, "B": {5, 15, 25}, "C": {7}}
	e := &termsEngine{failSet: 2} // a transient failure is retried, not a second resolution
	terms, err := termsRun(t, b, e, &followupv1.CareSweepInput{PageSize: 2}, false)
	if err != nil {
		t.Fatal(err)
	}
	at := b.t0.Add(time.Hour)

	if len(e.resolveIn) != 1 {
		t.Fatalf("ResolvePolicies called %d times, want once per sweep: %v", len(e.resolveIn), e.calls)
	}
	if r := e.resolveIn[0]; !slices.Equal(r.GetNames(), []string{policy.CareCadence}) || !r.GetAt().AsTime().Equal(at) || r.GetTeam() != "" || r.GetTerritory() != "" {
		t.Fatalf("ResolvePolicies asked %v, want care.cadence at the sweep's instant %s", r, at)
	}
	if len(e.setIn) != 3 || !e.setIn[2].GetAt().AsTime().Equal(at) {
		t.Fatalf("CalendarSet attempts %v, want two failed and one answered at %s", e.setIn, at)
	}
	// Order: every reconcile page, then the engine, then every open page.
	var order []string
	for _, c := range e.calls {
		if len(order) == 0 || order[len(order)-1] != c {
			order = append(order, c)
		}
	}
	engine := strings.Join(order[1:len(order)-1], " ")
	if order[0] != customerc.ActivityCareReconcilePage || order[len(order)-1] != customerc.ActivityCareOpenPage ||
		!strings.Contains(engine, followupc.ActivityResolvePolicies) || !strings.Contains(engine, followupc.ActivityCalendarSet) ||
		strings.Contains(engine, "customer.") {
		t.Fatalf("activities in order %v, want the reconcile pass, the engine's terms, then the open pass", order)
	}

	// A: 3 pages (2+2+1), B: 2 (2+1), C: 1.
	if len(terms) != 6 {
		t.Fatalf("%d open pages, want 6", len(terms))
	}
	want := &followupv1.CareTerms{Cadence: termsCadence, Calendars: termsCalendars, Assignments: termsAssignments}
	for i, got := range terms {
		if !proto.Equal(got, want) {
			t.Fatalf("open page %d got terms %v, want %v", i, got, want)
		}
	}
	// The terms are what the customer service needs: the cadence of a class
	// and the calendar of a candidate's team or territory.
	v, err := policy.Parse(terms[0].GetCadence().GetValueJson())
	if err != nil {
		t.Fatal(err)
	}
	timer, _ := v.TimerFor("B")
	cal, err := policy.CareTermsCalendar(terms[0], timer.Calendar, "night-desk", "shanghai")
	if err != nil || cal.Name() != "evening shift" {
		t.Fatalf("calendar of team night-desk: %v, %v", cal, err)
	}
}

// A sweep started before it asked the engine (its history has no marker)
// goes on as it did: no engine call, no terms, the customer service
// resolves them. The recorded histories in workflows/testdata replay the
// same way (workflows/replay_test.go).
func TestSweepStartedBeforeTheChangePassesNoTerms(t *testing.T) {
	b := newBook()
	b.followUps = 3
	b.anchors = map[string][]int{"A": {0, 10, 20}, "B": {5}, "C": {}}
	e := &termsEngine{}
	terms, err := termsRun(t, b, e, &followupv1.CareSweepInput{PageSize: 2}, true)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(e.calls, followupc.ActivityResolvePolicies) || slices.Contains(e.calls, followupc.ActivityCalendarSet) {
		t.Fatalf("the old path called the engine: %v", e.calls)
	}
	if len(terms) != 4 {
		t.Fatalf("%d open pages, want 4", len(terms))
	}
	for i, got := range terms {
		if got != nil {
			t.Fatalf("open page %d got terms %v on the old path", i, got)
		}
	}
	if len(b.opened) != 4 {
		t.Fatalf("opened %v", b.opened)
	}
}

// An engine answering without a care.cadence version fails the sweep before
// it opens anything, without retrying.
func TestSweepWithoutACadenceFailsBeforeTheOpenPass(t *testing.T) {
	b := newBook()
	b.anchors = map[string][]int{"A": {0}}
	e := &termsEngine{noCadence: true}
	terms, err := termsRun(t, b, e, &followupv1.CareSweepInput{}, false)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != ErrTermsUnresolved {
		t.Fatalf("workflow error %v, want %s", err, ErrTermsUnresolved)
	}
	if len(terms) != 0 || len(b.opened) != 0 {
		t.Fatalf("opened %v after the terms failed", b.opened)
	}
}
