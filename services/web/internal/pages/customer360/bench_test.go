package customer360_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/webtest"
)

// BenchmarkCustomer360 measures the customer page of a customer with 1,000
// timeline entries on the real services (PostgreSQL, Temporal dev server):
// 40 visits and 20 leads with 60 contacts on them (their workflows write the
// sales timeline), the rest logged actions of every department, all made
// through the APIs. It reports p50 and p95 of GET /customers/{id} (the
// page with the newest 50 entries) and of the timeline part for an older
// page, as the console's client sees them over loopback: the console's
// time with its calls to the services, plus the test proxy in front of it.
// The target is p95 < 100 ms. The services run in the same process as the
// console and share its CPUs, so the figures are an upper bound.
//
//	make bench, or:
//	go test ./services/web/internal/pages/customer360 -run '^$' -bench Customer360 -benchtime 1x -v
//
// C360_BENCH_ENTRIES (default 1000) and C360_BENCH_REQUESTS (default 200)
// make a quick run smaller.
func BenchmarkCustomer360(b *testing.B) {
	entries := envInt(b, "C360_BENCH_ENTRIES", 1000)
	requests := envInt(b, "C360_BENCH_REQUESTS", 200)
	s := webtest.New(b, webtest.Opts{})
	id := seedTimeline(b, s, entries)
	rep := s.Client(b, "rep-ana")
	page := "/customers/" + id
	n := countEntries(b, rep, page)
	first := rep.Get(page)
	m := olderRE.FindStringSubmatch(first.Body)
	if first.Status != http.StatusOK || m == nil || len(entryRE.FindAllString(timelineOf(first.Body), -1)) != 50 {
		b.Fatalf("the page of a customer with %d entries (%d): no full first page with an older link", n, first.Status)
	}
	older := html.UnescapeString(m[2])
	for range 10 { // warm the connections and the databases' caches
		rep.Get(page)
	}
	b.ResetTimer()
	for range b.N {
		pageLat := webtest.TimeRequests(b, requests, func() webtest.Page { return rep.Get(page) })
		partLat := webtest.TimeRequests(b, requests, func() webtest.Page { return rep.Get(older, "HX-Request", "true") })
		b.ReportMetric(stacktest.Ms(stacktest.Percentile(pageLat, .5)), "page-p50-ms")
		b.ReportMetric(stacktest.Ms(stacktest.Percentile(pageLat, .95)), "page-p95-ms")
		b.ReportMetric(stacktest.Ms(stacktest.Percentile(partLat, .5)), "older-p50-ms")
		b.ReportMetric(stacktest.Ms(stacktest.Percentile(partLat, .95)), "older-p95-ms")
		b.Logf("customer with %d timeline entries, %d requests each: page p50 %.1f ms p95 %.1f ms max %.1f ms; older part p50 %.1f ms p95 %.1f ms",
			n, requests, stacktest.Ms(stacktest.Percentile(pageLat, .5)), stacktest.Ms(stacktest.Percentile(pageLat, .95)),
			stacktest.Ms(stacktest.Percentile(pageLat, 1)), stacktest.Ms(stacktest.Percentile(partLat, .5)), stacktest.Ms(stacktest.Percentile(partLat, .95)))
	}
}

func envInt(b *testing.B, name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 {
			b.Fatalf("%s=%q: a number of at least 100", name, v)
		}
		return n
	}
	return def
}

// countEntries walks the whole timeline of the page, older part after
// older part, and counts its entries.
func countEntries(b *testing.B, c *webtest.Client, page string) int {
	p := c.Get(page)
	n := len(entryRE.FindAllString(timelineOf(p.Body), -1))
	for m := olderRE.FindStringSubmatch(p.Body); m != nil; m = olderRE.FindStringSubmatch(p.Body) {
		if p = c.Get(html.UnescapeString(m[2]), "HX-Request", "true"); p.Status != http.StatusOK {
			b.Fatalf("an older part: %d\n%s", p.Status, p.Body)
		}
		n += len(entryRE.FindAllString(p.Body, -1))
	}
	return n
}

// seedTimeline makes a customer of rep-ana's with about total timeline
// entries through the APIs (counting one for its creation, a stage change)
// and returns its id.
func seedTimeline(b *testing.B, s *webtest.Stack, total int) string {
	t0 := time.Now()
	id := s.Create("rep-ana", stacktest.Company(map[string]any{"name": fmt.Sprintf("Bench 360 %d", time.Now().UnixNano()),
		"contacts": []map[string]any{{"name": "Wang Fang", "is_primary": true}}}))
	n := 1 // its creation is a stage change on the customer's timeline
	// 40 visits on coming working days.
	visits := 0
	for d := 1; visits < 40 && d < 120; d++ {
		day := time.Now().UTC().AddDate(0, 0, d)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		r := s.Call("POST", "/v1/customers/"+id+"/visits", "rep-ana", map[string]any{"day": day.Format("2006-01-02"),
			"department": []string{"sales", "service", "marketing"}[visits%3], "purpose": fmt.Sprintf("visit %d", visits)})
		switch r.Status {
		case http.StatusCreated:
			visits++
		case http.StatusUnprocessableEntity: // a holiday in the customer's calendar
		default:
			b.Fatalf("visit on %s: %d %s", day.Format("2006-01-02"), r.Status, r.Body)
		}
	}
	n += visits
	// 20 leads on the customer, three contacts logged on each: the sales
	// timeline has created, assigned, first contact and contacts.
	var leads []string
	for i := range 20 {
		l := s.SalesCall(b, http.StatusCreated, "POST", "/v1/leads", "rep-ana", map[string]any{"source": "referral", "customer_id": id,
			"interest": fmt.Sprintf("site %d", i)})
		leads = append(leads, l["id"].(string))
	}
	for _, l := range leads {
		for j := range 3 {
			s.SalesCall(b, http.StatusOK, "POST", "/v1/leads/"+l+"/contacts", "rep-ana", map[string]any{"channel": "call", "summary": fmt.Sprintf("call %d", j)})
		}
	}
	sales := 0
	for cursor := ""; ; {
		page := s.SalesCall(b, http.StatusOK, "GET", "/v1/timeline?limit=200&customer_id="+id+"&cursor="+url.QueryEscape(cursor), "rep-ana", nil)
		items, _ := page["items"].([]any)
		sales += len(items)
		if cursor, _ = page["next_cursor"].(string); cursor == "" {
			break
		}
	}
	n += sales
	// The rest: action logs of every department over the last 29 days.
	actions := total - n
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= actions {
					return
				}
				r := s.Call("POST", "/v1/actions", "rep-ana", map[string]any{"kind": "log", "department": []string{"sales", "service", "marketing"}[i%3],
					"category": []string{"briefing_report", "materials_submission"}[i%2], "title": fmt.Sprintf("Bench action %04d", i),
					"summary": "seeded for the benchmark", "customer_ids": []string{id},
					"done_at": time.Now().Add(-time.Duration(i) * 29 * 24 * time.Hour / time.Duration(actions+1))})
				if r.Status != http.StatusCreated {
					b.Errorf("action %d: %d %s", i, r.Status, r.Body)
					return
				}
			}
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	b.Logf("seeded a customer with %d visits, %d sales events and %d actions in %s", visits, sales, actions,
		time.Since(t0).Round(time.Millisecond))
	return id
}
