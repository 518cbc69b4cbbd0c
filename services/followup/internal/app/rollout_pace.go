package app

import (
	"context"
	"slices"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
)

// Pacing of a wake page. Temporal accepts signals several times faster
// than workers take the workflow tasks they cause in, so a page signalling
// at will builds a backlog on the task queue — thousands of tasks, a minute
// old — behind which every other follow-up's fired timer waits: a rollout
// would make the reminders of the whole system late. So a page lets its
// signals run only so far ahead of the woken workflows: before every
// rolloutPaceEvery-th signal it waits until the workflow signalled "ahead"
// signals earlier has taken its signal in (Workflows.Settled; tasks are
// taken roughly in the order they are queued), for at most
// rolloutPaceWait.
//
// How far ahead follows the pace the workers take signals in (pace): a
// fixed window is too small for a fast server (the rollout waits on its
// own round trips) and too large for a slow one (its backlog ages).
const (
	rolloutAheadStart = 100
	rolloutAheadMin   = 20
	rolloutAheadMax   = 2000
	rolloutPaceEvery  = 10
	// rolloutPaceGrow is how much the window grows at a check that finds
	// the workers keeping up: about a tenth a window (one check in two
	// finds a workflow not checked before while it grows), slow enough
	// that the backlog overshoots rolloutPaceTarget by a third at most.
	rolloutPaceGrow = 2
	// rolloutPaceTarget is how long a workflow may take from its signal
	// to having taken it in before the page counts its signals as
	// queueing: about the longest another follow-up's fired timer waits
	// behind a rollout.
	rolloutPaceTarget = time.Second
	rolloutPaceWait   = 30 * time.Second
	rolloutPacePoll   = 50 * time.Millisecond
)

// pace sizes a wake page's window — how many signals it lets run ahead of
// the workflows taking them in — from what its checks find: how long the
// checked workflow (signalled a window earlier) has been signalled when
// the check finds it has taken its signal in. Within rolloutPaceTarget,
// the workers keep up and the window grows by rolloutPaceGrow. Longer,
// after the page had to wait for it, says signals queue: the window
// shrinks by an eighth. Longer, but taken in at the first look, says
// nothing of the queue (the page itself was slow): the window stays. So
// the window settles near what the workers take in within
// rolloutPaceTarget, less the round trip itself (the signal, the dispatch,
// the workflow task, the check's poll): a rollout runs at the workers'
// pace and leaves a backlog no older than about rolloutPaceTarget, on a
// fast server (a large window) as on a slow one (a small one). The target
// is absolute, not relative to the quickest round trip seen: that is
// measured behind the queue the page's first window built, and a window
// sized from it would keep that queue for good.
type pace struct {
	ahead int
}

// newPace starts at ahead, or rolloutAheadStart when that is out of range.
func newPace(ahead int) *pace {
	if ahead < rolloutAheadMin || ahead > rolloutAheadMax {
		ahead = rolloutAheadStart
	}
	return &pace{ahead: ahead}
}

// took adjusts the window to a check: how long the checked workflow had
// been signalled when found settled, and whether the page waited for it.
func (p *pace) took(waited bool, delay time.Duration) {
	switch {
	case delay <= rolloutPaceTarget:
		p.ahead = min(p.ahead+rolloutPaceGrow, rolloutAheadMax)
	case waited:
		p.ahead = max(p.ahead*7/8, rolloutAheadMin)
	}
}

// sentSignal is a workflow a wake page signalled, and when.
type sentSignal struct {
	wid string
	at  time.Time
}

// pacer is a wake page's pacing: the signals it handed out, in order, and
// its window. A page goes on where the rollout's last page ended: with its
// window — the workers' pace outlives a page of 500 — and its last
// signals, which may not be taken in yet, so that a page's first window is
// paced as well and does not double the backlog the last one left. The
// rollout workflow hands each page's pace on to the next page's input
// (RolloutPageInput.Pace), as the pages of one rollout run one after
// another on whichever replica takes them; a page without one (a
// rollout's first, or one started before pages carried it) goes on from
// the last page of its own process (paceCarry).
type pacer struct {
	s    *FollowUps
	p    *pace
	sent []sentSignal
	// checked is the last signal (its index in sent) a check found taken
	// in: everything before it is, roughly.
	checked int
	// carried is how many of sent the last page left; seen is what this
	// page's pacing saw, for the RolloutObserver.
	carried int
	seen    WakePagePace
	began   time.Time
}

// RolloutObserver sees how a rollout's wake pages keep pace with the
// workers (ports: metrics and a log line a page), so that an operator can
// tell a rollout's pace and how far behind it leaves the workflows.
type RolloutObserver interface {
	// TakenIn: a checked workflow had taken its signal in d after the
	// page sent it.
	TakenIn(d time.Duration)
	// WakePage: a wake page's pacing, at its end.
	WakePage(p WakePagePace)
	// StorePage: a store page stored the change on stored follow-ups, of
	// which unsignalled owe no wake-up (domain.NeedsNoWake).
	StorePage(stored, unsignalled int64)
}

// WakePagePace is what a wake page's pacing saw.
type WakePagePace struct {
	// Signalled is how many workflows the page handed a signal.
	Signalled int
	// WindowFrom and WindowTo are the window (how many signals may run
	// ahead of the workflows taking them in) at the page's start and end.
	WindowFrom, WindowTo int
	// Carried is how many of the last page's signals the page went on
	// pacing behind; Handed whether they came with the page's input (the
	// rollout's last page, on any replica) rather than from its process.
	Carried int
	Handed  bool
	// Checks is how many workflows the page checked; Waited how many of
	// them had not yet taken their signal in at the first look; GaveUp
	// how many it stopped waiting for (rolloutPaceWait, or an error).
	Checks, Waited, GaveUp int
	// SlowestTakenIn is the longest a checked workflow took, from its
	// signal to having taken it in.
	SlowestTakenIn time.Duration
	// Took is the page's time from its first signal to its last one's end.
	Took time.Duration
}

// paceCarry is what a wake page leaves the next one of the process.
type paceCarry struct {
	mu    sync.Mutex
	ahead int
	tail  []sentSignal
}

// rolloutHandOnMost is how many of its last signals a wake page hands on
// to the next at most: they are recorded in the rollout's history twice
// (the page's result, the next page's input), about a hundred bytes each.
const rolloutHandOnMost = 50

// newPacer goes on from handed, the rollout's last page's pace, or — when
// the page was handed none — from the process's last page.
func (s *FollowUps) newPacer(handed *followupv1.RolloutPace) *pacer {
	var ahead int
	var tail []sentSignal
	if handed.GetWindow() > 0 {
		ahead, tail = int(handed.GetWindow()), takeOn(handed)
	} else {
		c := &s.paceCarry
		c.mu.Lock()
		ahead, tail = c.ahead, slices.Clone(c.tail)
		c.mu.Unlock()
	}
	pc := &pacer{s: s, p: newPace(ahead), sent: tail, checked: -1, carried: len(tail)}
	pc.seen.WindowFrom, pc.seen.Carried, pc.seen.Handed = pc.p.ahead, len(tail), handed.GetWindow() > 0
	return pc
}

// handOn is what a page hands on of its last signals: rolloutHandOnMost at
// most, evenly spaced, the newest among them.
func handOn(window int, tail []sentSignal) *followupv1.RolloutPace {
	out := &followupv1.RolloutPace{Window: int32(window), Signals: int32(len(tail))}
	stride := max(1, (len(tail)+rolloutHandOnMost-1)/rolloutHandOnMost)
	first := (len(tail) - 1) % stride
	for i := first; i < len(tail); i += stride {
		out.Tail = append(out.Tail, &followupv1.RolloutSignal{WorkflowId: tail[i].wid, SignalledAt: timestamppb.New(tail[i].at), Position: int32(i)})
	}
	return out
}

// takeOn is the last page's signals handed on, in their places among as
// many as they stand for; the places of those left out are empty (before
// checks the next one handed on instead). A handed pace that does not add
// up is taken as far as it does.
func takeOn(p *followupv1.RolloutPace) []sentSignal {
	n := int(p.GetSignals())
	if n <= 0 || n > rolloutAheadMax {
		return nil
	}
	tail := make([]sentSignal, n)
	last := -1
	for _, t := range p.GetTail() {
		i := int(t.GetPosition())
		if i < 0 || i >= n || t.GetWorkflowId() == "" || t.GetSignalledAt() == nil {
			continue
		}
		tail[i] = sentSignal{wid: t.GetWorkflowId(), at: t.GetSignalledAt().AsTime()}
		last = max(last, i)
	}
	// Places after the newest one handed on are none: nothing to check.
	return tail[:last+1]
}

// done leaves the page's window and last signals to the next page — the
// process's, and the rollout's (returned, for the page's result: handOn) —,
// and tells the observer what the page's pacing saw. The next page's
// checks look back no further than a window (the window only grows a
// little between checks; a shrink moves them on), so a window's worth of
// signals is all it needs.
func (pc *pacer) done() *followupv1.RolloutPace {
	tail := slices.Clone(pc.sent[max(0, len(pc.sent)-pc.p.ahead):])
	c := &pc.s.paceCarry
	c.mu.Lock()
	c.ahead, c.tail = pc.p.ahead, tail
	c.mu.Unlock()
	if o := pc.s.RolloutPace; o != nil && len(pc.sent) > pc.carried {
		pc.seen.Signalled = len(pc.sent) - pc.carried
		pc.seen.WindowTo = pc.p.ahead
		pc.seen.Took = time.Since(pc.began)
		o.WakePage(pc.seen)
	}
	return handOn(pc.p.ahead, tail)
}

// before is called before each signal: every rolloutPaceEvery-th signal
// once the window is full, it waits until the workflow signalled a window
// earlier has taken its signal in, and adjusts the window to how long that
// took — once per workflow checked, so that the window grows no faster
// than the checks find signals taken in.
func (pc *pacer) before(ctx context.Context, heartbeat func(any)) {
	n := len(pc.sent)
	if n < pc.p.ahead || n%rolloutPaceEvery != 0 {
		return
	}
	k := n - pc.p.ahead
	if k <= pc.checked {
		return // known taken in: a window that just grew learns nothing here
	}
	for pc.sent[k].wid == "" {
		k++ // not handed on: the next one that was (takeOn)
	}
	pc.checked = k
	probe := pc.sent[k]
	settled, waited := pc.s.awaitSettled(ctx, probe.wid, heartbeat)
	delay := time.Since(probe.at)
	pc.seen.Checks++
	if waited {
		pc.seen.Waited++
	}
	if settled {
		pc.seen.SlowestTakenIn = max(pc.seen.SlowestTakenIn, delay)
		if o := pc.s.RolloutPace; o != nil {
			o.TakenIn(delay)
		}
	} else {
		pc.seen.GaveUp++
		waited = true
	}
	pc.p.took(waited, delay)
}

// signalled notes that workflow wid was handed its signal.
func (pc *pacer) signalled(wid string) {
	at := time.Now()
	if len(pc.sent) == pc.carried {
		pc.began = at
	}
	pc.sent = append(pc.sent, sentSignal{wid: wid, at: at})
}

// awaitSettled waits until workflow wid has taken in what it was sent
// (Workflows.Settled), for at most rolloutPaceWait: pacing must not stop a
// rollout behind a workflow that cannot settle. An error ends the wait too
// (the signals themselves report a Temporal that is away). It reports
// whether the workflow settled, and whether it was waited for (not settled
// at the first look).
func (s *FollowUps) awaitSettled(ctx context.Context, wid string, heartbeat func(any)) (settled, waited bool) {
	deadline := time.Now().Add(rolloutPaceWait)
	for {
		ok, err := s.wf.Settled(ctx, wid)
		if ok || err != nil || time.Now().After(deadline) {
			return ok, waited
		}
		waited = true
		heartbeat(wid)
		select {
		case <-ctx.Done():
			return false, true
		case <-time.After(rolloutPacePoll):
		}
	}
}
