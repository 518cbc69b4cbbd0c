package faults_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
)

// customerProc is the customer service as a child process on dsn, with a
// dev token issuer; Temporal and the follow-up service are addresses
// nothing listens on (a create needs neither).
func customerProc(t *testing.T, dsn string) (*proc, map[string]string) {
	t.Helper()
	iss, issuerURL := stacktest.StartIssuer(t)
	p := newProc(t, "customer", map[string]string{"DATABASE_URL": dsn, "OIDC_ISSUER_URL": issuerURL,
		"TEMPORAL_ADDRESS": "127.0.0.1:1", "FOLLOWUP_API_URL": "http://127.0.0.1:1"})
	return p, tokens(t, iss)
}

// register makes the dev users known to the customer service, as signing in
// does (only known users own customers).
func register(t *testing.T, p *proc, toks map[string]string) {
	t.Helper()
	for user, tok := range toks {
		if a := send("GET", p.Base+"/v1/abc/settings", tok, nil); a.Status != http.StatusOK {
			t.Fatalf("first request of %s: %s", user, a)
		}
	}
}

// customersNamed is how many customers the service lists under name.
func customersNamed(t *testing.T, p *proc, tok, name string) []any {
	t.Helper()
	return itemsNamed(t, p.Base+"/v1/customers?limit=100&q="+url.QueryEscape(name), tok, name)
}

// contactsNamed is how many contacts of customer are called name.
func contactsNamed(t *testing.T, p *proc, tok, customer, name string) []any {
	t.Helper()
	return itemsNamed(t, p.Base+"/v1/customers/"+customer+"/contacts", tok, name)
}

// itemsNamed lists listURL and keeps the items called name.
func itemsNamed(t *testing.T, listURL, tok, name string) []any {
	t.Helper()
	a := send("GET", listURL, tok, nil)
	if a.Status != http.StatusOK {
		t.Fatalf("list %s: %s", listURL, a)
	}
	var out []any
	for _, c := range a.JSON(t)["items"].([]any) {
		if c.(map[string]any)["name"] == name {
			out = append(out, c)
		}
	}
	return out
}

// TestCreateKilledMidRequest kills the customer service with SIGKILL in the
// middle of a create sent with an Idempotency-Key — at each fault point of
// platform/idem: the record and its key written but not committed
// (idem.before-commit), and both committed but the answer not sent
// (idem.after-commit) — starts it again, and retries with the same key and
// body, as a client that got no answer does: the retry answers 201 and there
// is exactly one record (a customer; a contact, which has no unique name to
// catch a second one); after the commit the retry is the stored answer
// (Idempotent-Replayed), and every later retry answers it byte for byte,
// also across a kill after a create that had answered. PostgreSQL and
// SQLite; about 40 seconds.
func TestCreateKilledMidRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a service process")
	}
	for _, b := range testenv.Backends {
		t.Run(b.Name, func(t *testing.T) {
			p, toks := customerProc(t, b.DSN(t))
			rep := toks[stacktest.RepAna]
			p.Start("")
			register(t, p, toks)
			cust := send("POST", p.Base+"/v1/customers", rep, stacktest.Company(map[string]any{"owner_id": stacktest.RepAna}))
			if cust.Status != http.StatusCreated {
				t.Fatalf("create a customer: %s", cust)
			}
			custID := cust.JSON(t)["id"].(string)
			p.Kill()

			type create struct {
				what, path string
				body       map[string]any
				count      func() []any
			}
			for _, fault := range []string{idem.BeforeCommit, idem.AfterCommit} {
				company := stacktest.Company(nil)
				contact := map[string]any{"name": fmt.Sprintf("Contact %s %d", fault, time.Now().UnixNano()), "email": "c@example.test"}
				for _, c := range []create{
					{"customer", "/v1/customers", company, func() []any { return customersNamed(t, p, rep, company["name"].(string)) }},
					{"contact", "/v1/customers/" + custID + "/contacts", contact, func() []any { return contactsNamed(t, p, rep, custID, contact["name"].(string)) }},
				} {
					key := fmt.Sprintf("kill-%s-%s-%d", c.what, fault, time.Now().UnixNano())
					p.Start(fault)
					first := send("POST", p.Base+c.path, rep, c.body, idem.Header, key)
					p.Died(30 * time.Second)
					if first.Err == nil {
						t.Fatalf("%s at %s: answered although the service died before answering: %s", c.what, fault, first)
					}
					p.Start("")
					n := len(c.count())
					switch {
					case fault == idem.BeforeCommit && n != 0:
						t.Fatalf("%s at %s: %d records after a kill before the commit, want none", c.what, fault, n)
					case fault == idem.AfterCommit && n != 1:
						t.Fatalf("%s at %s: %d records after a kill after the commit, want 1", c.what, fault, n)
					}
					retry := send("POST", p.Base+c.path, rep, c.body, idem.Header, key)
					if retry.Status != http.StatusCreated {
						t.Fatalf("%s at %s: the retry answered %s, want 201", c.what, fault, retry)
					}
					if replayed := retry.Header.Get("Idempotent-Replayed") == "true"; replayed != (fault == idem.AfterCommit) {
						t.Errorf("%s at %s: Idempotent-Replayed %v", c.what, fault, replayed)
					}
					if got := c.count(); len(got) != 1 || got[0].(map[string]any)["id"] != retry.JSON(t)["id"] {
						t.Fatalf("%s at %s: records %v after the retry %s, want exactly the retry's", c.what, fault, got, retry)
					}
					// Once answered, the answer stands, also across a kill.
					p.Kill()
					p.Start("")
					again := send("POST", p.Base+c.path, rep, c.body, idem.Header, key)
					if again.Status != http.StatusCreated || !bytes.Equal(again.Body, retry.Body) || len(c.count()) != 1 {
						t.Fatalf("%s at %s: a later retry answered %s, want the first answer %s and one record", c.what, fault, again, retry)
					}
					p.Kill()
				}
			}
		})
	}
}

// TestCreatesKilledAtAnyMoment sends keyed contact creates from four
// clients at once and kills the customer service with SIGKILL at a random
// moment, five times (10 to 400 ms into the load; forty with
// CLOSELOOP_CHAOS=1, make chaos): whatever each request was doing then, a
// retry with its key and body after the restart answers 201, the same
// answer byte for byte as the first when the first had answered, and each
// key made exactly one contact. FAULT_SEED=n repeats a run's timings.
// PostgreSQL and SQLite; about 50 seconds (about five minutes in make chaos).
func TestCreatesKilledAtAnyMoment(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a service process ten times")
	}
	rounds := 5
	if os.Getenv(chaosEnv) == "1" {
		rounds = 40
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FAULT_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("FAULT_SEED=%d", seed)
	rnd := rand.New(rand.NewPCG(seed, 20))
	for _, b := range testenv.Backends {
		t.Run(b.Name, func(t *testing.T) {
			p, toks := customerProc(t, b.DSN(t))
			rep := toks[stacktest.RepAna]
			p.Start("")
			register(t, p, toks)
			// Each round's contacts go to a customer of their own: a customer
			// lists at most 1,000 contacts, which a fast machine's rounds
			// together can exceed.
			newCustomer := func() string {
				cust := send("POST", p.Base+"/v1/customers", rep, stacktest.Company(map[string]any{"owner_id": stacktest.RepAna}))
				if cust.Status != http.StatusCreated {
					t.Fatalf("create a customer: %s", cust)
				}
				return "/v1/customers/" + cust.JSON(t)["id"].(string) + "/contacts"
			}

			type sent struct {
				key, path string
				body      map[string]any
				first     answer
			}
			var all []sent
			answered, unanswered := 0, 0
			for round := range rounds {
				path := newCustomer()
				var (
					mu   sync.Mutex
					wg   sync.WaitGroup
					stop = make(chan struct{})
				)
				for c := range 4 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := 0; ; i++ {
							select {
							case <-stop:
								return
							default:
							}
							key := fmt.Sprintf("any-%d-%d-%d-%d", seed, round, c, i)
							body := map[string]any{"name": "Contact " + key}
							a := send("POST", p.Base+path, rep, body, idem.Header, key)
							mu.Lock()
							all = append(all, sent{key, path, body, a})
							mu.Unlock()
							if a.Err != nil {
								return // the service died
							}
						}
					}()
				}
				time.Sleep(time.Duration(10+rnd.IntN(390)) * time.Millisecond)
				p.Kill()
				close(stop)
				wg.Wait()
				p.Start("")
			}
			for _, s := range all {
				if s.first.Err != nil {
					unanswered++
					continue
				}
				answered++
				if s.first.Status != http.StatusCreated {
					t.Fatalf("%s: answered %s before the kill, want 201", s.key, s.first)
				}
			}
			if unanswered == 0 {
				t.Fatal("no request was cut off by a kill")
			}
			// counts are the contacts by name, over every round's customer.
			contacts := func() map[string]int {
				counts := map[string]int{}
				listed := map[string]bool{}
				for _, s := range all {
					if listed[s.path] {
						continue
					}
					listed[s.path] = true
					a := send("GET", p.Base+s.path, rep, nil)
					if a.Status != http.StatusOK {
						t.Fatalf("list contacts: %s", a)
					}
					for _, c := range a.JSON(t)["items"].([]any) {
						counts[c.(map[string]any)["name"].(string)]++
					}
				}
				return counts
			}
			counts := contacts()
			for _, s := range all {
				if n := counts[s.body["name"].(string)]; n > 1 {
					t.Fatalf("%s made %d contacts before its retry", s.key, n)
				}
				retry := send("POST", p.Base+s.path, rep, s.body, idem.Header, s.key)
				if retry.Status != http.StatusCreated {
					t.Fatalf("%s: the retry answered %s, want 201", s.key, retry)
				}
				if s.first.Err == nil && !bytes.Equal(retry.Body, s.first.Body) {
					t.Fatalf("%s: the retry answered %s, not the first answer %s", s.key, retry, s.first)
				}
			}
			counts = contacts()
			for _, s := range all {
				if n := counts[s.body["name"].(string)]; n != 1 {
					t.Fatalf("%s: %d contacts after its retry, want exactly 1", s.key, n)
				}
			}
			if len(counts) != len(all) {
				t.Fatalf("%d contacts for %d keys", len(counts), len(all))
			}
			t.Logf("%d creates answered before a kill, %d cut off by one; one contact per key after the retries", answered, unanswered)
		})
	}
}
