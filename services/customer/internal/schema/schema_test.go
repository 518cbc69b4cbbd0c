package schema_test

import (
	"testing"

	"github.com/closeloop/closeloop/services/customer/internal/schema"
)

// TestHistoryIsOneContiguousList: the contexts' files together are versions
// 1..n, each once, in order — a version left out or taken twice by two
// contexts fails here, not on a customer's database.
func TestHistoryIsOneContiguousList(t *testing.T) {
	seen := map[int]string{}
	for i, m := range schema.Migrations {
		if m.Version != i+1 {
			t.Fatalf("position %d holds version %d (%q): want %d", i, m.Version, m.Name, i+1)
		}
		if prev, ok := seen[m.Version]; ok {
			t.Fatalf("version %d is declared twice: %q and %q", m.Version, prev, m.Name)
		}
		seen[m.Version] = m.Name
	}
	if got := len(schema.Customers) + len(schema.Engine) + len(schema.Visits) + len(schema.Actions) + len(schema.Care) + len(schema.Timeline) + len(schema.Winback) +
		len(schema.Standings); got != len(schema.Migrations) {
		t.Fatalf("the history holds %d migrations, the contexts %d", len(schema.Migrations), got)
	}
}
