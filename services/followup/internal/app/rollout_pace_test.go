package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
)

// paceRun is one simulated wake run: n signals handed out as fast as every
// gap unless the pace holds them back, to workers that take one in every
// 1/rate, each settled no sooner than roundTrip after its signal (the
// signal, the dispatch, the workflow task); the page checks every
// rolloutPacePoll while it waits. It returns the rate the workflows took
// the signals in after the first fifth (the warm-up) and the longest any
// signal queued behind others (beyond its round trip).
func paceRun(n int, gap time.Duration, rate float64, roundTrip time.Duration) (float64, time.Duration) {
	per := time.Duration(float64(time.Second) / rate)
	p := newPace(0)
	sent, done := make([]time.Duration, n), make([]time.Duration, n)
	var now, queued time.Duration
	checked := -1
	for i := range n {
		if i >= p.ahead && i%rolloutPaceEvery == 0 && i-p.ahead > checked {
			probe := i - p.ahead
			checked = probe
			waited := done[probe] > now
			if waited {
				now += (done[probe] - now + rolloutPacePoll - 1) / rolloutPacePoll * rolloutPacePoll
			}
			p.took(waited, now-sent[probe])
		}
		sent[i] = now
		done[i] = now + roundTrip
		if i > 0 {
			done[i] = max(done[i], done[i-1]+per)
		}
		if i >= n/5 {
			queued = max(queued, done[i]-now-roundTrip)
		}
		now += gap
	}
	warm := n / 5
	return float64(n-1-warm) / (done[n-1] - done[warm]).Seconds(), queued
}

// A wake page's window follows the workers: whatever their pace, with a
// round trip well within rolloutPaceTarget the workflows take the signals
// in at (nearly) the pace the workers can, and no signal — so no other
// follow-up's fired timer — queues much longer than rolloutPaceTarget;
// with a round trip near the target, the backlog stays as short and the
// rollout slows, but not to a crawl. The fixed window of a hundred fails
// the first on a fast server (1,000/s, a 300 ms round trip: 333/s);
// no window at all fails the second.
func TestPaceFollowsTheWorkers(t *testing.T) {
	for _, rate := range []float64{30, 140, 280, 1000} {
		for _, rt := range []time.Duration{20 * time.Millisecond, 300 * time.Millisecond, 700 * time.Millisecond} {
			t.Run(fmt.Sprintf("%.0f/s,round-trip=%v", rate, rt), func(t *testing.T) {
				got, queued := paceRun(20000, 200*time.Microsecond, rate, rt)
				least := 0.9
				if rt > rolloutPaceTarget/2 {
					least = 0.6
				}
				if got < least*rate {
					t.Errorf("the workflows took the signals in at %.1f/s, want at least %.0f%% of the workers' %.0f/s", got, 100*least, rate)
				}
				if queued > rolloutPaceTarget*3/2 {
					t.Errorf("a signal queued %v behind others, want at most %v", queued, rolloutPaceTarget*3/2)
				}
				t.Logf("%.1f/s (%.0f%%), queued at most %v", got, 100*got/rate, queued.Round(time.Millisecond))
			})
		}
	}
}

// The window stays within its bounds, and a page starts where the last one
// ended unless that is out of range.
func TestPaceWindowBounds(t *testing.T) {
	p := newPace(0)
	if p.ahead != rolloutAheadStart {
		t.Fatalf("a first page starts at %d, want %d", p.ahead, rolloutAheadStart)
	}
	if got := newPace(640).ahead; got != 640 {
		t.Fatalf("a page after one that ended at 640 starts at %d", got)
	}
	if got := newPace(rolloutAheadMax + 1).ahead; got != rolloutAheadStart {
		t.Fatalf("out of range: starts at %d, want %d", got, rolloutAheadStart)
	}
	for range 1000 {
		p.took(false, rolloutPaceTarget)
	}
	if p.ahead != rolloutAheadMax {
		t.Fatalf("workers that always keep up: window %d, want the most, %d", p.ahead, rolloutAheadMax)
	}
	for range 1000 {
		p.took(true, rolloutPaceWait)
	}
	if p.ahead != rolloutAheadMin {
		t.Fatalf("workers that never keep up: window %d, want the least, %d", p.ahead, rolloutAheadMin)
	}
}

// A page hands on fifty of its last signals at most, evenly spaced and the
// newest among them, in their places; the next page, where it would check
// one left out, checks the next one handed on. A pace that does not add up
// is taken as far as it does.
func TestPaceHandedOn(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	var tail []sentSignal
	for i := range 2000 {
		tail = append(tail, sentSignal{wid: fmt.Sprintf("wf-%04d", i), at: at.Add(time.Duration(i) * time.Millisecond)})
	}
	for _, n := range []int{0, 1, 7, 50, 51, 100, 2000} {
		p := handOn(300, tail[:n])
		if p.GetWindow() != 300 || int(p.GetSignals()) != n || len(p.GetTail()) > rolloutHandOnMost || n > 0 && len(p.GetTail()) < min(n, rolloutHandOnMost/2) {
			t.Fatalf("%d signals: handed on %d for %d, window %d", n, len(p.GetTail()), p.GetSignals(), p.GetWindow())
		}
		got := takeOn(p)
		if len(got) != n {
			t.Fatalf("%d signals: took on %d places", n, len(got))
		}
		gap, handed := 0, 0
		for i, s := range got {
			if s.wid == "" {
				if n <= rolloutHandOnMost {
					t.Fatalf("%d signals: place %d left out of fifty at most", n, i)
				}
				gap++
				continue
			}
			if s != tail[i] {
				t.Fatalf("%d signals: place %d holds %v, want %v", n, i, s, tail[i])
			}
			handed, gap = handed+1, 0
		}
		if gap > 0 || handed != len(p.GetTail()) {
			t.Fatalf("%d signals: the newest not handed on (%d places after it), %d of %d taken on", n, gap, handed, len(p.GetTail()))
		}
	}
	// The next page checks the next signal handed on.
	settled := map[string]bool{}
	pc := &pacer{s: &FollowUps{wf: settledFake{settled: settled}}, p: newPace(100), sent: takeOn(handOn(100, tail[:100])), checked: -1, carried: 100}
	if pc.sent[0].wid != "" || pc.sent[1].wid == "" {
		t.Fatalf("100 signals handed on from place %v, want every second from the second", pc.sent[:2])
	}
	settled[tail[1].wid] = true
	pc.before(t.Context(), func(any) {})
	if pc.checked != 1 || pc.seen.Checks != 1 || pc.seen.Waited != 0 {
		t.Fatalf("checked place %d (%+v), want 1, the next handed on, settled at once", pc.checked, pc.seen)
	}
	// Out of range: nothing taken on past what adds up.
	bad := handOn(100, tail[:10])
	bad.Tail[9].Position = 12
	if got := takeOn(bad); len(got) != 9 {
		t.Fatalf("a place out of range: took on %d places, want 9", len(got))
	}
	if got := takeOn(&followupv1.RolloutPace{Window: 100, Signals: rolloutAheadMax + 1}); got != nil {
		t.Fatalf("more signals than any window: took on %v", got)
	}
}

// settledFake is a Workflows whose workflows have settled when the map
// says (it does nothing else).
type settledFake struct {
	Workflows
	settled map[string]bool
}

func (f settledFake) Settled(_ context.Context, wid string) (bool, error) { return f.settled[wid], nil }
