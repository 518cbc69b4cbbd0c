package adapters_test

import (
	"context"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// TestPutStandingsKeepsTheMostRecent: a standing replaces the stored one
// when it is at least as recent, on each database; an older one, written
// by a sync that read before a newer one was stored, changes nothing.
func TestPutStandingsKeepsTheMostRecent(t *testing.T) {
	for _, b := range testenv.Backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			_, store := openStore(t, b.DSN(t))
			id := "0190a000-0000-7000-8000-000000000001"
			at := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
			avg := 2.0
			put := func(level string, asOf time.Time) int {
				t.Helper()
				n, err := store.PutStandings(ctx, []domain.Standing{{CustomerID: id, Level: level, CSATAverage: &avg, CSATCount: 1, AsOf: asOf}}, at)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			level := func() string {
				t.Helper()
				m, err := store.Standings(ctx, []string{id})
				if err != nil {
					t.Fatal(err)
				}
				return m[id].Level
			}
			if n := put("at_risk", at); n != 1 || level() != "at_risk" {
				t.Fatalf("first standing: %d written, level %q", n, level())
			}
			if n := put("loyal", at.Add(-time.Second)); n != 0 || level() != "at_risk" {
				t.Fatalf("an older standing: %d written, level %q, want at_risk kept", n, level())
			}
			if n := put("neutral", at); n != 1 || level() != "neutral" {
				t.Fatalf("a standing as recent: %d written, level %q, want neutral", n, level())
			}
			if n := put("loyal", at.Add(time.Second)); n != 1 || level() != "loyal" {
				t.Fatalf("a newer standing: %d written, level %q, want loyal", n, level())
			}
			m, err := store.Standings(ctx, []string{id, "0190a000-0000-7000-8000-000000000002"})
			if err != nil || len(m) != 1 || *m[id].CSATAverage != 2 || !m[id].AsOf.Equal(at.Add(time.Second)) {
				t.Fatalf("stored %+v, %v", m, err)
			}
		})
	}
}
