package customer_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
)

// BenchmarkImport measures, on PostgreSQL, what the web console's Import page
// does with a 100,000-row file: a preview (dry_run) and then the import,
// through POST /v1/customers/import in 5,000-row chunks sent one after the
// other. Every row has a tax id, phone, address and one contact with an
// email; one row in fifty repeats an earlier company (a duplicate). Reports
// rows/s of each pass (the target is at least 2,000 rows/s for the import).
// IMPORT_BENCH_ROWS sets another row count (a quick check: 10000). Run with
// `make bench`.
func BenchmarkImport(b *testing.B) {
	n := 100_000
	if v := os.Getenv("IMPORT_BENCH_ROWS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("IMPORT_BENCH_ROWS=%q", v)
		}
	}
	const chunk = 5000
	for i := 0; i < b.N; i++ {
		s := newStack(b, testenv.Postgres(b), stackOpts{})
		for _, o := range benchOwners { // owners must be known users
			if r := s.call("PUT", "/v1/users/"+o.owner, admin, map[string]any{"roles": []string{"rep"}, "teams": []string{o.team}}); r.status != http.StatusOK {
				b.Fatalf("register %s: %d %s", o.owner, r.status, r.body)
			}
		}
		rows := importBenchRows(n)
		var bytes int
		for _, dryRun := range []bool{true, false} {
			var sum struct{ New, Duplicate, Invalid int }
			var slowest time.Duration
			start := time.Now()
			for from := 0; from < n; from += chunk {
				body, err := json.Marshal(map[string]any{"rows": rows[from:min(from+chunk, n)], "dry_run": dryRun})
				if err != nil {
					b.Fatal(err)
				}
				bytes = max(bytes, len(body))
				t0 := time.Now()
				r := s.call("POST", "/v1/customers/import", admin, body, "Idempotency-Key", fmt.Sprintf("bench-%d-%v", from, dryRun))
				slowest = max(slowest, time.Since(t0))
				if r.status != http.StatusOK {
					b.Fatalf("chunk at %d (dry run %v): %d %.500s", from, dryRun, r.status, r.body)
				}
				var res importResult
				if err := json.Unmarshal(r.body, &res); err != nil {
					b.Fatal(err)
				}
				sum.New += res.Summary.New
				sum.Duplicate += res.Summary.Duplicate
				sum.Invalid += res.Summary.Invalid
			}
			elapsed := time.Since(start)
			// A dry run cannot see duplicates across chunks (nothing is
			// written), the import does: only the totals of the import are exact.
			wantDup := (n - 1) / 50
			if sum.Invalid != 0 || (!dryRun && (sum.Duplicate != wantDup || sum.New != n-wantDup)) {
				b.Fatalf("dry run %v: %+v, want %d duplicates", dryRun, sum, wantDup)
			}
			label := map[bool]string{true: "preview", false: "import"}[dryRun]
			b.ReportMetric(float64(n)/elapsed.Seconds(), label+"_rows/s")
			b.ReportMetric(ms(slowest), label+"_slowest_chunk_ms")
			b.Logf("%s: %d rows (%d new, %d duplicate) in %d-row chunks of up to %.1f MiB: %s = %.0f rows/s, slowest chunk %.0f ms",
				label, n, sum.New, sum.Duplicate, chunk, float64(bytes)/(1<<20), elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), ms(slowest))
		}
		var created int64
		if err := s.app.Deps().DB.Table("customers").Where("created_by = ?", admin).Count(&created).Error; err != nil {
			b.Fatal(err)
		}
		if want := int64(n - (n-1)/50); created != want {
			b.Fatalf("%d customers created, want %d", created, want)
		}
	}
}

// importBenchRows returns n import rows; row i (i > 0, i%50 == 0) repeats
// row i-25's company under another spelling of its name.
func importBenchRows(n int) []map[string]any {
	rows := make([]map[string]any, n)
	for i := range rows {
		k := i
		name := fmt.Sprintf("Import Trading Company %07d", k)
		if i > 0 && i%50 == 0 {
			k = i - 25
			name = fmt.Sprintf("IMPORT TRADING COMPANY %07d Ltd.", k)
		}
		o := benchOwners[k%len(benchOwners)]
		rows[i] = map[string]any{
			"external_ref": fmt.Sprintf("row %d", i+2), "name": name, "tax_id": fmt.Sprintf("91310000MA%08d", i),
			"region": benchRegions[k%len(benchRegions)], "industry": benchIndustries[(k/7)%len(benchIndustries)],
			"owner_id": o.owner, "team": o.team, "phone": fmt.Sprintf("+86 21 5555 %04d", k%10000),
			"address": fmt.Sprintf("%d Century Avenue, Pudong, Shanghai", k%999+1), "lifecycle_stage": "prospect",
			"annual_revenue": float64((k*7919)%100000) * 10, "years_of_business": k % 30,
			"contacts": []map[string]any{{"name": "Zhang Wei", "title": "Purchasing", "email": fmt.Sprintf("buyer%07d@import.example", i), "is_primary": true}},
		}
	}
	return rows
}
