package wfx_test

import (
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/closeloop/closeloop/workflows/wfx"
)

var t0 = time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)

// alarmsEnv runs wf on a time-skipping environment starting at t0 and
// counts the timers the workflow started.
func alarmsEnv(t *testing.T, wf func(ctx workflow.Context) ([]string, error)) (woke []string, timers int) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(t0)
	env.SetOnTimerScheduledListener(func(string, time.Duration) { timers++ })
	env.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: "alarms"})
	env.ExecuteWorkflow("alarms")
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if err := env.GetWorkflowResult(&woke); err != nil {
		t.Fatal(err)
	}
	return woke, timers
}

// record waits in a goroutine of its own for at and notes when it woke.
func record(ctx workflow.Context, a *wfx.Alarms, name string, at time.Time, woke *[]string, done workflow.Settable) {
	workflow.Go(ctx, func(ctx workflow.Context) {
		f, _ := a.At(ctx, at)
		_ = f.Get(ctx, nil)
		*woke = append(*woke, name+"@"+workflow.Now(ctx).Sub(t0).String())
		done.Set(nil, nil)
	})
}

func TestAlarmsOneTimerForWaitsAtOneInstant(t *testing.T) {
	woke, timers := alarmsEnv(t, func(ctx workflow.Context) ([]string, error) {
		a := wfx.NewAlarms(ctx)
		var woke []string
		var fs []workflow.Future
		for _, n := range []string{"deadline", "ladder", "recipient-2", "recipient-3"} {
			f, set := workflow.NewFuture(ctx)
			record(ctx, a, n, t0.Add(time.Hour), &woke, set)
			fs = append(fs, f)
		}
		for _, f := range fs {
			_ = f.Get(ctx, nil)
		}
		return woke, nil
	})
	if len(woke) != 4 {
		t.Fatalf("woke %v, want four waits", woke)
	}
	for _, w := range woke {
		if len(w) < 7 || w[len(w)-7:] != "@1h0m0s" {
			t.Errorf("woke %s, want at 1h", w)
		}
	}
	if timers != 1 {
		t.Errorf("%d timers started for four waits at one instant, want 1", timers)
	}
}

func TestAlarmsEarlierWaitRearmsAndLaterWaitsKeepTheirInstant(t *testing.T) {
	woke, timers := alarmsEnv(t, func(ctx workflow.Context) ([]string, error) {
		a := wfx.NewAlarms(ctx)
		var woke []string
		late, setLate := workflow.NewFuture(ctx)
		record(ctx, a, "late", t0.Add(3*time.Hour), &woke, setLate)
		// A minute later (the late one is armed by then), a wait due before
		// it: re-arms earlier.
		if err := workflow.Sleep(ctx, time.Minute); err != nil {
			return nil, err
		}
		early, setEarly := workflow.NewFuture(ctx)
		record(ctx, a, "early", t0.Add(time.Hour), &woke, setEarly)
		// A wait withdrawn before its instant never wakes anyone.
		_, withdraw := a.At(ctx, t0.Add(2*time.Hour))
		withdraw()
		_ = early.Get(ctx, nil)
		_ = late.Get(ctx, nil)
		// An instant already passed is ready at once, without a timer.
		f, _ := a.At(ctx, t0)
		if !f.IsReady() {
			woke = append(woke, "past instant not ready")
		}
		return woke, nil
	})
	want := []string{"early@1h0m0s", "late@3h0m0s"}
	if len(woke) != len(want) || woke[0] != want[0] || woke[1] != want[1] {
		t.Errorf("woke %v, want %v", woke, want)
	}
	// The late timer, the test's minute, the early one re-armed, then the
	// late one again after the early fired.
	if timers != 4 {
		t.Errorf("%d timers started, want 4 (late, the minute, re-armed early, late again)", timers)
	}
}

func TestAlarmsUntil(t *testing.T) {
	woke, _ := alarmsEnv(t, func(ctx workflow.Context) ([]string, error) {
		a := wfx.NewAlarms(ctx)
		var out []string
		ok, err := a.Until(ctx, t0.Add(time.Hour), func() bool { return false })
		if err != nil {
			return nil, err
		}
		out = append(out, "timeout ok="+map[bool]string{true: "true", false: "false"}[ok]+" at "+workflow.Now(ctx).Sub(t0).String())
		flag := false
		workflow.Go(ctx, func(ctx workflow.Context) {
			_ = workflow.Sleep(ctx, 10*time.Minute)
			flag = true
		})
		ok, err = a.Until(ctx, t0.Add(3*time.Hour), func() bool { return flag })
		if err != nil {
			return nil, err
		}
		out = append(out, "cond ok="+map[bool]string{true: "true", false: "false"}[ok]+" at "+workflow.Now(ctx).Sub(t0).String())
		return out, nil
	})
	want := []string{"timeout ok=false at 1h0m0s", "cond ok=true at 1h10m0s"}
	if len(woke) != 2 || woke[0] != want[0] || woke[1] != want[1] {
		t.Errorf("got %v, want %v", woke, want)
	}
}
