package followup_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// BenchmarkReminderDelivery: 10,000 reminders fall due within one minute
// (BENCH_REMINDERS to change the number), to 200 people who take reminders
// by email, on PostgreSQL. Each reminder is written at its due instant as
// the engine's step transaction writes it (the message row; the follow-up
// is open), and the benchmark measures, per email, from the due instant to
// Mailpit's receipt: the notification path's latency under that load, with
// the duplicates (a Message-ID caught twice) and the losses. The engine's
// own rate of firing steps is measured elsewhere (docs/performance.md).
// Run with `make bench`.
func BenchmarkReminderDelivery(b *testing.B) {
	for range b.N {
		runDeliveryBench(b, benchReminders(), 0)
	}
}

// BenchmarkWebhookFanOut is BenchmarkReminderDelivery with ten webhook
// subscriptions to reminders besides the emails: every reminder is also
// posted, signed, to ten receivers.
func BenchmarkWebhookFanOut(b *testing.B) {
	for range b.N {
		runDeliveryBench(b, benchReminders(), 10)
	}
}

func benchReminders() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_REMINDERS")); err == nil && n > 0 {
		return n
	}
	return 10_000
}

// hookCounter counts webhook requests per webhook-id with their arrival.
type hookCounter struct {
	mu   sync.Mutex
	seen map[string][]time.Time
}

func (h *hookCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.seen[r.Header.Get("webhook-id")] = append(h.seen[r.Header.Get("webhook-id")], time.Now())
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func runDeliveryBench(b *testing.B, n, subscribers int) {
	b.Helper()
	s := newMailStackOn(b, testenv.Postgres(b), testenv.Postgres(b), map[string]string{"NOTIFY_POLL": "200ms", "NOTIFY_CONCURRENCY": "32"},
		"--max", strconv.Itoa(2*n))
	gdb := s.app.Deps().DB
	const people = 200
	now := time.Now().UTC()
	for p := range people {
		lang := "en"
		if p%2 == 1 {
			lang = "zh-Hans"
		}
		if err := gdb.Exec(`INSERT INTO notification_preferences (user_id, language, time_zone, email, email_kinds, updated_at)
			VALUES (?, ?, 'Asia/Shanghai', ?, 'reminder,escalation,handover,winback', ?)`,
			benchRep(p), lang, benchRep(p)+"@closeloop.test", now).Error; err != nil {
			b.Fatal(err)
		}
	}
	hooks := &hookCounter{seen: map[string][]time.Time{}}
	srv := httptest.NewServer(hooks)
	b.Cleanup(srv.Close)
	for i := range subscribers {
		if r := s.call("POST", "/v1/webhooks", admin, map[string]any{"url": fmt.Sprintf("%s/hook/%d", srv.URL, i), "event_kinds": []string{"reminder"}}); r.status != http.StatusCreated {
			b.Fatalf("subscribe: %d %s", r.status, r.body)
		}
	}
	// The follow-ups, open, and their reminders' due instants spread over a minute.
	type reminder struct {
		id, followUp, owner string
		due                 time.Time
	}
	start := time.Now().Add(10 * time.Second).UTC()
	rs := make([]reminder, n)
	for i := range rs {
		rs[i] = reminder{id: uuid.NewString(), followUp: uuid.NewString(), owner: benchRep(i % people),
			due: start.Add(time.Duration(int64(i) * int64(time.Minute) / int64(n)))}
	}
	if err := gdb.Transaction(func(tx *gorm.DB) error {
		for _, r := range rs {
			if err := tx.Exec(`INSERT INTO follow_ups (id, kind, customer_id, owner_id, team, territory, title, state, anchor_at, due_at, workflow_id, opened_by, created_at, updated_at)
				VALUES (?, 'callback', ?, ?, 'north', 'north', 'bench reminder', 'open', ?, ?, ?, 'bench', ?, ?)`,
				r.followUp, uuid.NewString(), r.owner, r.due.Add(-time.Hour), r.due, "bench:"+r.followUp, now, now).Error; err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	// Four writers put each reminder's message in at its due instant.
	var late atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				r := rs[i]
				time.Sleep(time.Until(r.due))
				if d := time.Since(r.due); int64(d) > late.Load() {
					late.Store(int64(d))
				}
				if err := gdb.Exec(`INSERT INTO notifications (id, follow_up_id, kind, title, customer_id, team, owner_id, level, action, user_id, urgent, due_at, at, actor)
					VALUES (?, ?, 'callback', 'bench reminder', 'c', 'north', ?, 1, 'remind', ?, false, ?, ?, 'workflow')`,
					r.id, r.followUp, r.owner, r.owner, r.due, r.due).Error; err != nil {
					b.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Minute)
	var caught []testenv.MailpitSummary
	for time.Now().Before(deadline) {
		var err error
		if caught, err = s.mail.Messages(ctx); err != nil {
			b.Fatal(err)
		}
		hooks.mu.Lock()
		posted := len(hooks.seen)
		hooks.mu.Unlock()
		distinct := map[string]bool{}
		for _, m := range caught {
			distinct[m.MessageID] = true
		}
		if len(distinct) >= n && posted >= n*subscribers {
			break
		}
		time.Sleep(2 * time.Second)
	}
	b.StopTimer()

	// Latency per email: Mailpit's receipt minus the due instant.
	due := map[string]time.Time{}
	for _, r := range rs {
		due["<"+domain.DeliveryID(r.id, domain.ChannelEmail, r.owner)+"@closeloop.test>"] = r.due
		due[domain.DeliveryID(r.id, domain.ChannelEmail, r.owner)+"@closeloop.test"] = r.due
	}
	var lat []time.Duration
	seen := map[string]int{}
	dups := 0
	for _, m := range caught {
		seen[m.MessageID]++
		if seen[m.MessageID] > 1 {
			dups++
			continue
		}
		if d, ok := due[m.MessageID]; ok {
			lat = append(lat, m.Created.Sub(d))
		}
	}
	report(b, "email", n, lat, dups)
	if subscribers > 0 {
		var hl []time.Duration
		hdups := 0
		hooks.mu.Lock()
		byID := map[string]time.Time{}
		for _, r := range rs {
			for _, sub := range s.subscriptionIDs(b) {
				byID[domain.DeliveryID(r.id, domain.ChannelWebhook, sub)] = r.due
			}
		}
		for id, at := range hooks.seen {
			hdups += len(at) - 1
			if d, ok := byID[id]; ok {
				hl = append(hl, at[0].Sub(d))
			}
		}
		hooks.mu.Unlock()
		report(b, "webhook", n*subscribers, hl, hdups)
	}
	b.Logf("the writers were at most %v late on a due instant", time.Duration(late.Load()).Round(time.Millisecond))
	var outcomes []struct {
		Channel, Status, LastError string
		Attempts, N                int
	}
	if err := gdb.Raw(`SELECT channel, status, attempts, last_error, COUNT(*) AS n FROM deliveries
		GROUP BY channel, status, attempts, last_error ORDER BY channel, status, attempts`).Scan(&outcomes).Error; err != nil {
		b.Fatal(err)
	}
	for _, o := range outcomes {
		b.Logf("deliveries: %s %s after %d attempts: %d %s", o.Channel, o.Status, o.Attempts, o.N, o.LastError)
	}
}

func (s *mailStack) subscriptionIDs(b *testing.B) []string {
	var ids []string
	if err := s.app.Deps().DB.Table("webhook_subscriptions").Order("id").Pluck("id", &ids).Error; err != nil {
		b.Fatal(err)
	}
	return ids
}

func report(b *testing.B, channel string, want int, lat []time.Duration, dups int) {
	b.Helper()
	slices.Sort(lat)
	if len(lat) == 0 {
		b.Fatalf("%s: nothing delivered", channel)
	}
	p := func(q float64) time.Duration { return percentile(lat, q) }
	b.Logf("%s: %d of %d delivered, %d lost, %d duplicates; due→delivered p50 %v, p95 %v, p99 %v, max %v",
		channel, len(lat), want, want-len(lat), dups, p(0.50).Round(time.Millisecond), p(0.95).Round(time.Millisecond),
		p(0.99).Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
	b.ReportMetric(float64(p(0.99).Milliseconds()), channel+"-p99-ms")
	b.ReportMetric(float64(want-len(lat)), channel+"-lost")
	b.ReportMetric(float64(dups), channel+"-duplicates")
}

func benchRep(i int) string { return fmt.Sprintf("bench-rep-%03d", i) }
