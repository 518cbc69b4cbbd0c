package supervise

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fake is a process that runs until it is stopped, killed or crashed.
type fake struct {
	pid      int
	exit     chan error
	once     sync.Once
	stopped  chan struct{}
	ignoreTE bool // ignores Stop (SIGTERM): only Kill ends it
}

func (f *fake) Wait() error { return <-f.exit }
func (f *fake) PID() int    { return f.pid }
func (f *fake) Stop() {
	if !f.ignoreTE {
		f.end(nil)
	}
}
func (f *fake) Kill()         { f.end(errors.New("signal: killed")) }
func (f *fake) crash()        { f.end(errors.New("exit status 2")) }
func (f *fake) end(err error) { f.once.Do(func() { close(f.stopped); f.exit <- err }) }

// factory starts fakes and remembers each start.
type factory struct {
	mu     sync.Mutex
	procs  []*fake
	starts []time.Time
	fail   bool // starts fail
	stubb  bool // new instances ignore Stop
	events *[]string
	name   string
}

func (fa *factory) start() (Process, error) {
	fa.mu.Lock()
	defer fa.mu.Unlock()
	if fa.fail {
		return nil, errors.New("no such file")
	}
	p := &fake{pid: 100 + len(fa.procs), exit: make(chan error, 1), stopped: make(chan struct{}), ignoreTE: fa.stubb}
	fa.procs = append(fa.procs, p)
	fa.starts = append(fa.starts, time.Now())
	return p, nil
}

func (fa *factory) last() *fake {
	fa.mu.Lock()
	defer fa.mu.Unlock()
	return fa.procs[len(fa.procs)-1]
}

func (fa *factory) count() int {
	fa.mu.Lock()
	defer fa.mu.Unlock()
	return len(fa.procs)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) logf(name, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, name+": "+msg)
}

func (l *logs) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

var fast = Policy{InitialBackoff: 40 * time.Millisecond, MaxBackoff: 160 * time.Millisecond, StableAfter: time.Hour,
	MaxCrashes: 5, Window: time.Minute, StopGrace: 200 * time.Millisecond}

// TestCrashedComponentIsRestartedWithBackoff: a crashing component comes back
// after 40, 80, 160 ms (doubling, capped), each restart is logged with its
// reason, and the other component is never touched.
func TestCrashedComponentIsRestartedWithBackoff(t *testing.T) {
	var l logs
	s := New(fast, l.logf)
	worker, temporal := &factory{}, &factory{}
	if err := s.Start("temporal", temporal.start); err != nil {
		t.Fatal(err)
	}
	if err := s.Start("worker", worker.start); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 4; i++ {
		crashedAt := time.Now()
		worker.last().crash()
		waitFor(t, fmt.Sprintf("restart %d", i), func() bool { return worker.count() == i+1 })
		gap := worker.starts[i].Sub(crashedAt)
		want := min(fast.InitialBackoff<<(i-1), fast.MaxBackoff)
		if gap < want || gap > want+150*time.Millisecond {
			t.Errorf("restart %d after %s, want about %s", i, gap, want)
		}
	}
	if temporal.count() != 1 {
		t.Errorf("temporal was started %d times; a crash elsewhere must not touch it", temporal.count())
	}
	select {
	case <-temporal.procs[0].stopped:
		t.Fatal("temporal was stopped")
	default:
	}
	for _, want := range []string{"worker: pid 100 exited: exit status 2 after", "restarting in 40ms (exit 1 of 4 allowed within 1m0s)",
		"restarting in 80ms", "restarting in 160ms (exit 4 of 4", "worker: restarted, pid 104"} {
		if !strings.Contains(l.text(), want) {
			t.Errorf("log lacks %q:\n%s", want, l.text())
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Wait(ctx); err != nil {
		t.Fatalf("a stop by the user is not an error: %v", err)
	}
}

// TestGivesUpAfterTooManyCrashes: the fifth exit within the window ends
// supervision: Wait returns ErrGaveUp naming the component, and every other
// component is stopped.
func TestGivesUpAfterTooManyCrashes(t *testing.T) {
	var l logs
	s := New(fast, l.logf)
	worker, temporal := &factory{}, &factory{}
	_ = s.Start("temporal", temporal.start)
	_ = s.Start("worker", worker.start)
	done := make(chan error, 1)
	go func() { done <- s.Wait(context.Background()) }()
	for i := 1; i <= 5; i++ {
		waitFor(t, fmt.Sprintf("instance %d", i), func() bool { return worker.count() == i })
		worker.last().crash()
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrGaveUp) || !strings.Contains(err.Error(), "gave up: worker exited: exit status 2; 5 exits within 1m0s") {
			t.Fatalf("Wait = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the supervisor never gave up")
	}
	select {
	case <-s.Failed():
	default:
		t.Error("Failed not closed")
	}
	select {
	case <-temporal.procs[0].stopped:
	default:
		t.Error("giving up must stop the other components")
	}
	if worker.count() != 5 || !strings.Contains(l.text(), "worker: gave up: worker exited") {
		t.Errorf("%d worker starts; log:\n%s", worker.count(), l.text())
	}
}

// TestFailedRestartsCountAndGiveUp: when the binary can no longer be started,
// the supervisor retries with backoff and then gives up.
func TestFailedRestartsCountAndGiveUp(t *testing.T) {
	var l logs
	s := New(fast, l.logf)
	worker := &factory{}
	_ = s.Start("worker", worker.start)
	worker.mu.Lock()
	worker.fail = true
	worker.mu.Unlock()
	worker.last().crash()
	err := s.Wait(context.Background())
	if !errors.Is(err, ErrGaveUp) || !strings.Contains(err.Error(), "worker could not be restarted: no such file") {
		t.Fatalf("Wait = %v", err)
	}
	if !strings.Contains(l.text(), "restart failed: no such file; retrying in 80ms") {
		t.Errorf("log:\n%s", l.text())
	}
}

// TestStopStopsInReverseOrderAndKillsStragglers: Ctrl-C stops the last started
// first; one that ignores SIGTERM is killed after the grace period; nothing is
// restarted while stopping.
func TestStopStopsInReverseOrderAndKillsStragglers(t *testing.T) {
	var l logs
	s := New(fast, l.logf)
	var order []string
	var mu sync.Mutex
	// The order is taken when the supervisor asks each to stop (it asks the
	// next only once the previous has exited), not by goroutines watching
	// them exit, whose own scheduling would blur it.
	record := func(name string, fa *factory) StartFunc {
		return func() (Process, error) {
			p, err := fa.start()
			if err != nil {
				return p, err
			}
			return stopRecorder{Process: p, stop: func() {
				mu.Lock()
				order = append(order, name)
				mu.Unlock()
			}}, nil
		}
	}
	temporal, customer, worker := &factory{}, &factory{}, &factory{stubb: true}
	_ = s.Start("temporal", record("temporal", temporal))
	_ = s.Start("customer", record("customer", customer))
	_ = s.Start("worker", record("worker", worker))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	t0 := time.Now()
	if err := s.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d < fast.StopGrace {
		t.Errorf("the straggler was killed after %s, before its grace period", d)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(order, ",") != "worker,customer,temporal" {
		t.Errorf("stop order %v", order)
	}
	if worker.count()+customer.count()+temporal.count() != 3 {
		t.Error("something was restarted while stopping")
	}
	if !strings.Contains(l.text(), "worker: pid 100 did not stop within 200ms; killing it") {
		t.Errorf("log:\n%s", l.text())
	}
	if err := s.Start("late", temporal.start); err == nil {
		t.Error("started a component after Stop")
	}
}

// TestStableRunResetsBackoff: an instance that ran longer than StableAfter is
// restarted after the initial backoff again.
func TestStableRunResetsBackoff(t *testing.T) {
	p := fast
	p.StableAfter = 100 * time.Millisecond
	var l logs
	s := New(p, l.logf)
	worker := &factory{}
	_ = s.Start("worker", worker.start)
	worker.last().crash()
	waitFor(t, "restart 1", func() bool { return worker.count() == 2 })
	worker.last().crash()
	waitFor(t, "restart 2", func() bool { return worker.count() == 3 })
	time.Sleep(150 * time.Millisecond)
	worker.last().crash()
	waitFor(t, "restart 3", func() bool { return worker.count() == 4 })
	if got := l.text(); strings.Count(got, "restarting in 40ms") != 2 || strings.Count(got, "restarting in 80ms") != 1 {
		t.Errorf("backoff not reset after a stable run:\n%s", got)
	}
	s.Stop()
}

// stopRecorder is a Process that notes when it is asked to stop.
type stopRecorder struct {
	Process
	stop func()
}

func (r stopRecorder) Stop() { r.stop(); r.Process.Stop() }
