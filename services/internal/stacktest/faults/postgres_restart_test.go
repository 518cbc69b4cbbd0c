package faults_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
)

// write is one keyed create of the load, with its answer.
type write struct {
	key          string
	body         map[string]any
	sent, got    time.Time
	answer       answer
	answeredFrom string // "up", "down" or "recovered": the database when it was sent
}

// ready is an answer of /readyz.
type ready struct {
	Code   int
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func (r ready) String() string { return fmt.Sprintf("%d %s %v", r.Code, r.Status, r.Checks) }

// notReady reports whether r is 503 not_ready with the check down
// unavailable and every other check ok.
func (r ready) notReady(down string) bool {
	if r.Code != http.StatusServiceUnavailable || r.Status != "not_ready" || r.Checks[down] != "unavailable" {
		return false
	}
	for name, v := range r.Checks {
		if name != down && v != "ok" {
			return false
		}
	}
	return true
}

// readiness asks base's /readyz.
func readiness(base string) ready {
	a := send("GET", base+"/readyz", "", nil)
	if a.Err != nil {
		return ready{Status: a.Err.Error()}
	}
	r := ready{Code: a.Status}
	_ = json.Unmarshal(a.Body, &r)
	return r
}

// TestPostgresRestartUnderLoad crashes the PostgreSQL server under the
// customer and follow-up services — immediate shutdown, as a node failure
// or an OOM kill of the postmaster — while four clients create customers
// with Idempotency-Keys, keeps it down for three seconds and starts it
// again (crash recovery), without restarting the services: /readyz answers
// 503 not_ready, naming the database, within seconds of the crash and all
// through the outage, and 200 ready again once PostgreSQL is back; writes
// succeed again without a restart of the services; every write answered
// 201 is there afterwards (none lost by the crash), and every write that
// got no 201 — refused while the database was down, or cut off by the
// crash — makes exactly one customer when retried with its key. The
// server is a cluster of the test's own (the shared one is left alone).
// About 30 seconds.
func TestPostgresRestartUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and crashes a PostgreSQL cluster of its own")
	}
	pg := testenv.StartPostgresServer(t)
	hostPort, namespace := testenv.Temporal(t)
	s := stacktest.New(t, pg.Database(t), stacktest.Opts{Temporal: hostPort, Namespace: namespace, FollowUpDSN: pg.Database(t)})
	rep := s.Tokens[stacktest.RepAna]
	bases := map[string]string{"customer": s.Base, "followup": s.FollowUpBase}
	for name, base := range bases {
		if r := readiness(base); r.Code != http.StatusOK {
			t.Fatalf("%s not ready before the crash: %s", name, r)
		}
	}

	var (
		mu     sync.Mutex
		writes []*write
		phase  = "up"
		stop   = make(chan struct{})
		wg     sync.WaitGroup
		seq    int
	)
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				seq++
				w := &write{key: fmt.Sprintf("pg-restart-%d-%d", c, seq), body: stacktest.Company(nil), sent: time.Now(), answeredFrom: phase}
				mu.Unlock()
				a := send("POST", s.Base+"/v1/customers", rep, w.body, idem.Header, w.key)
				mu.Lock()
				w.answer, w.got = a, time.Now()
				writes = append(writes, w)
				mu.Unlock()
				if a.Status != http.StatusCreated {
					time.Sleep(50 * time.Millisecond) // a client backing off
				}
			}
		}()
	}
	setPhase := func(p string) {
		mu.Lock()
		phase = p
		mu.Unlock()
	}

	time.Sleep(time.Second)
	crashed := time.Now()
	pg.Crash(t)
	setPhase("down")
	// Not ready within seconds, naming the database, and all through the outage.
	for name, base := range bases {
		stacktest.Eventually(t, name+" not ready after the crash", 10*time.Second, func() bool {
			return readiness(base).Code == http.StatusServiceUnavailable
		})
		if r := readiness(base); !r.notReady("database") {
			t.Errorf("%s during the outage: %s, want 503 not_ready with the database unavailable", name, r)
		}
	}
	notReadyAfter := time.Since(crashed)
	for time.Since(crashed) < 3*time.Second {
		for name, base := range bases {
			if r := readiness(base); !r.notReady("database") {
				t.Errorf("%s while PostgreSQL is down: %s, want 503 not_ready with the database unavailable", name, r)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}

	restarted := time.Now()
	pg.Start(t)
	setPhase("recovered")
	for name, base := range bases {
		stacktest.Eventually(t, name+" ready after the restart", 30*time.Second, func() bool {
			return readiness(base).Code == http.StatusOK
		})
	}
	readyAfter := time.Since(restarted)
	// Writes succeed again, without a restart of the services.
	stacktest.Eventually(t, "a write answered 201 after the restart", 30*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, w := range writes {
			if w.sent.After(restarted) && w.answer.Status == http.StatusCreated {
				return true
			}
		}
		return false
	})
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()

	// Every write answered 201 is there; every other one makes exactly one
	// customer when retried with its key.
	stats := map[string]map[string]int{}
	var firstOK time.Time
	var slowestDown time.Duration // of the writes refused while PostgreSQL was down
	for _, w := range writes {
		if w.answeredFrom == "down" && w.got.Before(restarted) {
			slowestDown = max(slowestDown, w.got.Sub(w.sent))
		}
		what := "no answer"
		if w.answer.Err == nil {
			what = fmt.Sprint(w.answer.Status)
		}
		if stats[w.answeredFrom] == nil {
			stats[w.answeredFrom] = map[string]int{}
		}
		stats[w.answeredFrom][what]++
		if w.answeredFrom == "recovered" && w.answer.Status == http.StatusCreated && (firstOK.IsZero() || w.got.Before(firstOK)) {
			firstOK = w.got
		}
		name := w.body["name"].(string)
		if w.answer.Status == http.StatusCreated {
			id := w.answer.JSON(t)["id"].(string)
			if r := call(s, "GET", "/v1/customers/"+id, stacktest.RepAna, nil); r.Status != http.StatusOK || r.JSON(t)["name"] != name {
				t.Errorf("write %s answered 201 (%s) but its customer is gone: %s", w.key, id, r)
			}
			continue
		}
		if w.answer.Err == nil && w.answer.Status < 500 {
			t.Errorf("write %s answered %s: a client error for a valid create", w.key, w.answer)
		}
		if r := call(s, "POST", "/v1/customers", stacktest.RepAna, w.body, idem.Header, w.key); r.Status != http.StatusCreated {
			t.Errorf("the retry of %s answered %s", w.key, r)
		}
	}
	// One customer per key, whichever way it was made.
	for _, w := range writes {
		name := w.body["name"].(string)
		r := call(s, "GET", "/v1/customers?limit=10&q="+url.QueryEscape(name), stacktest.RepAna, nil)
		n := 0
		for _, c := range r.JSON(t)["items"].([]any) {
			if c.(map[string]any)["name"] == name {
				n++
			}
		}
		if n != 1 {
			t.Errorf("write %s (%s): %d customers named %q, want 1", w.key, w.answer, n, name)
		}
	}
	t.Logf("answers by the database's state when sent: %v; the slowest answer while it was down %v; not ready %v after the crash; ready %v after the restart; first write answered 201 %v after the restart",
		stats, slowestDown.Round(time.Millisecond), notReadyAfter.Round(time.Millisecond), readyAfter.Round(time.Millisecond), firstOK.Sub(restarted).Round(time.Millisecond))
	for _, w := range writes {
		if w.answeredFrom == "down" && w.answer.Status == http.StatusCreated && w.got.Before(restarted) {
			t.Errorf("write %s, sent while PostgreSQL was down, answered 201 before it was back", w.key)
		}
	}
}
