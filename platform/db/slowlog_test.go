package db

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSlowStatementsAreLoggedWithoutTheirValues: every statement is slow
// here (threshold 1 ns); the log names the statement with its placeholders,
// never a bound value, and a long statement is cut.
func TestSlowStatementsAreLoggedWithoutTheirValues(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	gdb, err := Open(context.Background(), Config{URL: "sqlite://" + filepath.Join(t.TempDir(), "x.db"), MaxOpenConns: 1, MaxIdleConns: 1,
		ConnMaxLifetime: time.Hour, SlowQuery: time.Nanosecond}, log)
	if err != nil {
		t.Fatal(err)
	}
	type contact struct {
		ID    int
		Email string
	}
	if err := gdb.Exec("CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT)").Error; err != nil {
		t.Fatal(err)
	}
	const email = "ana.secret@example.com"
	if err := gdb.Exec("INSERT INTO contacts (id, email) VALUES (?, ?)", 1, email).Error; err != nil {
		t.Fatal(err)
	}
	if err := gdb.Create(&contact{ID: 2, Email: "bo." + email}).Error; err != nil {
		t.Fatal(err)
	}
	var got []contact
	if err := gdb.Where("email = ?", email).Find(&got).Error; err != nil || len(got) != 1 {
		t.Fatal(got, err)
	}
	// Scan runs its statement through gorm's trace recorder, not the
	// logger's params filter.
	var n int64
	if err := gdb.Raw("SELECT count(*) FROM contacts WHERE email = ?", "scan."+email).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	var rows []contact
	if err := gdb.Table("contacts").Where("email <> ?", "table."+email).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 5000)
	query := "SELECT count(*) FROM contacts WHERE email <> '" + long + "'"
	if err := gdb.Exec(query).Error; err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "slow SQL statement") || !strings.Contains(out, "INSERT INTO contacts (id, email) VALUES (?, ?)") {
		t.Fatalf("no slow statement with its placeholders logged:\n%s", out)
	}
	if strings.Contains(out, "secret") {
		t.Errorf("a bound value was logged:\n%s", out)
	}
	if strings.Contains(out, long) || !strings.Contains(out, fmt.Sprintf("… (%d characters)", len(query))) {
		t.Errorf("the long statement was not cut: %d bytes logged; %q", len(out), out[len(out)-200:])
	}
}
