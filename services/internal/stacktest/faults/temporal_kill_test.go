package faults_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/workflows/policy"
)

// followUpSteps counts a follow-up's history by action, and its messages
// by action and audience.
func followUpSteps(t *testing.T, s *stacktest.Stack, id string) (fu map[string]any, events, told map[string]int) {
	t.Helper()
	r := call(s, "GET", "/v1/follow-ups/"+id, stacktest.Admin, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("follow-up %s: %s", id, r)
	}
	fu, events, told = r.JSON(t), map[string]int{}, map[string]int{}
	es, _ := fu["events"].([]any)
	for _, e := range es {
		events[e.(map[string]any)["action"].(string)]++
	}
	ts, _ := fu["told"].([]any)
	for _, m := range ts {
		m := m.(map[string]any)
		to, _ := m["user_id"].(string)
		if mo, _ := m["managers_of"].(string); mo != "" {
			to = "managers of " + mo
		}
		told[m["action"].(string)+" → "+to]++
	}
	return fu, events, told
}

// TestTemporalKilledWithEscalationsPending kills the Temporal server with
// SIGKILL while three call-back follow-ups wait for their deadline — a dev
// server of the test's own, on a database file, as a Temporal whose
// persistence survives the crash of its process — keeps it down while their
// first escalation step (the reminder) falls due, and starts it again on
// the same port and file; the services and the worker are not restarted.
// While Temporal is down the services answer /readyz 503 not_ready naming
// Temporal, and opening a follow-up (which starts a workflow) answers 503
// and opens nothing; its retry with the same Idempotency-Key after the
// restart opens it once. After the restart the reminder that fell due
// during the outage is carried out at once, the escalation to the managers
// follows on time, and each step happens exactly once, in each follow-up's
// history and in the messages it sent (each audience told once).
//
// The ladder is set through the API to remind at the deadline and escalate
// to the managers a minute later (the least the policy's minute steps
// allow), and the follow-ups are due 40 seconds after they open. About two
// minutes. PostgreSQL (the engine's side is what is tested).
func TestTemporalKilledWithEscalationsPending(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about two minutes")
	}
	srv := testenv.StartTemporalServer(t)
	const ns = testenv.TemporalNamespace
	s := stacktest.New(t, testenv.Postgres(t), stacktest.Opts{Temporal: srv.HostPort(), Namespace: ns})
	stacktest.StartWorker(t, srv.HostPort(), ns, nil)
	if r := call(s, "POST", "/v1/policies/"+policy.CallbackEscalation+"/versions", stacktest.Analyst, map[string]any{"value": map[string]any{
		"ladder": map[string]any{"clock": "calendar", "steps": []map[string]any{
			{"after": "0m", "action": "remind"}, {"after": "1m", "action": "escalate_manager"}}}}, "reason": "Temporal-kill test"}); r.Status != http.StatusCreated {
		t.Fatalf("ladder: %s", r)
	}
	cust := s.Create(stacktest.MgrMia, stacktest.Company(map[string]any{"owner_id": stacktest.RepAna, "team": "north"}))
	due := time.Now().Add(40 * time.Second).UTC().Truncate(time.Second)
	open := func(key string, due time.Time) answer {
		return call(s, "POST", "/v1/follow-ups", stacktest.MgrMia, map[string]any{"kind": policy.KindCallback, "customer_id": cust,
			"title": "call back " + key, "due_at": due.Format(time.RFC3339)}, idem.Header, key)
	}
	var ids []string
	for i := range 3 {
		r := open(fmt.Sprintf("temporal-kill-%d-%d", time.Now().UnixNano(), i), due)
		if r.Status != http.StatusCreated {
			t.Fatalf("open a follow-up: %s", r)
		}
		ids = append(ids, r.JSON(t)["id"].(string))
	}

	// SIGKILL, before the deadline.
	srv.Kill(t)
	killed := time.Now()
	if killed.After(due.Add(-3 * time.Second)) {
		t.Fatalf("opening three follow-ups took until %v, too close to their deadline %v to kill Temporal before it", killed, due)
	}
	for name, base := range map[string]string{"customer": s.Base, "followup": s.FollowUpBase} {
		stacktest.Eventually(t, name+" not ready with Temporal down", 15*time.Second, func() bool {
			return readiness(base).notReady("temporal")
		})
	}
	lateKey, lateDue := fmt.Sprintf("temporal-kill-late-%d", time.Now().UnixNano()), due.Add(time.Hour)
	refusing := time.Now()
	if r := open(lateKey, lateDue); r.Status != http.StatusServiceUnavailable {
		t.Errorf("opening a follow-up with Temporal down answered %s, want 503", r)
	}
	refusedIn := time.Since(refusing)
	// The reminders fall due while Temporal is down: nothing happens.
	time.Sleep(time.Until(due.Add(10 * time.Second)))
	for _, id := range ids {
		if _, ev, _ := followUpSteps(t, s, id); ev["remind"] != 0 {
			t.Fatalf("follow-up %s reminded with Temporal down: %v", id, ev)
		}
	}
	restarted := time.Now()
	srv.Start(t)
	up := time.Since(restarted)
	for name, base := range map[string]string{"customer": s.Base, "followup": s.FollowUpBase} {
		stacktest.Eventually(t, name+" ready after the restart", 30*time.Second, func() bool {
			return readiness(base).Code == http.StatusOK
		})
	}
	r := open(lateKey, lateDue)
	if r.Status != http.StatusCreated && r.Status != http.StatusAccepted {
		t.Fatalf("the retry of the open refused while Temporal was down: %s", r)
	}
	late := r.JSON(t)["id"].(string)

	// The reminder that fell due during the outage, at once; the escalation
	// a minute after the deadline.
	stacktest.Eventually(t, "the reminders after the restart", time.Minute, func() bool {
		for _, id := range ids {
			if _, ev, _ := followUpSteps(t, s, id); ev["remind"] != 1 {
				return false
			}
		}
		return true
	})
	reminded := time.Since(restarted)
	stacktest.Eventually(t, "the escalations", time.Until(due.Add(time.Minute))+time.Minute, func() bool {
		for _, id := range ids {
			if _, ev, _ := followUpSteps(t, s, id); ev["escalate_manager"] != 1 {
				return false
			}
		}
		return true
	})
	time.Sleep(5 * time.Second) // anything repeated would show up now
	wantTold := map[string]int{"remind → " + stacktest.RepAna: 1, "escalate_manager → " + stacktest.RepAna: 1, "escalate_manager → managers of north": 1}
	for _, id := range ids {
		fu, ev, told := followUpSteps(t, s, id)
		if len(ev) != 3 || ev["opened"] != 1 || ev["remind"] != 1 || ev["escalate_manager"] != 1 {
			t.Errorf("follow-up %s history %v, want opened, remind and escalate_manager once each", id, ev)
		}
		if fu["escalation_level"] != float64(2) || fu["state"] != "escalated" {
			t.Errorf("follow-up %s at level %v, %v; want 2, escalated", id, fu["escalation_level"], fu["state"])
		}
		if len(told) != len(wantTold) {
			t.Errorf("follow-up %s told %v, want %v", id, told, wantTold)
		}
		for k, n := range wantTold {
			if told[k] != n {
				t.Errorf("follow-up %s told %v, want %v", id, told, wantTold)
				break
			}
		}
		for _, e := range fu["events"].([]any) {
			e := e.(map[string]any)
			if e["action"] != "remind" {
				continue
			}
			at, _ := time.Parse(time.RFC3339Nano, e["at"].(string))
			if at.Before(restarted) {
				t.Errorf("follow-up %s reminded at %v, before Temporal was back (%v)", id, at, restarted)
			}
		}
	}
	// The follow-up opened by the retry is there once, and only once.
	r = call(s, "GET", "/v1/follow-ups?kind="+policy.KindCallback+"&customer_id="+cust+"&limit=50", stacktest.Admin, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("follow-ups: %s", r)
	}
	n := 0
	for _, f := range r.JSON(t)["items"].([]any) {
		if f.(map[string]any)["title"] == "call back "+lateKey {
			n++
			if f.(map[string]any)["id"] != late {
				t.Errorf("the retried open made %v, answered %s", f.(map[string]any)["id"], late)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d follow-ups for the open retried after the outage, want 1", n)
	}
	t.Logf("Temporal down %v; an open refused with 503 in %v; the dev server answered %v after its restart, the reminders due during the outage ran within %v of it",
		restarted.Sub(killed).Round(time.Second), refusedIn.Round(time.Millisecond), up.Round(time.Millisecond), reminded.Round(time.Millisecond))
}
