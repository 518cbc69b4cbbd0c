package db_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/testenv"
)

// TestTransactionRetriesADeadlockVictim: two transactions lock two rows in
// opposite orders, so PostgreSQL aborts one of them (40P01); with
// db.Transaction both commit, and each ran at most twice. Without the
// retry one of them fails.
func TestTransactionRetriesADeadlockVictim(t *testing.T) {
	gdb, err := db.Open(context.Background(), db.Config{URL: testenv.Postgres(t), MaxOpenConns: 4, MaxIdleConns: 4}, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	if err := gdb.Exec("CREATE TABLE pair (id INT PRIMARY KEY, n INT NOT NULL); INSERT INTO pair VALUES (1, 0), (2, 0)").Error; err != nil {
		t.Fatal(err)
	}
	for _, retry := range []bool{false, true} {
		var mu sync.Mutex
		runs := map[int]int{}
		both := make(chan struct{})
		var once sync.Once
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, order := range [][2]int{{1, 2}, {2, 1}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				first := true
				fn := func(tx *gorm.DB) error {
					mu.Lock()
					runs[i]++
					mu.Unlock()
					if err := tx.Exec("UPDATE pair SET n = n + 1 WHERE id = ?", order[0]).Error; err != nil {
						return err
					}
					if first { // both hold their first row before either asks for its second
						first = false
						mu.Lock()
						runs[-1]++
						if runs[-1] == 2 {
							once.Do(func() { close(both) })
						}
						mu.Unlock()
						<-both
					}
					return tx.Exec("UPDATE pair SET n = n + 1 WHERE id = ?", order[1]).Error
				}
				if retry {
					errs[i] = db.Transaction(context.Background(), gdb, fn)
				} else {
					errs[i] = gdb.Transaction(fn)
				}
			}()
		}
		wg.Wait()
		failed := 0
		for _, err := range errs {
			if err != nil {
				failed++
				if !db.IsSerializationFailure(err) {
					t.Fatalf("retry=%v: %v, want a deadlock", retry, err)
				}
			}
		}
		switch {
		case !retry && failed != 1:
			t.Fatalf("test premise: without the retry %d of the two failed (%v), want the deadlock's victim", failed, errs)
		case retry && failed != 0:
			t.Fatalf("with the retry: %v", errors.Join(errs...))
		case retry && (runs[0] > 2 || runs[1] > 2 || runs[0]+runs[1] != 3):
			t.Fatalf("runs %v, want one of them run twice", runs)
		}
	}
}
