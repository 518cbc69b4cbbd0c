package adapters_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/customer/internal/actions/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/actions/domain"
)

// TestVisitTouchNoted runs on each database: a visit touch's plan is
// stored with its visit request, which PendingVisitTouches lists oldest
// first; noting its visit stores the visit link in place of the request
// and the summary, once; the plan reads back linked (GetAll, Get), is no
// longer pending, and stays one item of its customer's history.
func TestVisitTouchNoted(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			s := adapters.NewStore(openDB(t, b.DSN(t)))
			now := time.Now().UTC().Truncate(time.Microsecond)
			plan, err := domain.NewTouchPlan(domain.Touch{ID: "camp-1/c1/0", CampaignID: "camp-1", CampaignName: "Drive", CustomerID: cust1,
				Action: "visit", AssigneeID: "rep-ana", DueAt: now.Add(72 * time.Hour)}, "", now)
			if err != nil {
				t.Fatal(err)
			}
			older, err := domain.NewTouchPlan(domain.Touch{ID: "camp-1/c1/1", CampaignID: "camp-1", CampaignName: "Drive", CustomerID: cust1, Step: 1,
				Action: "visit", AssigneeID: "rep-ana", DueAt: now.Add(72 * time.Hour), PlannedAt: now.Add(-time.Hour)}, "", now)
			if err != nil {
				t.Fatal(err)
			}
			call, _ := domain.NewTouchPlan(domain.Touch{ID: "camp-1/c1/2", CampaignID: "camp-1", CustomerID: cust1, Action: "call",
				AssigneeID: "rep-ana", DueAt: now.Add(72 * time.Hour)}, "", now)
			for range 2 {
				if err := s.CreateAllOnce(ctx, []domain.Action{plan, older, call}); err != nil {
					t.Fatal(err)
				}
			}
			pending := func() []string {
				t.Helper()
				as, err := s.PendingVisitTouches(ctx, 10)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, a := range as {
					if !a.AwaitsVisit() {
						t.Fatalf("pending %+v", a)
					}
					ids = append(ids, a.ID)
				}
				return ids
			}
			if got := pending(); len(got) != 2 || got[0] != older.ID || got[1] != plan.ID {
				t.Fatalf("pending %v, want the older request first", got)
			}
			note := func() error {
				_, err := s.Update(ctx, plan.ID, func(a *domain.Action) error {
					return a.NoteVisit(domain.TouchVisit{VisitID: "0190a000-0000-7000-8000-0000000000f1", Sentence: "Visit booked."}, now)
				})
				return err
			}
			if err := note(); err != nil {
				t.Fatal(err)
			}
			if err := note(); !errors.Is(err, domain.ErrVisitSettled) {
				t.Fatalf("noted twice: %v", err)
			}
			all, err := s.GetAll(ctx, []string{plan.ID, "0190a000-0000-7000-8000-000000000000"})
			if err != nil {
				t.Fatal(err)
			}
			got := all[plan.ID]
			if len(all) != 1 || got.VisitID() != "0190a000-0000-7000-8000-0000000000f1" || got.AwaitsVisit() || len(got.Links) != 2 ||
				got.Summary != plan.Summary+" Visit booked." {
				t.Fatalf("stored %+v", all)
			}
			if one, err := s.Get(ctx, plan.ID); err != nil || one.VisitID() != got.VisitID() {
				t.Fatalf("get %+v %v", one, err)
			}
			if got := pending(); len(got) != 1 || got[0] != older.ID {
				t.Fatalf("pending after the answer: %v", got)
			}
			page, err := s.History(ctx, domain.HistoryQuery{CustomerID: cust1, Limit: 10})
			if err != nil || len(page) != 3 {
				t.Fatalf("history %+v %v", page, err)
			}
		})
	}
}

// BenchmarkPendingVisitTouches: the next batch of 200 visit requests out of
// 100,000 waiting (a visit drive over 100,000 customers, its pages planned
// 500 at a time, each page's requests made at one instant), on PostgreSQL.
//
//	go test ./services/customer/internal/actions/adapters -run '^$' -bench PendingVisitTouches
func BenchmarkPendingVisitTouches(b *testing.B) {
	ctx := context.Background()
	gdb := openDB(b, testenv.Postgres(b))
	s := adapters.NewStore(gdb)
	const n = 100000
	base := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for _, q := range []string{
		`INSERT INTO actions (id, kind, status, category, department, actor_id, title, summary, planned_for, occurred_at, created_at, updated_at, campaign_id)
		 SELECT 'a-' || g, 'plan', 'planned', 'visit_reception', 'marketing', 'rep-ana', 'Drive: visit', 'Campaign touch: visit.', ?, ?, ?, ?, 'camp-1'
		 FROM generate_series(1, ?) g`,
		`INSERT INTO action_links (action_id, subject_type, subject_id, customer_id, occurred_at)
		 SELECT 'a-' || g, 'customer', 'c-' || g, 'c-' || g, ? FROM generate_series(1, ?) g`,
		`INSERT INTO action_links (action_id, subject_type, subject_id, customer_id, occurred_at)
		 SELECT 'a-' || g, 'visit_request', to_char((?::timestamptz + (g / 500) * interval '1 second') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'c-' || g, ?
		 FROM generate_series(1, ?) g`,
	} {
		var args []any
		switch {
		case strings.Contains(q, "INSERT INTO actions"):
			args = []any{base.Add(720 * time.Hour), base.Add(720 * time.Hour), base, base, n}
		case strings.Contains(q, "'customer'"):
			args = []any{base.Add(720 * time.Hour), n}
		default:
			args = []any{base, base.Add(720 * time.Hour), n}
		}
		if err := gdb.Exec(q, args...).Error; err != nil {
			b.Fatal(err)
		}
	}
	gdb.Exec("ANALYZE action_links")
	b.ResetTimer()
	for range b.N {
		as, err := s.PendingVisitTouches(ctx, 200)
		if err != nil || len(as) != 200 || !as[0].AwaitsVisit() {
			b.Fatalf("%d %v", len(as), err)
		}
	}
}
