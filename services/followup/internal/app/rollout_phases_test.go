package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/testenv"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/app"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
	"github.com/closeloop/closeloop/workflows/policy"
)

// A rollout in two phases (workflow change "rollout-stores-first") stores
// every re-computed deadline and signals nothing; then it signals the
// workflows a page at a time, the one whose next action comes soonest first,
// each signal carrying the change the record holds, and counts a workflow
// whose next action came due before its signal as late. A retried store
// stores nothing twice; a follow-up closed between the phases is not
// signalled; each workflow is signalled once. SQLite and PostgreSQL.
func TestRolloutStoresEveryRecordThenWakesTheSoonestFirst(t *testing.T) {
	for _, b := range []struct {
		name string
		url  func(testing.TB) string
	}{{"sqlite", testenv.SQLite}, {"postgres", testenv.Postgres}} {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			gdb := migrated(t, db.Config{URL: b.url(t), MaxOpenConns: 1, MaxIdleConns: 1, ConnMaxLifetime: time.Minute, SlowQuery: time.Second})
			pol := newPolicies(gdb, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err := pol.Seed(ctx); err != nil {
				t.Fatal(err)
			}
			r := &rolloutFixture{gdb: gdb, pol: pol, fus: store.NewFollowUps(gdb)}
			// A ladder on calendar time, so that each next action is its due
			// time whatever the hour the test runs at.
			r.putPolicy(t, policy.LeadEscalation, 2, policy.Value{Ladder: &policy.Ladder{Clock: policy.ClockCalendar, Steps: []policy.Step{
				{After: 0, Action: policy.ActionRemind}, {After: policy.Duration(4 * time.Hour), Action: policy.ActionEscalateManager}}}})
			// Under the 2 h SLA: overdue an hour ago, due in three seconds,
			// in half an hour, in an hour, in an hour and a half.
			now := time.Now().UTC().Truncate(time.Second)
			anchors := map[string]time.Time{
				"fu-overdue": now.Add(-3 * time.Hour), "fu-soon": now.Add(-2*time.Hour + 3*time.Second),
				"fu-30m": now.Add(-90 * time.Minute), "fu-1h": now.Add(-time.Hour), "fu-90m": now.Add(-30 * time.Minute),
			}
			for _, id := range slices.Sorted(maps.Keys(anchors)) {
				r.anchor = anchors[id]
				r.open(t, id, 1)
			}
			r.slaV2(t)

			wf := &signals{sent: map[string][]*followupv1.PolicyChangedSignal{}}
			svc := app.NewFollowUps(r.fus, pol, wf, nil, nil, app.Links{})
			ro := &followupv1.RolloutInput{Policy: policy.LeadFirstContactSLA, Version: 2}
			storePage := &followupv1.RolloutPageInput{Rollout: ro, Limit: 500, Phase: followupv1.RolloutPhase_ROLLOUT_PHASE_STORE}
			res, err := svc.RolloutPage(ctx, storePage, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.GetStored() != 5 || res.GetSignalled() != 0 || len(wf.sent) != 0 || res.GetNextAfterId() != "" {
				t.Fatalf("store page: %v, %d workflows signalled; want 5 stored and none signalled", res, len(wf.sent))
			}
			for id, anchor := range anchors {
				f, err := r.fus.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if f.PolicyVersion != 2 || f.EscalationPolicyVersion != 2 || !f.DueAt.Equal(anchor.Add(2*time.Hour)) || f.NextStepAt == nil || !f.NextStepAt.Equal(f.DueAt) {
					t.Fatalf("%s stored %+v; want v2 due %s, its reminder then", id, f, anchor.Add(2*time.Hour))
				}
			}
			// A retried store page finds nothing behind and stores nothing twice.
			if res, err := svc.RolloutPage(ctx, storePage, true, nil); err != nil || res.GetStored() != 0 || len(wf.sent) != 0 {
				t.Fatalf("retried store page: %v %v, %d signalled", res, err, len(wf.sent))
			}

			time.Sleep(time.Until(anchors["fu-soon"].Add(2*time.Hour + 100*time.Millisecond))) // fu-soon's reminder comes due
			wake := func(want ...string) *followupv1.RolloutPageResult {
				t.Helper()
				before := len(wf.sent)
				res, err := svc.RolloutPage(ctx, &followupv1.RolloutPageInput{Rollout: ro, Limit: 2, Phase: followupv1.RolloutPhase_ROLLOUT_PHASE_WAKE}, false, nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range want {
					if len(wf.sent["wf-"+id]) != 1 {
						t.Fatalf("wake page %v: %s signalled %d times, want once", res, id, len(wf.sent["wf-"+id]))
					}
				}
				if len(wf.sent) != before+len(want) || res.GetSignalled() != int64(len(want)) {
					t.Fatalf("wake page %v: %d workflows signalled in all, want %d more than %d", res, len(wf.sent), len(want), before)
				}
				return res
			}
			// The soonest first: the one overdue at once (not late: it was due
			// before the change), then the one whose reminder came due meanwhile (late).
			if res := wake("fu-overdue", "fu-soon"); res.GetLate() != 1 || res.GetNextAfterId() == "" {
				t.Fatalf("first wake page %v: want 1 late and more to come", res)
			}
			for _, id := range []string{"fu-overdue", "fu-soon"} {
				f, _ := r.fus.Get(ctx, id)
				sig := wf.sent["wf-"+id][0]
				if sig.GetResolved() == nil || sig.GetVersion() != 2 || sig.GetRecorded() == nil || sig.GetRecorded().GetPolicyVersion() != 2 ||
					!sig.GetRecorded().GetDueAt().AsTime().Equal(f.DueAt) || !sig.GetRecorded().GetNextStepAt().AsTime().Equal(*f.NextStepAt) {
					t.Fatalf("%s signalled %v; want the resolution and the change its record holds (%+v)", id, sig, f)
				}
			}
			// Closed between the pages: not signalled, owed no more.
			if err := svc.Close(ctx, "fu-30m", domain.Closing{State: domain.StateDone, By: "rep-ana"}); err != nil {
				t.Fatal(err)
			}
			if res := wake("fu-1h"); res.GetNextAfterId() == "" || res.GetLate() != 0 {
				t.Fatalf("second wake page %v", res)
			}
			if res := wake("fu-90m"); res.GetNextAfterId() != "" {
				t.Fatalf("third wake page %v: want the last", res)
			}
			wake()
			if len(wf.sent["wf-fu-30m"]) != 0 {
				t.Fatal("a follow-up closed before its wake-up was signalled")
			}
			for id := range anchors {
				if changed := deadlineChanges(t, r.fus, id); changed != 1 {
					t.Errorf("%s has %d deadline changes in its history, want 1", id, changed)
				}
			}
		})
	}
}

// paced is a fake app.Workflows whose workflows take their signals in, in
// the order sent, one a millisecond — slower than signals are sent — and
// which notes how far the signals ever ran ahead of them.
type paced struct {
	signals
	queue     []string
	processed map[string]bool
	taken     int
	maxAhead  int
	asked     int
}

func (p *paced) Signal(ctx context.Context, wid, name string, payload any) error {
	p.mu.Lock()
	p.queue = append(p.queue, wid)
	p.maxAhead = max(p.maxAhead, len(p.queue)-p.taken)
	p.mu.Unlock()
	return p.signals.Signal(ctx, wid, name, payload)
}

func (p *paced) Settled(_ context.Context, wid string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked++
	return p.processed[wid], nil
}

func (p *paced) work(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(time.Millisecond):
		}
		p.mu.Lock()
		if p.taken < len(p.queue) {
			p.processed[p.queue[p.taken]] = true
			p.taken++
		}
		p.mu.Unlock()
	}
}

// A wake page does not let its signals run far ahead of the workflows
// taking them in (a task-queue backlog would make every other follow-up's
// fired timer wait behind it): at most its window (about a hundred to
// start with), then it waits for the workflows to catch up, also across
// pages; and it still signals every one. Pages of a hundred, each going on
// pacing where the last one ended (its window's first signals, too, wait
// for the last page's): on one replica from the process's last page, on
// two taking the pages in turn from the pace the rollout hands on from
// page to page (as PolicyRollout does).
func TestRolloutWakePageKeepsPaceWithTheWorkflows(t *testing.T) {
	for _, c := range []struct {
		name     string
		replicas int
		handOn   bool
	}{{"one replica", 1, false}, {"two replicas, the pace handed on", 2, true}} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			r := newRolloutFixture(t)
			const n = 400
			for i := range n {
				r.open(t, fmt.Sprintf("fu-%03d", i), 1)
			}
			r.slaV2(t)
			wf := &paced{signals: signals{sent: map[string][]*followupv1.PolicyChangedSignal{}}, processed: map[string]bool{}}
			stop := make(chan struct{})
			defer close(stop)
			go wf.work(stop)
			seen := &seenPace{}
			var svcs []*app.FollowUps
			for range c.replicas {
				svc := app.NewFollowUps(r.fus, r.pol, wf, nil, nil, app.Links{})
				svc.RolloutPace = seen
				svcs = append(svcs, svc)
			}
			ro := &followupv1.RolloutInput{Policy: policy.LeadFirstContactSLA, Version: 2}
			if _, err := svcs[0].RolloutPage(ctx, &followupv1.RolloutPageInput{Rollout: ro, Limit: 500, Phase: followupv1.RolloutPhase_ROLLOUT_PHASE_STORE}, false, nil); err != nil {
				t.Fatal(err)
			}
			signalled, pages := int64(0), 0
			var pace *followupv1.RolloutPace
			for more := true; more; pages++ {
				in := &followupv1.RolloutPageInput{Rollout: ro, Limit: 100, Phase: followupv1.RolloutPhase_ROLLOUT_PHASE_WAKE}
				if c.handOn {
					in.Pace = pace
				}
				res, err := svcs[pages%len(svcs)].RolloutPage(ctx, in, false, nil)
				if err != nil {
					t.Fatal(err)
				}
				if w, p := res.GetPace().GetWindow(), res.GetPace(); w < 20 || w > 2000 || p.GetSignals() > w || len(p.GetTail()) > 50 {
					t.Fatalf("page %d handed on a window of %d and %d signals for %d, want 20–2,000, at most a window's, fifty at most", pages, w, len(p.GetTail()), p.GetSignals())
				}
				pace = res.GetPace()
				signalled += res.GetSignalled()
				more = res.GetNextAfterId() != ""
			}
			if signalled != n || len(wf.sent) != n {
				t.Fatalf("signalled %d (%d workflows) in %d pages, want %d", signalled, len(wf.sent), pages, n)
			}
			// The window, ten more signals before the next check, sixteen in
			// flight.
			if most := seen.widest() + 10 + 16; wf.maxAhead > most || wf.asked == 0 {
				t.Fatalf("the signals ran %d ahead of the workflows (%d checks), want at most %d", wf.maxAhead, wf.asked, most)
			}
			t.Logf("the signals ran at most %d ahead (%d checks)", wf.maxAhead, wf.asked)
			seen.check(t, n, c.handOn)
		})
	}
}

// seenPace is an app.RolloutObserver that keeps what it is told.
type seenPace struct {
	takenIn []time.Duration
	pages   []app.WakePagePace
}

func (s *seenPace) TakenIn(d time.Duration)     { s.takenIn = append(s.takenIn, d) }
func (s *seenPace) WakePage(p app.WakePagePace) { s.pages = append(s.pages, p) }
func (s *seenPace) StorePage(int64, int64)      {}

// widest is the widest window a page had.
func (s *seenPace) widest() int {
	w := 0
	for _, p := range s.pages {
		w = max(w, p.WindowFrom, p.WindowTo)
	}
	return w
}

// check: the observer heard of every page that signalled, each going on
// with the window the last one ended with and behind its last signals
// (handed on, after the first, when handed is true), and of every check
// that found its workflow settled, none slower than its page's slowest.
func (s *seenPace) check(t *testing.T, signalled int, handed bool) {
	t.Helper()
	total, checks, gaveUp := 0, 0, 0
	window, last := 100, 0 // rolloutAheadStart
	for i, p := range s.pages {
		if p.Signalled <= 0 || p.WindowFrom != window || p.WindowTo < 20 || p.WindowTo > 2000 || p.Took <= 0 || p.Waited > p.Checks {
			t.Fatalf("page %d: %+v, want it to go on from a window of %d", i, p, window)
		}
		if p.Carried != min(last, window) || p.Handed != (handed && i > 0) {
			t.Fatalf("page %d: %+v, want it to go on behind %d signals, handed on %v", i, p, min(last, window), handed && i > 0)
		}
		window, last = p.WindowTo, p.Carried+p.Signalled
		total, checks, gaveUp = total+p.Signalled, checks+p.Checks, gaveUp+p.GaveUp
	}
	if total != signalled || checks == 0 || len(s.takenIn) != checks-gaveUp {
		t.Fatalf("the observer heard of %d signals (want %d), %d checks, %d taken in, %d given up", total, signalled, checks, len(s.takenIn), gaveUp)
	}
	if a, b := slices.Max(s.takenIn), slices.Max(pageSlowest(s.pages)); a != b {
		t.Fatalf("the slowest check took %v, the pages' slowest %v", a, b)
	}
	t.Logf("%d pages; windows %d→%d; %d checks", len(s.pages), s.pages[0].WindowFrom, window, checks)
}

func pageSlowest(ps []app.WakePagePace) []time.Duration {
	var out []time.Duration
	for _, p := range ps {
		out = append(out, p.SlowestTakenIn)
	}
	return out
}
