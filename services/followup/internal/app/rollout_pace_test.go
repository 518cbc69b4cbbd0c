package app

import (
	"fmt"
	"testing"
	"time"
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
