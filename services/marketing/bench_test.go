package marketing_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/winback"
)

// seedCustomers writes n customers of rep-bo (team south) straight into
// the customer database, lost 200 days ago when lost is set.
func seedCustomers(b testing.TB, gdb *gorm.DB, tag string, n int, lost bool) {
	now := time.Now().UTC()
	stage, lostAt := "transacting", (*time.Time)(nil)
	if lost {
		at := now.Add(-200 * 24 * time.Hour)
		stage, lostAt = "lost", &at
	}
	const batch = 1000
	for from := 0; from < n; from += batch {
		var sb strings.Builder
		sb.WriteString(`INSERT INTO customers (id, name, normalized_name, region, industry, owner_id, team, lifecycle_stage, value_class,
			version, created_by, created_at, updated_at, lost_at) VALUES `)
		args := make([]any, 0, batch*11)
		for i := from; i < min(from+batch, n); i++ {
			if i > from {
				sb.WriteString(",")
			}
			sb.WriteString("(?, ?, ?, 'south', 'steel', ?, 'south', ?, 'B', 1, 'bench', ?, ?, ?)")
			name := fmt.Sprintf("%s bench %07d", tag, i)
			args = append(args, uuid.NewSHA1(uuid.NameSpaceOID, []byte(name)).String(), name, strings.ToLower(name), repBo, stage, now, now, lostAt)
		}
		if err := gdb.Exec(sb.String(), args...).Error; err != nil {
			b.Fatal(err)
		}
	}
	if err := gdb.Exec("ANALYZE customers").Error; err != nil {
		b.Fatal(err)
	}
}

func percentiles(d []time.Duration) string {
	if len(d) == 0 {
		return "none"
	}
	return fmt.Sprintf("p50 %.0f ms, p95 %.0f ms, p99 %.0f ms, max %.0f ms (n=%d)", stacktest.Ms(stacktest.Percentile(d, 0.5)),
		stacktest.Ms(stacktest.Percentile(d, 0.95)), stacktest.Ms(stacktest.Percentile(d, 0.99)), stacktest.Ms(stacktest.Percentile(d, 1)), len(d))
}

// BenchmarkCampaignLaunch launches a one-touch campaign over a segment of
// BENCH_CUSTOMERS customers (default 100,000) on PostgreSQL and the
// Temporal dev server: the enrolment's time and rate (a sweep of pages, no
// workflow per customer: each page is read by the customer service,
// enrolled by the marketing service and its touches planned as action
// plans), then the evaluation's latency over those enrolments.
func BenchmarkCampaignLaunch(b *testing.B) {
	n := stacktest.EnvInt("BENCH_CUSTOMERS", 100_000)
	s := newStack(b, testenv.Postgres, true)
	seedCustomers(b, s.customer.App.Deps().DB, "launch", n, false)
	for range b.N {
		id := s.must(201, "POST", "/v1/campaigns", mktMo, campaign(map[string]any{"name": "Bench visit drive", "type": "visit_drive",
			"channels": []string{"visit"}, "segment": map[string]any{"owner_ids": []string{repBo}}}))["id"].(string)
		s.must(200, "POST", "/v1/campaigns/"+id+"/approve", mgrMona, nil)
		t0 := time.Now()
		s.must(200, "POST", "/v1/campaigns/"+id+"/launch", mktMo, nil)
		var launch map[string]any
		stacktest.Eventually(b, "the launch", 2*time.Hour, func() bool {
			launch, _ = s.must(200, "GET", "/v1/campaigns/"+id, mktMo, nil)["launch"].(map[string]any)
			return launch != nil
		})
		took := time.Since(t0)
		var touches, plans int64
		s.db.Table("touches").Where("campaign_id = ?", id).Count(&touches)
		s.customer.App.Deps().DB.Table("actions").Where("campaign_id = ?", id).Count(&plans)
		b.Logf("launch over %d customers: %.1f s, %.0f customers/s; enrolled %v, held out %v, skipped %v; touches %d, action plans %d",
			n, took.Seconds(), float64(n)/took.Seconds(), launch["enrolled"], launch["held_out"], launch["skipped"], touches, plans)
		var lat []time.Duration
		for i := 0; i < 200; i++ {
			t := time.Now()
			s.must(200, "GET", "/v1/campaigns/"+id+"/evaluation", mgrMona, nil)
			lat = append(lat, time.Since(t))
		}
		b.Logf("evaluation over %d enrolments: %s", n, percentiles(lat))
	}
}

// BenchmarkWinBackTouches launches a win-back campaign over
// BENCH_WINBACK lost customers (default 2,000): one WinBack workflow each.
// The cadence is set to a call BENCH_TOUCH_GAP_MINUTES after the enrolment
// (default 10) and a visit 30 days later, and winback.touch_spread to
// BENCH_SPREAD_MINUTES of calendar time (default 10; 0: no spread, every
// touch at its enrolment + gap, as fast as the launch enrolled). Each first
// touch is measured from its instant (enrolment + gap, moved by the
// customer's place in the spread) to its record; with
// BENCH_MEASURE_MINUTES set, only those due within that many minutes of the
// first (a 100,000-customer launch with a spread of hours), of
// BENCH_MEASURE_FROM_MINUTES after the first or, with
// BENCH_MEASURE_AFTER_LAUNCH=1, of the minute after the last enrolment's
// touch could first fall due (the full rate). A gap shorter than the launch
// lets touches fall due while it runs: on a busy machine they queue, and a
// window after it measures that backlog draining, not the touches' own
// lateness; give a gap longer than the launch to measure 100,000 waiting. (A second touch minutes
// later would wait for the contact pressure: at most one touch in three days
// by default.) It reports the workflows started per second, the rate at
// which touches fell due, the touch lateness and the heap per waiting
// cadence.
func BenchmarkWinBackTouches(b *testing.B) {
	n := stacktest.EnvInt("BENCH_WINBACK", 2_000)
	gap := time.Duration(stacktest.EnvInt("BENCH_TOUCH_GAP_MINUTES", 10)) * time.Minute
	spread := policy.Timer{Duration: policy.Duration(time.Duration(stacktest.EnvInt("BENCH_SPREAD_MINUTES", 10)) * time.Minute), Clock: policy.ClockCalendar}
	s := newStack(b, testenv.Postgres, true)
	seedCustomers(b, s.customer.App.Deps().DB, "winback", n, true)
	s.setPolicy("winback.cadence", map[string]any{
		"ladder": map[string]any{"clock": "calendar", "steps": []any{map[string]any{"after": fmt.Sprintf("%dm", int(gap.Minutes())), "action": "call"},
			map[string]any{"after": "30d", "action": "visit"}}}})
	s.setPolicy("winback.touch_spread", map[string]any{"timer": map[string]any{"duration": fmt.Sprintf("%dm", int(spread.Duration.D().Minutes())), "clock": "calendar"}})
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range b.N {
		id := s.must(201, "POST", "/v1/campaigns", mktMo, campaign(map[string]any{"name": "Bench win-back", "type": "winback",
			"segment": map[string]any{}, "holdout": 0}))["id"].(string)
		s.must(200, "POST", "/v1/campaigns/"+id+"/approve", mgrMona, nil)
		t0 := time.Now()
		s.must(200, "POST", "/v1/campaigns/"+id+"/launch", mktMo, nil)
		stacktest.Eventually(b, "the launch", 2*time.Hour, func() bool {
			return s.must(200, "GET", "/v1/campaigns/"+id, mktMo, nil)["launch"] != nil
		})
		started := time.Since(t0)
		b.Logf("win-back launch over %d lost customers: %.1f s, %.1f workflows started/s", n, started.Seconds(), float64(n)/started.Seconds())
		var mid runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&mid)
		b.Logf("heap with %d cadences waiting (worker, services and test in one process): +%.1f MiB, %.1f KiB per cadence",
			n, float64(mid.HeapInuse-before.HeapInuse)/(1<<20), float64(mid.HeapInuse-before.HeapInuse)/1024/float64(n))
		// Each first touch's instant; measured: those due within
		// BENCH_MEASURE_MINUTES of the first (0: all).
		var enrolments []struct {
			CustomerID string
			EnrolledAt time.Time
		}
		if err := s.db.Table("enrolments").Select("customer_id, enrolled_at").Where("campaign_id = ?", id).Scan(&enrolments).Error; err != nil {
			b.Fatal(err)
		}
		due := make(map[string]time.Time, len(enrolments))
		var first, last time.Time
		for _, e := range enrolments {
			at, err := winback.Spread(e.EnrolledAt.Add(gap), spread, winback.SpreadPlace(id, e.CustomerID), nil)
			if err != nil {
				b.Fatal(err)
			}
			due[e.CustomerID] = at
			if first.IsZero() || at.Before(first) {
				first = at
			}
			if at.After(last) {
				last = at
			}
		}
		// With BENCH_MEASURE_AFTER_LAUNCH=1 the window opens a minute after
		// the last enrolment's touch could first fall due: from then on
		// every enrolment contributes and touches fall due at the full rate
		// (n / spread) while the rest of the 100,000 wait.
		from := first.Add(time.Duration(stacktest.EnvInt("BENCH_MEASURE_FROM_MINUTES", 0)) * time.Minute)
		if stacktest.EnvInt("BENCH_MEASURE_AFTER_LAUNCH", 0) == 1 {
			var lastEnrolled time.Time
			for _, e := range enrolments {
				if e.EnrolledAt.After(lastEnrolled) {
					lastEnrolled = e.EnrolledAt
				}
			}
			if f := lastEnrolled.Add(gap + time.Minute); f.After(from) {
				from = f
			}
		}
		if w := time.Duration(stacktest.EnvInt("BENCH_MEASURE_MINUTES", 0)) * time.Minute; w > 0 && from.Add(w).Before(last) {
			last = from.Add(w)
		}
		measured := 0
		for _, at := range due {
			if inWindow(at, from, last) {
				measured++
			}
		}
		b.Logf("%d first touches fall due over %.0f s (%.1f a second; spread %s); measured: the %d due from %s to %s (%.2f a second)",
			len(due), lastDue(due).Sub(first).Seconds(), float64(len(due))/max(lastDue(due).Sub(first).Seconds(), 1), spread.Duration.D(),
			measured, from.Format(time.TimeOnly), last.Format(time.TimeOnly), float64(measured)/max(last.Sub(from).Seconds(), 1))
		time.Sleep(time.Until(last))
		var late []time.Duration
		stacktest.Eventually(b, "every measured first touch", 2*time.Hour, func() bool {
			var rows []struct {
				CustomerID string
				PlannedAt  time.Time
			}
			if err := s.db.Table("touches").Select("customer_id, planned_at").Where("campaign_id = ? AND step = 0", id).Scan(&rows).Error; err != nil {
				b.Fatal(err)
			}
			late = late[:0]
			for _, r := range rows {
				if at := due[r.CustomerID]; inWindow(at, from, last) {
					late = append(late, r.PlannedAt.Sub(at))
				}
			}
			if len(late) < measured {
				time.Sleep(5 * time.Second)
			}
			return len(late) == measured
		})
		b.Logf("touch lateness (recorded − due): %s", percentiles(late))
	}
}

// inWindow reports whether at lies in [from, to].
func inWindow(at, from, to time.Time) bool { return !at.Before(from) && !at.After(to) }

// lastDue is the latest of the instants.
func lastDue(due map[string]time.Time) time.Time {
	var last time.Time
	for _, at := range due {
		if at.After(last) {
			last = at
		}
	}
	return last
}
