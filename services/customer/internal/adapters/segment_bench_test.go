package adapters_test

import (
	"context"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// BenchmarkSegmentWalk walks whole segments of 100,000 customers on
// PostgreSQL a page of 500 at a time, as a campaign launch and the win-back
// sweep do, and reports the slowest page: lost customers lost before a cut
// (one stage: along ix_customers_stage_id), class A or B customers in care
// stages out of touch for 30 days (several stages: along the primary key),
// and every live customer. Run with
//
//	go test -run '^$' -bench BenchmarkSegmentWalk ./services/customer/internal/adapters/
func BenchmarkSegmentWalk(b *testing.B) {
	ctx := context.Background()
	gdb, store := openStore(b, testenv.Postgres(b))
	const n = 100_000
	// A fifth of the customers in each stage, a third of each class, a
	// fifth deleted of every tenth, contacts and losses spread over a year.
	if err := gdb.Exec(`INSERT INTO customers (id, name, normalized_name, region, industry, owner_id, team, lifecycle_stage, value_class,
			created_by, created_at, updated_at, care_from, last_contact_at, lost_at, lost_reason, deleted_at)
		SELECT gen_random_uuid()::text, 'c' || i, 'c' || i, 'north', 'steel', 'rep-ana', 'north',
			(ARRAY['lead','prospect','transacting','service','lost'])[1 + i % 5], (ARRAY['A','B','C'])[1 + i % 3],
			'bench', now(), now(), now(),
			CASE WHEN i % 7 = 0 THEN NULL ELSE now() - (i % 365) * interval '1 day' END,
			CASE WHEN i % 5 = 4 THEN now() - (i % 360) * interval '1 day' END,
			CASE WHEN i % 5 = 4 THEN 'price' ELSE '' END,
			CASE WHEN i % 50 = 0 THEN now() END
		FROM generate_series(1, ?) AS i`, n).Error; err != nil {
		b.Fatal(err)
	}
	if err := gdb.Exec("ANALYZE customers").Error; err != nil {
		b.Fatal(err)
	}
	asOf := time.Now().UTC()
	cut := asOf.Add(-90 * 24 * time.Hour)
	segments := map[string]domain.SegmentFilter{
		"lost before the cut": {LifecycleStages: []string{"lost"}, LostBefore: &cut, MinDaysSinceContact: -1, MaxDaysSinceContact: -1},
		"A/B in care, 30 days out of touch": {ValueClasses: []string{"A", "B"}, LifecycleStages: []string{"transacting", "service"},
			MinDaysSinceContact: 30, MaxDaysSinceContact: -1},
		"everyone": {MinDaysSinceContact: -1, MaxDaysSinceContact: -1},
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for name, f := range segments {
			var worst, total time.Duration
			pages, customers := 0, 0
			after := ""
			for {
				p, err := domain.PlanSegment(domain.SegmentRequest{Filter: f, AfterID: after, Limit: 500, AsOf: &asOf})
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				rows, _, err := store.SegmentPage(ctx, p)
				took := time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				worst, total, pages = max(worst, took), total+took, pages+1
				if len(rows) <= p.Limit {
					customers += len(rows)
					break
				}
				customers += p.Limit
				after = rows[p.Limit-1].ID
			}
			b.Logf("%s: %d customers in %d pages, %.1f ms a page on average, %.1f ms the slowest", name, customers, pages,
				float64(total.Microseconds())/1000/float64(pages), float64(worst.Microseconds())/1000)
		}
	}
}
