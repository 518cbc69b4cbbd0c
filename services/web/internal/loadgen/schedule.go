package loadgen

import (
	"context"
	"math"
	"sync"
	"time"
)

// Clock is the scheduler's time: the real one (RealClock) or a test's.
type Clock interface {
	Now() time.Time
	// SleepUntil returns at t, or earlier with ctx's error.
	SleepUntil(ctx context.Context, t time.Time) error
}

// RealClock is the wall clock (monotonic readings).
type RealClock struct{}

// Now is time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// SleepUntil sleeps until t.
func (RealClock) SleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Plan is an open-loop schedule: Rate requests a second, evenly spaced, for
// Duration; at most Concurrency in flight.
type Plan struct {
	Rate        float64
	Duration    time.Duration
	Concurrency int
	// SendBy is how long after the end of Duration a request still waiting
	// for a free slot (Concurrency reached) may be sent; those still waiting
	// then are not sent and are counted in NotSent.
	SendBy time.Duration
}

// Count is how many requests the plan schedules: ⌊Rate × Duration⌋, at least 1.
func (p Plan) Count() int {
	n := int(math.Floor(p.Rate*p.Duration.Seconds() + 1e-9))
	return max(n, 1)
}

// Due is the scheduled instant of request i: start + i/Rate.
func (p Plan) Due(start time.Time, i int) time.Time {
	return start.Add(time.Duration(float64(i) / p.Rate * float64(time.Second)))
}

// Fire runs request i, which was due at scheduled; it runs in its own
// goroutine and must return (its own timeout) for Schedule to return.
type Fire func(ctx context.Context, i int, scheduled time.Time)

// Dispatch is what the scheduler did.
type Dispatch struct {
	Start     time.Time
	Scheduled int // requests the plan had
	Sent      int // handed to Fire
	// NotSent were due but never handed to Fire: the concurrency cap was
	// reached until SendBy, or ctx ended first.
	NotSent int
	// Interrupted is set when ctx ended before the schedule did.
	Interrupted bool
	// SendLag is, per request handed to Fire, how long after its scheduled
	// instant it was handed over (the scheduler's own delay plus any wait for
	// a concurrency slot).
	SendLag []time.Duration
	// End is when the last request returned.
	End time.Time
}

// Schedule runs the plan: it hands request i to fire at Due(start, i) — not
// after request i-1 finished — waiting only when Concurrency requests are in
// flight; a request handed over late keeps its scheduled instant, so its
// latency includes the wait. It returns when every request handed over has
// returned.
func Schedule(ctx context.Context, clk Clock, p Plan, fire Fire) Dispatch {
	if p.Concurrency < 1 {
		p.Concurrency = 1
	}
	n := p.Count()
	start := clk.Now()
	d := Dispatch{Start: start, Scheduled: n}
	sendBy := start.Add(p.Duration + p.SendBy)
	slots := make(chan struct{}, p.Concurrency)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		due := p.Due(start, i)
		if err := clk.SleepUntil(ctx, due); err != nil {
			d.NotSent, d.Interrupted = n-i, true
			break
		}
		if !acquire(ctx, clk, slots, sendBy) {
			d.NotSent, d.Interrupted = n-i, ctx.Err() != nil
			break
		}
		d.SendLag = append(d.SendLag, clk.Now().Sub(due))
		d.Sent++
		wg.Add(1)
		go func(i int) {
			defer func() { <-slots; wg.Done() }()
			fire(ctx, i, due)
		}(i)
	}
	wg.Wait()
	d.End = clk.Now()
	return d
}

// acquire takes a slot, waiting until one is free, until deadline (on clk)
// or until ctx ends; it reports whether it got one.
func acquire(ctx context.Context, clk Clock, slots chan struct{}, deadline time.Time) bool {
	select {
	case slots <- struct{}{}:
		return true
	default:
	}
	wait, cancel := context.WithCancel(ctx)
	defer cancel()
	timedOut := make(chan struct{})
	go func() {
		if clk.SleepUntil(wait, deadline) == nil {
			close(timedOut)
		}
	}()
	select {
	case slots <- struct{}{}:
		return true
	case <-timedOut:
		// A slot freed at the same moment still counts.
		select {
		case slots <- struct{}{}:
			return true
		default:
			return false
		}
	case <-ctx.Done():
		return false
	}
}
