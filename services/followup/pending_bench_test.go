package followup_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/timestamppb"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/testenv"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/internal/stacktest"
)

// BenchmarkPendingTimers is issue 19's "100,000 pending timers": FollowUp
// workflows waiting on their due instant while 1,000 others fall due a
// minute. For each level of BENCH_PENDING (default 1000,10000; the issue's
// third level with BENCH_PENDING=1000,10000,100000) it tops the waiting
// population up to the level — follow-ups due a month on, so none fires
// during the run — then opens the window's follow-ups (BENCH_DUE_PER_MINUTE,
// default 1,000, for BENCH_WINDOW, default 2m), due one after the other at
// that rate from a moment after the last of them is stored, and measures:
//
//   - lateness: when each window follow-up's first ladder step (remind) was
//     stored by the follow-up service, minus its due instant — end to end:
//     the timer, the workflow task, the policy resolution and the record;
//   - memory: the Go heap and resident memory of this process (the
//     follow-up service, which hosts the FollowUp workflows on its queue as
//     followup.Start starts them, with the workflow worker and the customer
//     service; TEMPORAL_WORKFLOW_CACHE_SIZE bounds the process's workflow
//     cache), and the Temporal server's resident
//     memory (the dev server testenv started, or CLOSELOOP_TEMPORAL_PID);
//   - database size: the follow-up service's database, and on the
//     production-shaped server its persistence and visibility databases.
//
// Both policies run on the calendar clock for the run (a 2-hour first-contact
// deadline, a ladder reminding at the deadline) so that due instants do not
// wait for business hours. Run with `make bench`, or alone:
//
//	BENCH_PENDING=1000,10000,100000 go test -run '^$' -bench PendingTimers -benchtime 1x -timeout 180m -v ./services/followup/
func BenchmarkPendingTimers(b *testing.B) {
	levels := pendingLevels(b)
	perMinute := stacktest.EnvInt("BENCH_DUE_PER_MINUTE", 1000)
	window, err := time.ParseDuration(envOr("BENCH_WINDOW", "2m"))
	if err != nil || window < time.Minute {
		b.Fatalf("BENCH_WINDOW=%q: want a duration of at least 1m", os.Getenv("BENCH_WINDOW"))
	}
	hostPort, namespace := testenv.Temporal(b)
	for range b.N {
		s := newStack(b, testenv.Postgres(b), stackOpts{temporal: hostPort, namespace: namespace})
		startWorker(b, hostPort, namespace, nil)
		const sla = 2 * time.Hour
		for path, value := range map[string]map[string]any{
			"lead.first_contact_sla": timerValue("2h", "calendar"),
			"lead.escalation_ladder": {"ladder": map[string]any{"clock": "calendar", "steps": []map[string]any{
				{"after": "0m", "action": "remind"}, {"after": "4h", "action": "escalate_manager"}}}},
		} {
			if r := s.call("POST", "/v1/policies/"+path+"/versions", analyst, map[string]any{"value": value, "reason": "benchmark"}); r.status != http.StatusCreated {
				b.Fatalf("policy %s: %d %s", path, r.status, r.body)
			}
		}
		p := &pendingRun{b: b, tc: s.app.Deps().Temporal, db: s.app.Deps().DB, sla: sla}
		waiting := s.create(mgrMia, company(map[string]any{"owner_id": repAna, "team": "north"}))
		b.Logf("[%s] pending timers: levels %v, %d falling due a minute for %s per level; workflow cache %s",
			testenv.TemporalBackend(), levels, perMinute, window, envOr("TEMPORAL_WORKFLOW_CACHE_SIZE", "10000 (default)"))
		var rows []string
		for _, level := range levels {
			// Top the waiting population up: due a month on, a minute apart
			// at most, so none falls due during the run.
			add := level - p.started
			month := time.Now().Add(30 * 24 * time.Hour)
			t0 := time.Now()
			// In chunks, each stored before the next starts: follow-ups are
			// opened as a deployment opens them, not as a backlog of
			// thousands of first workflow tasks, which the dev server works
			// through ever slower (at 90,000 queued: 10 a second).
			for from := p.started; from < level; from += pendingChunk {
				n := min(pendingChunk, level-from)
				p.open(waiting, n, func(i int) time.Time { return month.Add(time.Duration(from+i) * time.Second) })
				p.waitStored(waiting, from+n, time.Hour)
			}
			p.started = level
			topUp := time.Since(t0)
			rate := float64(add) / topUp.Seconds()

			// The window: opened at once, due at perMinute from a moment
			// after the last is stored (the top-up's rate says when).
			n := int(float64(perMinute) * window.Minutes())
			customer := s.create(mgrMia, company(map[string]any{"owner_id": repAna, "team": "north"}))
			first := time.Now().Add(time.Duration(1.5*float64(n)/rate*float64(time.Second)) + 30*time.Second)
			every := time.Minute / time.Duration(perMinute)
			p.open(customer, n, func(i int) time.Time { return first.Add(time.Duration(i) * every) })
			p.waitStored(customer, n, time.Hour)
			if ahead := time.Until(first); ahead < 0 {
				b.Logf("WARNING: the window's follow-ups were stored %s after the first due instant; lateness includes that", -ahead)
			}
			heap := stacktest.HeapInUse()
			p.peakRSS, p.peakServer = stacktest.ProcRSS(os.Getpid()), stacktest.ProcRSS(testenv.TemporalServerPID())
			late := p.lateness(customer, n, time.Until(first)+window+30*time.Minute)
			heap, rss, server := max(heap, stacktest.HeapInUse()), p.peakRSS, p.peakServer
			dbSize, temporalDB := p.sizes()
			p50, p99, worst := percentile(late, 0.50), percentile(late, 0.99), percentile(late, 1)
			verdict := "PASS"
			if p99 >= time.Second {
				verdict = "MISS"
			}
			b.Logf("[%s] %d waiting (+%d opened in %s, %.1f/s): %d due at %d/min, lateness p50 %.0f ms, p99 %.0f ms (target < 1 s) %s, max %.0f ms; "+
				"process heap %s, RSS %s; Temporal server RSS %s (peaks of the window); follow-up database %s%s",
				testenv.TemporalBackend(), p.started, add, topUp.Round(time.Second), rate, n, perMinute, ms(p50), ms(p99), verdict, ms(worst),
				stacktest.MiB(heap), stacktest.MiB(rss), stacktest.MiB(server), stacktest.MiB(dbSize), temporalDB)
			rows = append(rows, fmt.Sprintf("| %d | %.1f/s | %.0f / %.0f / %.0f ms %s | %s / %s | %s | %s%s |",
				level, rate, ms(p50), ms(p99), ms(worst), verdict, stacktest.MiB(heap), stacktest.MiB(rss), stacktest.MiB(server), stacktest.MiB(dbSize), temporalDB))
			b.ReportMetric(ms(p99), fmt.Sprintf("late-p99-ms@%d", level))
			b.ReportMetric(float64(rss)/(1<<20), fmt.Sprintf("rss-MiB@%d", level))
		}
		b.Logf("| waiting | opened at | lateness p50 / p99 / max | process heap / RSS | Temporal server RSS | databases |\n| ---: | ---: | --- | --- | ---: | --- |\n%s",
			strings.Join(rows, "\n"))
	}
}

// pendingChunk is how many follow-ups the top-up starts before it waits
// for them to be stored.
const pendingChunk = 500

// pendingRun opens FollowUp workflows and reads what they stored.
type pendingRun struct {
	b       *testing.B
	tc      client.Client
	db      *gorm.DB
	sla     time.Duration
	started int // follow-ups opened so far on the waiting customer
	// peakRSS and peakServer: the resident memory of this process and of the
	// Temporal server, highest seen while lateness waits.
	peakRSS, peakServer uint64
}

// open starts n first-contact follow-ups on customer, the i-th due at due(i)
// (its anchor the SLA earlier), 16 at a time, in order of their due instant.
func (p *pendingRun) open(customer string, n int, due func(i int) time.Time) {
	sixteenAtOnce(p.b, n, func(i int) error {
		id := uuid.NewString()
		_, err := p.tc.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: wfc.FollowUpWorkflowID(id), TaskQueue: followupc.TaskQueue},
			wfc.WorkflowFollowUp, &followupv1.FollowUpSpec{Id: id, Kind: "first_contact", CustomerId: customer, OwnerId: repAna,
				Team: "north", Territory: "north", AnchorAt: timestamppb.New(due(i).Add(-p.sla)), OpenedBy: "bench"})
		return err
	})
	if p.b.Failed() {
		p.b.FailNow()
	}
}

// waitStored waits until customer has n open follow-ups stored.
func (p *pendingRun) waitStored(customer string, n int, limit time.Duration) {
	start := time.Now()
	for {
		var c int64
		if err := p.db.Raw("SELECT COUNT(*) FROM follow_ups WHERE customer_id = ? AND closed_at IS NULL", customer).Scan(&c).Error; err != nil {
			p.b.Fatal(err)
		}
		if c >= int64(n) {
			return
		}
		if time.Since(start) > limit {
			p.b.Fatalf("only %d of %d follow-ups stored after %s", c, n, limit)
		}
		time.Sleep(time.Second)
	}
}

// lateness waits until every one of customer's n follow-ups has stored its
// first step and returns each one's store instant minus its due instant.
func (p *pendingRun) lateness(customer string, n int, limit time.Duration) []time.Duration {
	start := time.Now()
	for {
		var c int64
		if err := p.db.Raw("SELECT COUNT(*) FROM follow_ups WHERE customer_id = ? AND escalation_level >= 1", customer).Scan(&c).Error; err != nil {
			p.b.Fatal(err)
		}
		p.peakRSS, p.peakServer = max(p.peakRSS, stacktest.ProcRSS(os.Getpid())), max(p.peakServer, stacktest.ProcRSS(testenv.TemporalServerPID()))
		if c >= int64(n) {
			break
		}
		if time.Since(start) > limit {
			p.b.Fatalf("only %d of %d follow-ups reminded after %s", c, n, limit)
		}
		time.Sleep(2 * time.Second)
	}
	var rows []struct{ DueAt, UpdatedAt time.Time }
	if err := p.db.Raw("SELECT due_at, updated_at FROM follow_ups WHERE customer_id = ? AND escalation_level >= 1", customer).Scan(&rows).Error; err != nil {
		p.b.Fatal(err)
	}
	late := make([]time.Duration, len(rows))
	for i, r := range rows {
		late[i] = r.UpdatedAt.Sub(r.DueAt)
	}
	return late
}

// sizes returns the follow-up service's database size and, on the
// production-shaped server, its two databases' sizes as text.
func (p *pendingRun) sizes() (uint64, string) {
	var own int64
	if err := p.db.Raw("SELECT pg_database_size(current_database())").Scan(&own).Error; err != nil {
		p.b.Fatal(err)
	}
	if testenv.TemporalBackend() != "postgres" {
		return uint64(own), ""
	}
	db := envOr("TEMPORAL_PG_DB", "closeloop_temporal")
	var persistence, visibility int64
	p.db.Raw("SELECT COALESCE((SELECT pg_database_size(datname) FROM pg_database WHERE datname = ?), 0)", db).Scan(&persistence)
	p.db.Raw("SELECT COALESCE((SELECT pg_database_size(datname) FROM pg_database WHERE datname = ?), 0)", db+"_visibility").Scan(&visibility)
	return uint64(own), fmt.Sprintf("; Temporal's %s / visibility %s", stacktest.MiB(uint64(persistence)), stacktest.MiB(uint64(visibility)))
}

// pendingLevels reads BENCH_PENDING: increasing counts of waiting follow-ups.
func pendingLevels(b *testing.B) []int {
	var out []int
	for _, f := range strings.Split(envOr("BENCH_PENDING", "1000,10000"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 || (len(out) > 0 && n <= out[len(out)-1]) {
			b.Fatalf("BENCH_PENDING=%q: want increasing positive counts such as 1000,10000,100000", os.Getenv("BENCH_PENDING"))
		}
		out = append(out, n)
	}
	return out
}

func envOr(name, def string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return def
}
