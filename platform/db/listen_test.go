package db_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/testenv"
)

// A notification sent in a committed transaction reaches a listener on
// another connection — on another replica it would be another pool — and
// one sent in a transaction rolled back reaches nobody.
func TestNotifyReachesListenersOnCommitOnly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	gdb, err := db.Open(ctx, db.Config{URL: testenv.Postgres(t), MaxOpenConns: 4, MaxIdleConns: 4}, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	heard := make(chan string, 4)
	done := make(chan error, 1)
	go func() { done <- db.Listen(ctx, gdb, "closeloop test", func(p string) { heard <- p }, slog.Default()) }()
	send := func(payload string, commit bool) {
		t.Helper()
		err := gdb.Transaction(func(tx *gorm.DB) error {
			if err := db.Notify(tx, "closeloop test", payload); err != nil {
				return err
			}
			if !commit {
				return errors.New("roll back")
			}
			return nil
		})
		if commit && err != nil {
			t.Fatal(err)
		}
	}
	// The listener may not listen yet: send until it hears.
	deadline := time.Now().Add(10 * time.Second)
	for first := false; !first; {
		if time.Now().After(deadline) {
			t.Fatal("the listener never heard a notification")
		}
		send("hello", true)
		select {
		case <-heard:
			first = true
		case <-time.After(100 * time.Millisecond):
		}
	}
	for len(heard) > 0 {
		<-heard
	}
	send("rolled back", false)
	send("committed", true)
	select {
	case p := <-heard:
		if p != "committed" {
			t.Fatalf("heard %q first, want the committed notification only", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the committed notification was not heard")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Listen did not end with its context")
	}
}

// On SQLite there is no other replica: Notify does nothing and Listen waits
// for its context.
func TestNotifyAndListenOnSQLite(t *testing.T) {
	gdb, err := db.Open(context.Background(), db.Config{URL: testenv.SQLite(t), MaxOpenConns: 1, MaxIdleConns: 1}, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Notify(gdb, "closeloop test", "x"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := db.Listen(ctx, gdb, "closeloop test", func(string) { t.Error("heard on SQLite") }, slog.Default()); err != nil {
		t.Fatal(err)
	}
}
