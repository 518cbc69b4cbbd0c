package roundtrips_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/dbotel"
	"github.com/closeloop/closeloop/platform/testenv"
)

// TestStatementsAndTransactionsAreCounted checks the harness's SQL
// accounting on each database: every statement dbotel traces is counted for
// its service, statements of one db.Transaction share a number, two
// transactions get two, and a statement outside any gets none.
func TestStatementsAndTransactionsAreCounted(t *testing.T) {
	for _, b := range testenv.Backends {
		t.Run(b.Name, func(t *testing.T) {
			rec := &recorder{}
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			gdb, err := db.Open(context.Background(), db.Config{URL: b.DSN(t), MaxOpenConns: 2, MaxIdleConns: 1,
				ConnMaxLifetime: time.Hour, SlowQuery: time.Minute}, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if sqlDB, err := gdb.DB(); err == nil {
					_ = sqlDB.Close()
				}
			})
			if err := gdb.Use(dbotel.New(tp, noop.NewMeterProvider())); err != nil {
				t.Fatal(err)
			}
			txs := newTxLog()
			if err := txs.register(gdb); err != nil {
				t.Fatal(err)
			}

			ctx, root := tp.Tracer("test").Start(context.Background(), "action")
			exec := func(g *gorm.DB, sql string) {
				if err := g.Exec(sql).Error; err != nil {
					t.Fatalf("%s: %v", sql, err)
				}
			}
			exec(gdb.WithContext(ctx), "CREATE TABLE rt (id INTEGER)")
			for range 2 {
				if err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
					exec(tx, "INSERT INTO rt VALUES (1)")
					var n int64
					return tx.Table("rt").Count(&n).Error
				}); err != nil {
					t.Fatal(err)
				}
			}
			exec(gdb.WithContext(ctx), "INSERT INTO rt VALUES (2)")
			root.End()

			var sqlSpans []span
			all := rec.snapshot()
			for _, sp := range all {
				if sp.isSQL() {
					sqlSpans = append(sqlSpans, sp)
				}
			}
			if len(sqlSpans) != 6 {
				t.Fatalf("%d statement spans, want 6", len(sqlSpans))
			}
			var got []int
			for _, sp := range sqlSpans {
				got = append(got, txs.tx(sp.id))
			}
			if got[0] != 0 || got[5] != 0 || got[1] == 0 || got[1] != got[2] || got[3] == 0 || got[3] != got[4] || got[1] == got[3] {
				t.Fatalf("transactions of the statements %v; want none, a, a, b, b, none", got)
			}
			s := &stack{txs: txs}
			m := &measured{sqlBy: map[string]int{}, txBy: map[string]int{}, httpBy: map[string]int{}}
			s.countSpans(m, all)
			if m.c.sql != 6 || m.c.txs != 2 {
				t.Fatalf("counted %d statements in %d transactions, want 6 in 2", m.c.sql, m.c.txs)
			}
			if out := tree(all, txs); !strings.Contains(out, "action") || strings.Count(out, "[tx ") != 4 {
				t.Fatalf("tree:\n%s", out)
			}
		})
	}
}
