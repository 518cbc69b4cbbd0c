package care

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
)

// book is an in-memory customer service: open care follow-ups to reconcile
// (ids f00..), and per class customers with anchors (minutes after t0) of
// which those at or before the horizon are due. It pages with the same
// cursor contract as the real one, so the test checks the workflow's paging.
type book struct {
	t0         time.Time
	followUps  int
	stale      map[int]string // follow-up index -> "done" or "cancelled"
	anchors    map[string][]int
	seenAt     map[time.Time]bool
	lookaheads map[time.Duration]bool
	classes    []string
	opened     map[string]bool
	failOnce   bool
	calls      int
}

func (b *book) reconcile(ctx context.Context, in *followupv1.CareReconcilePageInput) (*followupv1.CareReconcilePageResult, error) {
	start := 0
	if in.GetAfterId() != "" {
		fmt.Sscanf(in.GetAfterId(), "f%02d", &start)
		start++
	}
	end := min(start+int(in.GetLimit()), b.followUps)
	res := &followupv1.CareReconcilePageResult{Checked: int64(end - start)}
	for i := start; i < end; i++ {
		switch b.stale[i] {
		case "done":
			res.Completed++
		case "cancelled":
			res.Cancelled++
		}
	}
	if end-start == int(in.GetLimit()) {
		res.NextAfterId = fmt.Sprintf("f%02d", end-1)
	}
	return res, nil
}

func (b *book) open(ctx context.Context, in *followupv1.CareOpenPageInput) (*followupv1.CareOpenPageResult, error) {
	b.calls++
	if b.failOnce && b.calls == 2 {
		b.failOnce = false
		return nil, errors.New("database restarted")
	}
	b.seenAt[in.GetAt().AsTime()] = true
	b.lookaheads[in.GetLookahead().AsDuration()] = true
	if len(b.classes) == 0 || b.classes[len(b.classes)-1] != in.GetValueClass() {
		b.classes = append(b.classes, in.GetValueClass())
	}
	horizon := in.GetAt().AsTime().Add(in.GetLookahead().AsDuration())
	res := &followupv1.CareOpenPageResult{}
	for _, m := range b.anchors[in.GetValueClass()] {
		anchor := b.t0.Add(time.Duration(m) * time.Minute)
		if anchor.After(horizon) {
			break
		}
		id := fmt.Sprintf("%s%03d", in.GetValueClass(), m)
		if a := in.GetAfter(); a != nil && (anchor.Before(a.GetAnchor().AsTime()) || anchor.Equal(a.GetAnchor().AsTime()) && id <= a.GetCustomerId()) {
			continue
		}
		if int(res.Scanned) == int(in.GetLimit()) {
			break
		}
		res.Scanned++
		res.Opened++
		b.opened[id] = true
		res.Next = &followupv1.CareCursor{Anchor: timestamppb.New(anchor), CustomerId: id}
	}
	if int(res.Scanned) < int(in.GetLimit()) {
		res.Next = nil
	}
	return res, nil
}

func runSweep(t *testing.T, b *book, in *followupv1.CareSweepInput) *followupv1.CareSweepResult {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(b.t0.Add(time.Hour))
	env.RegisterWorkflow(Sweep)
	(&termsEngine{}).register(env) // the care terms (terms_test.go)
	env.RegisterActivityWithOptions(b.reconcile, activity.RegisterOptions{Name: customerc.ActivityCareReconcilePage})
	env.RegisterActivityWithOptions(b.open, activity.RegisterOptions{Name: customerc.ActivityCareOpenPage})
	env.ExecuteWorkflow(Sweep, in)
	if !env.IsWorkflowCompleted() {
		t.Fatal("the sweep did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res followupv1.CareSweepResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return &res
}

func newBook() *book {
	return &book{
		t0: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), seenAt: map[time.Time]bool{}, lookaheads: map[time.Duration]bool{}, opened: map[string]bool{},
	}
}

func TestSweepReconcilesThenOpensEveryDueCustomerPageByPage(t *testing.T) {
	b := newBook()
	b.followUps = 7
	b.stale = map[int]string{1: "cancelled", 4: "done", 6: "cancelled"}
	// Minutes after t0; the sweep runs at t0+1h and looks 2h ahead, so
	// anchors up to 180 minutes are due.
	b.anchors = map[string][]int{"A": {0, 10, 20, 30, 40, 179, 180, 181, 500}, "B": {5}, "C": {}}
	res := runSweep(t, b, &followupv1.CareSweepInput{PageSize: 3})

	if res.GetChecked() != 7 || res.GetCancelled() != 2 || res.GetCompleted() != 1 {
		t.Fatalf("reconciliation totals %+v", res)
	}
	want := []string{"A000", "A010", "A020", "A030", "A040", "A179", "A180", "B005"}
	for _, id := range want {
		if !b.opened[id] {
			t.Errorf("customer %s is due within the lookahead but got no follow-up", id)
		}
	}
	if len(b.opened) != len(want) || res.GetOpened() != int64(len(want)) || res.GetScanned() != int64(len(want)) {
		t.Fatalf("opened %v (result %+v), want exactly %v", b.opened, res, want)
	}
	if fmt.Sprint(b.classes) != "[A B C]" {
		t.Fatalf("classes swept %v, want A, B, C in order", b.classes)
	}
	// Every page asks at the sweep's one instant with the default lookahead.
	if len(b.seenAt) != 1 || !b.seenAt[b.t0.Add(time.Hour)] || len(b.lookaheads) != 1 || !b.lookaheads[DefaultLookahead] {
		t.Fatalf("pages asked at %v with lookaheads %v", b.seenAt, b.lookaheads)
	}
	// 3 reconcile pages (3+3+1), A: 3 pages (3+3+1), B: 1, C: 1.
	if res.GetPages() != 3+3+1+1 {
		t.Fatalf("pages %d", res.GetPages())
	}
}

func TestSweepRetriesAFailedPageAndUsesTheGivenLookahead(t *testing.T) {
	b := newBook()
	b.failOnce = true
	b.anchors = map[string][]int{"A": {0, 1, 2, 3, 4, 5, 100}, "B": {}, "C": {}}
	res := runSweep(t, b, &followupv1.CareSweepInput{PageSize: 2, Lookahead: durationpb.New(30 * time.Minute)})
	// Horizon t0+90m: anchors 0..5 are due, 100 is not.
	if res.GetOpened() != 6 || b.opened["A100"] {
		t.Fatalf("a transient failure must be retried without skipping or over-reaching: %+v, opened %v", res, b.opened)
	}
	if !b.lookaheads[30*time.Minute] || len(b.lookaheads) != 1 {
		t.Fatalf("lookaheads %v", b.lookaheads)
	}
}
