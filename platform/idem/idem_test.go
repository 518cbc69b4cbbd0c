package idem_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/platform/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

type item struct {
	ID   string
	Name string
}

func setup(t *testing.T, dsn string) *gorm.DB {
	t.Helper()
	gdb, err := db.Open(context.Background(), db.Config{URL: dsn, MaxOpenConns: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s, err := gdb.DB(); err == nil {
			s.Close()
		}
	})
	_, err = migrate.Run(context.Background(), gdb, "t", []migrate.Migration{
		idem.Migration(1),
		{Version: 2, Name: "items", Up: migrate.SQL(`CREATE TABLE items (id VARCHAR(36) PRIMARY KEY, name VARCHAR(50) NOT NULL)`)},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return gdb
}

func TestDoReplaysAndRefusesReuse(t *testing.T) {
	for _, b := range testenv.Backends {
		t.Run(b.Name, func(t *testing.T) {
			gdb := setup(t, b.DSN(t))
			ctx := context.Background()
			var calls atomic.Int32
			create := func(id string) func(tx *gorm.DB) (int, any, error) {
				return func(tx *gorm.DB) (int, any, error) {
					calls.Add(1)
					it := item{ID: id, Name: "n"}
					return 201, it, tx.Create(&it).Error
				}
			}
			req := idem.Request{Key: "k", Principal: "p", Scope: "POST /items", Body: []byte(`{"a":1}`)}
			first, err := idem.Do(ctx, gdb, req, create("1"))
			if err != nil || first.Status != 201 || first.Replayed {
				t.Fatal(first, err)
			}
			again, err := idem.Do(ctx, gdb, req, create("2"))
			if err != nil || !again.Replayed || string(again.Body) != string(first.Body) || calls.Load() != 1 {
				t.Fatalf("replay: %+v %v calls=%d", again, err, calls.Load())
			}
			// Another principal may use the same key independently.
			other := req
			other.Principal = "q"
			if r, err := idem.Do(ctx, gdb, other, create("3")); err != nil || r.Replayed {
				t.Fatalf("keys are per principal: %+v %v", r, err)
			}
			reuse := req
			reuse.Body = []byte(`{"a":2}`)
			if _, err := idem.Do(ctx, gdb, reuse, create("4")); !errors.Is(err, idem.ErrKeyReused) {
				t.Fatalf("reuse: %v", err)
			}
			// A failed create stores nothing, so the retry runs again.
			failing := idem.Request{Key: "f", Principal: "p", Scope: "POST /items", Body: []byte(`{}`)}
			if _, err := idem.Do(ctx, gdb, failing, func(tx *gorm.DB) (int, any, error) {
				return 0, nil, apperr.Rule("nope", "refused")
			}); err == nil {
				t.Fatal("error not returned")
			}
			if r, err := idem.Do(ctx, gdb, failing, create("5")); err != nil || r.Replayed {
				t.Fatalf("retry after failure: %+v %v", r, err)
			}
			var n int64
			gdb.Model(&item{}).Count(&n)
			if n != 3 {
				t.Fatalf("%d items, want 3", n)
			}
			if err := idem.ValidateKey(string(make([]byte, 201))); err == nil {
				t.Fatal("over-long key accepted")
			}
		})
	}
}

func TestConcurrentSameKeyCreatesOnce(t *testing.T) {
	gdb := setup(t, testenv.Postgres(t))
	var wg sync.WaitGroup
	var calls atomic.Int32
	bodies := make([]string, 16)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := idem.Do(context.Background(), gdb, idem.Request{Key: "same", Principal: "p", Scope: "s", Body: []byte("b")},
				func(tx *gorm.DB) (int, any, error) {
					calls.Add(1)
					it := item{ID: "only", Name: "x"}
					return 201, it, tx.Create(&it).Error
				})
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			bodies[i] = string(r.Body)
		}()
	}
	wg.Wait()
	var it item
	for _, b := range bodies {
		if err := json.Unmarshal([]byte(b), &it); err != nil || it.ID != "only" {
			t.Fatalf("every request must get the one response: %q", b)
		}
	}
	var n int64
	gdb.Model(&item{}).Count(&n)
	if n != 1 {
		t.Fatalf("%d items", n)
	}
}
