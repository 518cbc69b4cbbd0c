// Package supervise keeps the processes of `make run` up: a component that
// exits is started again after an exponential backoff, the others keep running,
// and when one crashes too often in a short window the supervisor gives up,
// stops everything and reports it. Stopping (Ctrl-C) stops the components in
// the reverse order of their start, each gracefully first.
package supervise

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Process is one running instance of a component.
type Process interface {
	// Wait blocks until the process exits and returns why (nil: exit status 0).
	// The supervisor calls it once per instance.
	Wait() error
	// Stop asks the process to exit (SIGTERM).
	Stop()
	// Kill forces it to exit (SIGKILL).
	Kill()
	// PID identifies the instance in log lines.
	PID() int
}

// StartFunc starts a new instance of a component.
type StartFunc func() (Process, error)

// Policy is how restarts are paced and when the supervisor gives up.
type Policy struct {
	InitialBackoff time.Duration // wait before the first restart
	MaxBackoff     time.Duration // the wait doubles per consecutive crash up to this
	StableAfter    time.Duration // an instance that ran this long resets the backoff
	MaxCrashes     int           // give up at this many exits of one component …
	Window         time.Duration // … within this long
	StopGrace      time.Duration // how long Stop may take before Kill
}

// DefaultPolicy restarts after 1s, 2s, 4s … up to 30s, and gives up when a
// component exits 5 times within 2 minutes.
var DefaultPolicy = Policy{
	InitialBackoff: time.Second, MaxBackoff: 30 * time.Second, StableAfter: time.Minute,
	MaxCrashes: 5, Window: 2 * time.Minute, StopGrace: 30 * time.Second,
}

// ErrGaveUp is wrapped by the error Wait returns when a component crashed too often.
var ErrGaveUp = errors.New("gave up")

// Supervisor runs components. Its zero value is not usable: call New.
type Supervisor struct {
	policy Policy
	logf   func(component, msg string)
	now    func() time.Time

	mu      sync.Mutex
	comps   []*comp
	quit    chan struct{} // closed when stopping: no more restarts
	failed  chan struct{} // closed on the first give-up
	failErr error
	wg      sync.WaitGroup
}

type comp struct {
	name  string
	start StartFunc
	cur   *instance
}

type instance struct {
	p       Process
	started time.Time
	exited  chan struct{}
	err     error // set before exited closes
}

// New returns a supervisor with policy p; logf receives every restart and
// give-up line, with the component's name.
func New(p Policy, logf func(component, msg string)) *Supervisor {
	return &Supervisor{policy: p, logf: logf, now: time.Now, quit: make(chan struct{}), failed: make(chan struct{})}
}

// Start starts the first instance of a component and supervises it from then
// on. An error starting the first instance is returned (nothing is supervised).
func (s *Supervisor) Start(name string, start StartFunc) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.quit:
		return fmt.Errorf("%s: the supervisor is stopping", name)
	default:
	}
	p, err := start()
	if err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	c := &comp{name: name, start: start, cur: s.watch(p)}
	s.comps = append(s.comps, c)
	s.wg.Add(1)
	go s.loop(c)
	return nil
}

// watch waits for p in the background.
func (s *Supervisor) watch(p Process) *instance {
	in := &instance{p: p, started: s.now(), exited: make(chan struct{})}
	go func() {
		in.err = p.Wait()
		close(in.exited)
	}()
	return in
}

// Failed is closed when the supervisor has given up on a component.
func (s *Supervisor) Failed() <-chan struct{} { return s.failed }

func (s *Supervisor) loop(c *comp) {
	defer s.wg.Done()
	var crashes []time.Time
	consecutive := 0
	for {
		s.mu.Lock()
		in := c.cur
		s.mu.Unlock()
		select {
		case <-in.exited:
		case <-s.quit:
			return // Stop waits for the instance
		}
		select {
		case <-s.quit:
			return
		default:
		}
		now := s.now()
		ran := now.Sub(in.started)
		crashes = append(crashes, now)
		for len(crashes) > 0 && now.Sub(crashes[0]) > s.policy.Window {
			crashes = crashes[1:]
		}
		if ran >= s.policy.StableAfter {
			consecutive = 0
		}
		consecutive++
		why := "exited"
		if in.err != nil {
			why = "exited: " + in.err.Error()
		}
		if len(crashes) >= s.policy.MaxCrashes {
			s.fail(c.name, fmt.Errorf("%w: %s %s; %d exits within %s", ErrGaveUp, c.name, why, len(crashes), s.policy.Window))
			return
		}
		wait := s.backoff(consecutive)
		s.logf(c.name, fmt.Sprintf("pid %d %s after %s; restarting in %s (exit %d of %d allowed within %s)",
			in.p.PID(), why, ran.Round(time.Millisecond), wait, len(crashes), s.policy.MaxCrashes-1, s.policy.Window))
		for {
			select {
			case <-s.quit:
				return
			case <-time.After(wait):
			}
			s.mu.Lock()
			select {
			case <-s.quit:
				s.mu.Unlock()
				return
			default:
			}
			p, err := c.start()
			if err == nil {
				c.cur = s.watch(p)
				s.mu.Unlock()
				s.logf(c.name, fmt.Sprintf("restarted, pid %d", p.PID()))
				break
			}
			s.mu.Unlock()
			crashes = append(crashes, s.now())
			consecutive++
			if len(crashes) >= s.policy.MaxCrashes {
				s.fail(c.name, fmt.Errorf("%w: %s could not be restarted: %v", ErrGaveUp, c.name, err))
				return
			}
			wait = s.backoff(consecutive)
			s.logf(c.name, fmt.Sprintf("restart failed: %v; retrying in %s", err, wait))
		}
	}
}

func (s *Supervisor) backoff(consecutive int) time.Duration {
	d := s.policy.InitialBackoff
	for i := 1; i < consecutive && d < s.policy.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.policy.MaxBackoff)
}

func (s *Supervisor) fail(name string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failErr != nil {
		return
	}
	s.failErr = err
	s.logf(name, err.Error())
	close(s.failed)
}

// Wait blocks until ctx ends or the supervisor gives up on a component, then
// stops every component (the last started first) and returns nil, or the
// give-up error (wrapping ErrGaveUp).
func (s *Supervisor) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
	case <-s.failed:
	}
	s.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failErr
}

// Stop ends supervision and stops every component, the last started first:
// Stop, then Kill after the policy's StopGrace. It is safe to call twice.
func (s *Supervisor) Stop() {
	s.mu.Lock()
	select {
	case <-s.quit:
		s.mu.Unlock()
		s.wg.Wait()
		return
	default:
	}
	close(s.quit)
	comps := append([]*comp(nil), s.comps...)
	s.mu.Unlock()
	s.wg.Wait() // no loop starts an instance any more
	for i := len(comps) - 1; i >= 0; i-- {
		in := comps[i].cur
		select {
		case <-in.exited:
			continue
		default:
		}
		in.p.Stop()
		select {
		case <-in.exited:
		case <-time.After(s.policy.StopGrace):
			s.logf(comps[i].name, fmt.Sprintf("pid %d did not stop within %s; killing it", in.p.PID(), s.policy.StopGrace))
			in.p.Kill()
			<-in.exited
		}
	}
}
