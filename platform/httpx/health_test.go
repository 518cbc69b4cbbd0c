package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

type readyBody struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func getReady(t *testing.T, e *gin.Engine) (int, readyBody) {
	t.Helper()
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
	var b readyBody
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Errorf("/readyz body %q: %v", w.Body, err)
	}
	return w.Code, b
}

// Twenty probes at once run each readiness check once, and probes within the
// next second take that result without running the checks again; after a
// second the checks run again. A failing check's result is kept the same
// way. Draining is reported at once, whatever is kept. (The test keeps the
// result longer than a second and ages it by hand, so that a busy machine
// cannot make it flaky.)
func TestReadyzRunsEachCheckOncePerSecond(t *testing.T) {
	var dbCalls, temporalCalls atomic.Int32
	var failing atomic.Bool
	h := NewHealth(
		Check{Name: "database", Fn: func(ctx context.Context) error {
			dbCalls.Add(1)
			time.Sleep(100 * time.Millisecond) // the others arrive while it runs
			return nil
		}},
		Check{Name: "temporal", Fn: func(ctx context.Context) error {
			temporalCalls.Add(1)
			if failing.Load() {
				return errors.New("unreachable")
			}
			return nil
		}},
	)
	if h.cacheFor != time.Second || ReadyCacheFor != time.Second {
		t.Fatalf("readiness kept for %s, want 1s", h.cacheFor)
	}
	h.cacheFor = time.Minute
	expire := func() {
		h.mu.Lock()
		h.lastAt = h.lastAt.Add(-time.Hour)
		h.mu.Unlock()
	}
	e := NewEngine(EngineOptions{})
	h.Register(e)

	const n = 20
	var wg sync.WaitGroup
	start := make(chan struct{})
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			codes[i], _ = getReady(t, e)
		}()
	}
	close(start)
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Errorf("probe %d: %d", i, c)
		}
	}
	if d, tm := dbCalls.Load(), temporalCalls.Load(); d != 1 || tm != 1 {
		t.Fatalf("%d concurrent probes ran the database check %d times and the Temporal check %d times, want once each", n, d, tm)
	}
	// Within the second: the kept result, with its checks.
	if code, b := getReady(t, e); code != http.StatusOK || b.Status != "ready" || b.Checks["database"] != "ok" || dbCalls.Load() != 1 {
		t.Fatalf("a probe within the second: %d %+v, database checked %d times", code, b, dbCalls.Load())
	}

	// After the second, the checks run again; a failure is kept as well.
	failing.Store(true)
	expire()
	for range 5 {
		if code, b := getReady(t, e); code != http.StatusServiceUnavailable || b.Status != "not_ready" || b.Checks["temporal"] != "unavailable" {
			t.Fatalf("with Temporal failing: %d %+v", code, b)
		}
	}
	if d, tm := dbCalls.Load(), temporalCalls.Load(); d != 2 || tm != 2 {
		t.Fatalf("after the second the checks ran %d and %d times in all, want twice each", d, tm)
	}

	// Draining shows at once, though a result is kept.
	failing.Store(false)
	expire()
	if code, _ := getReady(t, e); code != http.StatusOK {
		t.Fatalf("recovered: %d", code)
	}
	h.Drain()
	if code, b := getReady(t, e); code != http.StatusServiceUnavailable || b.Status != "draining" {
		t.Fatalf("draining within the second: %d %+v", code, b)
	}
}

// The checks run on their own deadline: the first prober giving up does
// not fail the others waiting for the same evaluation.
func TestReadyzSurvivesTheFirstProberLeaving(t *testing.T) {
	release := make(chan struct{})
	h := NewHealth(Check{Name: "database", Fn: func(ctx context.Context) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}})
	e := NewEngine(EngineOptions{})
	h.Register(e)
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan int, 1)
	go func() {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil).WithContext(ctx))
		first <- w.Code
	}()
	time.Sleep(50 * time.Millisecond)
	second := make(chan int, 1)
	go func() {
		code, _ := getReady(t, e)
		second <- code
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	time.Sleep(50 * time.Millisecond)
	close(release)
	if code := <-second; code != http.StatusOK {
		t.Fatalf("the second prober got %d after the first left", code)
	}
	<-first
}
