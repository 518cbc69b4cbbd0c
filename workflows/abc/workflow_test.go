package abc

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	customerv1 "github.com/closeloop/closeloop/proto/gen/closeloop/customer/v1"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
)

// population is an in-memory customer service: it classifies with the same
// keyset contract as the real one, so the test checks the workflow's paging and
// running totals, not a mock's echo.
type population struct {
	scores   []float64 // sorted descending; index is the id
	classes  map[int]string
	calls    int
	failOnce bool
	sweeps   []string // reasons of the care sweeps started
}

func (p *population) begin(ctx context.Context, in *customerv1.BeginABCRunInput) (*customerv1.BeginABCRunResult, error) {
	total := 0.0
	for _, s := range p.scores {
		total += s
	}
	return &customerv1.BeginABCRunResult{TotalValue: total, CustomerCount: int64(len(p.scores))}, nil
}

func (p *population) page(ctx context.Context, in *customerv1.ClassifyABCPageInput) (*customerv1.ClassifyABCPageResult, error) {
	p.calls++
	if p.failOnce && p.calls == 2 {
		p.failOnce = false
		return nil, errors.New("database restarted")
	}
	start := 0
	if in.GetAfter().GetSet() {
		start = idOf(in.GetAfter().GetId()) + 1
	}
	end := min(start+int(in.GetPageSize()), len(p.scores))
	res := &customerv1.ClassifyABCPageResult{ClassCounts: map[string]int64{}}
	cum := in.GetCumulativeBefore()
	for i := start; i < end; i++ {
		share := cum / in.GetTotalValue()
		class := "C"
		if p.scores[i] > 0 && share < in.GetThresholds().GetAShare() {
			class = "A"
		} else if p.scores[i] > 0 && share < in.GetThresholds().GetBShare() {
			class = "B"
		}
		if p.classes[i] != class {
			res.Changed++
			p.classes[i] = class
		}
		res.ClassCounts[class]++
		cum += p.scores[i]
	}
	res.Scanned = int32(end - start)
	res.CumulativeAfter = cum
	res.Done = end-start < int(in.GetPageSize())
	if end > start {
		res.Next = &customerv1.ABCCursor{Value: p.scores[end-1], Id: idString(end - 1), Set: true}
	} else {
		res.Next = in.GetAfter()
	}
	return res, nil
}

func idString(i int) string {
	return string(rune('a'+i/26/26)) + string(rune('a'+i/26%26)) + string(rune('a'+i%26))
}
func idOf(s string) int { return int(s[0]-'a')*26*26 + int(s[1]-'a')*26 + int(s[2]-'a') }

func run(t *testing.T, p *population, in *customerv1.ReclassifyABCInput) *customerv1.ReclassifyABCResult {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(ReclassifyABC)
	env.RegisterActivityWithOptions(p.begin, activity.RegisterOptions{Name: customerc.ActivityBeginABCRun})
	env.RegisterActivityWithOptions(p.page, activity.RegisterOptions{Name: customerc.ActivityClassifyABCPage})
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in *followupv1.CareSweepInput) (*followupv1.CareSweepResult, error) {
		p.sweeps = append(p.sweeps, in.GetReason())
		return &followupv1.CareSweepResult{}, nil
	}, workflow.RegisterOptions{Name: wfc.WorkflowCareSweep})
	env.ExecuteWorkflow(ReclassifyABC, in)
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res customerv1.ReclassifyABCResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return &res
}

func newPopulation(scores ...float64) *population {
	s := append([]float64(nil), scores...)
	sort.Sort(sort.Reverse(sort.Float64Slice(s)))
	return &population{scores: s, classes: map[int]string{}}
}

func TestReclassifyPagesThroughEveryCustomerCarryingTheRunningTotal(t *testing.T) {
	p := newPopulation(50, 20, 10, 8, 5, 3, 2, 1, 1, 0)
	res := run(t, p, &customerv1.ReclassifyABCInput{Thresholds: &customerv1.ABCThresholds{AShare: 0.8, BShare: 0.95}, PageSize: 3})
	want := []string{"A", "A", "A", "B", "B", "B", "C", "C", "C", "C"}
	for i, w := range want {
		if p.classes[i] != w {
			t.Errorf("customer %d (score %v): class %s, want %s — the page boundary lost the running total?", i, p.scores[i], p.classes[i], w)
		}
	}
	if res.GetPages() != 4 || res.GetCustomersScanned() != 10 || res.GetClassChanges() != 10 || res.GetTotalValue() != 100 {
		t.Fatalf("result %+v", res)
	}
	if res.GetClassCounts()["A"] != 3 || res.GetClassCounts()["B"] != 3 || res.GetClassCounts()["C"] != 4 {
		t.Fatalf("counts %v", res.GetClassCounts())
	}
	// Class changes take effect on care at once: a care sweep follows the run.
	if len(p.sweeps) != 1 || !strings.HasPrefix(p.sweeps[0], "after ABC reclassification ") {
		t.Fatalf("care sweeps after a run with changes: %q, want one", p.sweeps)
	}
	// A second run changes nothing, and starts no sweep.
	again := run(t, p, &customerv1.ReclassifyABCInput{Thresholds: &customerv1.ABCThresholds{AShare: 0.8, BShare: 0.95}, PageSize: 3})
	if again.GetClassChanges() != 0 {
		t.Fatalf("an unchanged population must produce no changes, got %d", again.GetClassChanges())
	}
	if len(p.sweeps) != 1 {
		t.Fatalf("a run without class changes started a care sweep: %q", p.sweeps)
	}
}

func TestReclassifyRetriesAFailedPage(t *testing.T) {
	p := newPopulation(5, 4, 3, 2, 1)
	p.failOnce = true
	res := run(t, p, &customerv1.ReclassifyABCInput{Thresholds: &customerv1.ABCThresholds{AShare: 0.5, BShare: 0.9}, PageSize: 2})
	if res.GetCustomersScanned() != 5 {
		t.Fatalf("a transient failure must be retried, not skip customers: %+v", res)
	}
}

func TestReclassifyStopsOnInvalidThresholds(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(ReclassifyABC)
	p := newPopulation(1, 2)
	calls := 0
	env.RegisterActivityWithOptions(p.begin, activity.RegisterOptions{Name: customerc.ActivityBeginABCRun})
	env.RegisterActivityWithOptions(func(ctx context.Context, in *customerv1.ClassifyABCPageInput) (*customerv1.ClassifyABCPageResult, error) {
		calls++
		return nil, temporal.NewNonRetryableApplicationError("bad thresholds", "abc_thresholds_invalid", nil)
	}, activity.RegisterOptions{Name: customerc.ActivityClassifyABCPage})
	env.ExecuteWorkflow(ReclassifyABC, &customerv1.ReclassifyABCInput{Thresholds: &customerv1.ABCThresholds{AShare: 0.9, BShare: 0.1}})
	if env.GetWorkflowError() == nil || calls != 1 {
		t.Fatalf("want one failed call and a failed workflow, got calls=%d err=%v", calls, env.GetWorkflowError())
	}
}
