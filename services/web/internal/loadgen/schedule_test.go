package loadgen

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock jumps to whatever instant is slept until.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

func (f *fakeClock) SleepUntil(ctx context.Context, t time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.After(f.now) {
		f.now = t
	}
	return ctx.Err()
}

func TestPlanCount(t *testing.T) {
	for _, c := range []struct {
		rate float64
		d    time.Duration
		want int
	}{{10, time.Second, 10}, {0.5, 3 * time.Second, 1}, {2.5, 2 * time.Second, 5}, {0.1, time.Second, 1}, {100, 1500 * time.Millisecond, 150}} {
		if got := (Plan{Rate: c.rate, Duration: c.d}).Count(); got != c.want {
			t.Errorf("Count(%g/s, %s) = %d, want %d", c.rate, c.d, got, c.want)
		}
	}
}

// The schedule is open-loop: on a fake clock every request is handed over
// at exactly start + i/rate, while the first one has not returned yet.
func TestScheduleOpenLoopFakeClock(t *testing.T) {
	start := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	clk := &fakeClock{now: start}
	plan := Plan{Rate: 4, Duration: 5 * time.Second, Concurrency: 100}
	release := make(chan struct{})
	var mu sync.Mutex
	got := map[int]time.Time{}
	var n atomic.Int32
	d := Schedule(context.Background(), clk, plan, func(_ context.Context, i int, due time.Time) {
		mu.Lock()
		got[i] = due
		mu.Unlock()
		if n.Add(1) == int32(plan.Count()) {
			close(release) // the last one lets the others finish
		}
		// Every request is slow: none returns before the last is sent.
		select {
		case <-release:
		case <-time.After(5 * time.Second):
			t.Errorf("request %d: the schedule waited for earlier answers before sending the rest (closed loop)", i)
		}
	})
	if d.Scheduled != 20 || d.Sent != 20 || d.NotSent != 0 {
		t.Fatalf("dispatch %+v", d)
	}
	for i := 0; i < 20; i++ {
		want := start.Add(time.Duration(i) * 250 * time.Millisecond)
		if !got[i].Equal(want) {
			t.Errorf("request %d due %s, want %s", i, got[i], want)
		}
	}
	// Each was handed over at its instant (the clock read by the scheduler).
	for _, lag := range d.SendLag {
		if lag != 0 {
			t.Fatalf("send lag %s on a fake clock", lag)
		}
	}
}

// On the real clock, slow requests do not slow the schedule down: 40
// requests at 200/s that take 100 ms each are all sent within about 200 ms.
func TestScheduleRealClockSlowRequests(t *testing.T) {
	plan := Plan{Rate: 200, Duration: 200 * time.Millisecond, Concurrency: 100}
	d := Schedule(context.Background(), RealClock{}, plan, func(context.Context, int, time.Time) {
		time.Sleep(100 * time.Millisecond)
	})
	if d.Sent != 40 || d.NotSent != 0 {
		t.Fatalf("dispatch %+v", d)
	}
	if total := d.End.Sub(d.Start); total > 600*time.Millisecond {
		t.Errorf("40 requests of 100 ms at 200/s took %s: the schedule waited for answers (closed loop)", total)
	}
	if p := Percentile(d.SendLag, 0.9); p > 50*time.Millisecond {
		t.Errorf("send lag p90 %s", p)
	}
}

// With the concurrency cap reached, a due request waits for a slot and
// keeps its scheduled instant (its latency counts the wait); what is still
// waiting SendBy after the end is not sent.
func TestScheduleConcurrencyCap(t *testing.T) {
	plan := Plan{Rate: 100, Duration: 100 * time.Millisecond, Concurrency: 1, SendBy: 0}
	var mu sync.Mutex
	lateness := map[int]time.Duration{}
	d := Schedule(context.Background(), RealClock{}, plan, func(_ context.Context, i int, due time.Time) {
		mu.Lock()
		lateness[i] = time.Since(due)
		mu.Unlock()
		time.Sleep(40 * time.Millisecond)
	})
	if d.Scheduled != 10 || d.Sent+d.NotSent != 10 || d.NotSent == 0 || d.Sent < 2 || d.Interrupted {
		t.Fatalf("dispatch %+v: want some sent, the rest not sent", d)
	}
	if lateness[1] < 20*time.Millisecond {
		t.Errorf("request 1 (due at 10 ms, the slot free at 40 ms) handed over only %s late", lateness[1])
	}
	if Percentile(d.SendLag, 1) < 20*time.Millisecond {
		t.Errorf("send lag max %s, want the wait for the slot", Percentile(d.SendLag, 1))
	}

	// Given time after the end, every request is sent, late.
	plan.SendBy = 2 * time.Second
	d = Schedule(context.Background(), RealClock{}, plan, func(context.Context, int, time.Time) { time.Sleep(20 * time.Millisecond) })
	if d.Sent != 10 || d.NotSent != 0 {
		t.Fatalf("dispatch %+v", d)
	}
	if Percentile(d.SendLag, 1) < 50*time.Millisecond {
		t.Errorf("send lag max %s: 10 requests of 20 ms one at a time at 100/s fall ~100 ms behind", Percentile(d.SendLag, 1))
	}
}

func TestScheduleCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	plan := Plan{Rate: 100, Duration: 10 * time.Second, Concurrency: 10}
	var n atomic.Int32
	d := Schedule(ctx, RealClock{}, plan, func(context.Context, int, time.Time) {
		if n.Add(1) == 5 {
			cancel()
		}
	})
	if d.Sent < 5 || d.Sent > 7 || d.Sent+d.NotSent != 1000 || !d.Interrupted {
		t.Fatalf("dispatch %+v after cancelling at the 5th", d)
	}
}
