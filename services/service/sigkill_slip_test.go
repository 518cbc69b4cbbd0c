package service_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/workflows"
	"github.com/closeloop/closeloop/workflows/policy"
)

// chaosEnv, set to 1, runs the chaos tests (make chaos): end-to-end tests
// that kill the workflow worker and wait out real deadlines, too long for
// make test.
const chaosEnv = "CLOSELOOP_CHAOS"

// TestChaosWorkerKilledMidSlipChase kills the workflow worker with SIGKILL
// while an info slip's recipient is being chased, after the reminder and
// while the escalation to the managers falls due, and starts it again: the
// step that fell due while no worker ran is carried out on restart, and
// every step of the ladder — reminder, escalation to the recipient's
// managers, escalation to the originator's — happens exactly once, on the
// slip's timeline and on the follow-up's history in the follow-up service's
// database (and tells each audience once); the recipient acknowledging
// afterwards closes the chase as done.
//
// The policies are set through the follow-up service's API, as an analyst
// would, to minutes of calendar time: acknowledge within 15 minutes (the
// least infoslip.ack_deadline allows; a slip cannot be back-dated), then
// remind at once, escalate to the managers a minute later and to the
// originator's managers two minutes later. About 18 minutes: run with make
// chaos. PostgreSQL only.
func TestChaosWorkerKilledMidSlipChase(t *testing.T) {
	if os.Getenv(chaosEnv) != "1" {
		t.Skip("a chaos test of about 18 minutes (a real 15-minute deadline): run it with make chaos (" + chaosEnv + "=1)")
	}
	start := time.Now()
	hostPort, namespace := testenv.Temporal(t)
	s := newStackOn(t, testenv.Postgres, hostPort, namespace)
	if err := workflows.Setup(context.Background(), s.service.App.Deps().Temporal, namespace,
		workflows.Config{NamespaceRetention: 24 * time.Hour, ABCScheduleCron: "0 2 * * *", ABCScheduleTZ: "UTC", ABCPageSize: 3}, slog.Default()); err != nil {
		t.Fatal(err)
	}
	fdb := s.followup.App.Deps().DB
	policyVersion := func(name string, value map[string]any) {
		r := s.call(s.followup.Base, "POST", "/v1/policies/"+name+"/versions", analyst, map[string]any{"value": value, "reason": "worker-kill test"})
		if r.status != http.StatusCreated {
			t.Fatalf("policy %s: %d %s", name, r.status, r.body)
		}
	}
	policyVersion(policy.SlipAckDeadline, map[string]any{"timer": map[string]any{"duration": "15m", "clock": "calendar"}})
	policyVersion(policy.SlipEscalation, map[string]any{"ladder": map[string]any{"clock": "calendar", "steps": []map[string]any{
		{"after": "0m", "action": "remind"}, {"after": "1m", "action": "escalate_manager"}, {"after": "2m", "action": "escalate_originator"}}}})

	worker := testenv.StartWorkerProcess(t, workerEnv, hostPort, namespace)
	s.register(repAna, svcSam, svcSue, mgrMia)
	sl := s.slip(repAna, s.customerOf(repAna), person(svcSam))
	id := sl["id"].(string)
	if p := part(sl, 1); p["user_id"] != svcSam || p["team"] != "service" {
		t.Fatalf("recipient 1: %v", p)
	}
	received := mustTime(t, part(sl, 1)["received_at"])
	due := received.Add(15 * time.Minute)

	// The workflow opens the acknowledgement's follow-up at once.
	var fuID string
	stacktest.Eventually(t, "the chase opened", 30*time.Second, func() bool {
		fuID, _ = part(s.must(http.StatusOK, "GET", "/v1/slips/"+id, repAna, nil), 1)["follow_up_id"].(string)
		return fuID != ""
	})
	type followUp struct {
		Kind, OwnerID, Team, State string
		DueAt                      time.Time
		EscalationLevel            int
	}
	stored := func() followUp {
		var f followUp
		if err := fdb.Raw(`SELECT kind, owner_id, team, state, due_at, escalation_level FROM follow_ups WHERE id = ?`, fuID).Scan(&f).Error; err != nil {
			t.Fatal(err)
		}
		return f
	}
	// The slip names its chase's follow-up as the workflow opens it; the
	// follow-up service stores it a moment later.
	stacktest.Eventually(t, "the chase's follow-up stored", 30*time.Second, func() bool { return stored().Kind != "" })
	if f := stored(); f.Kind != policy.KindSlipAck || f.OwnerID != svcSam || f.Team != "service" || f.State != "open" ||
		f.DueAt.Sub(due).Abs() > time.Millisecond {
		t.Fatalf("the chase's follow-up %+v, want slip_ack, svc-sam's, due %v", f, due)
	}
	type event struct {
		Action      string
		Level       int
		At          time.Time
		ScheduledAt *time.Time
	}
	events := func() []event {
		var es []event
		if err := fdb.Raw(`SELECT action, level, at, scheduled_at FROM follow_up_events WHERE follow_up_id = ? ORDER BY at, id`, fuID).Scan(&es).Error; err != nil {
			t.Fatal(err)
		}
		return es
	}
	actions := func() map[string]int {
		out := map[string]int{}
		for _, e := range events() {
			out[e.Action]++
		}
		return out
	}
	timeline := func() map[string]int {
		out := map[string]int{}
		for _, k := range s.slipKinds(id) {
			out[k]++
		}
		return out
	}

	time.Sleep(time.Until(due.Add(-5 * time.Second)))
	if k, a := timeline(), actions(); k["reminded"] != 0 || a["remind"] != 0 {
		t.Fatalf("reminded before the deadline: timeline %v, follow-up %v", k, a)
	}
	stacktest.Eventually(t, "the reminder on the timeline and the follow-up", time.Minute, func() bool {
		return timeline()["reminded"] == 1 && actions()["remind"] == 1
	})

	// SIGKILL: no graceful stop, in-flight tasks are lost; the escalation to
	// the managers (due+1m) falls due while no worker runs.
	if err := worker.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = worker.Wait()
	killed := time.Now()
	time.Sleep(time.Until(due.Add(time.Minute + 10*time.Second)))
	if k, a, f := timeline(), actions(), stored(); k["escalated"] != 0 || a["escalate_manager"] != 0 || f.EscalationLevel != 1 {
		t.Fatalf("escalated with no worker running: timeline %v, follow-up %v at level %d", k, a, f.EscalationLevel)
	}
	restarted := time.Now()
	testenv.StartWorkerProcess(t, workerEnv, hostPort, namespace)
	// Generous: a task of the killed worker's sticky queue moves to the
	// shared queue only after its timeout.
	stacktest.Eventually(t, "the escalation to the managers after restart", 2*time.Minute, func() bool {
		return timeline()["escalated"] == 1 && actions()["escalate_manager"] == 1
	})
	stacktest.Eventually(t, "the escalation to the originator", time.Until(due.Add(2*time.Minute))+2*time.Minute, func() bool {
		return timeline()["escalated"] == 2 && actions()["escalate_originator"] == 1
	})
	time.Sleep(5 * time.Second) // anything repeated would show up now

	// Each step once, at its level, scheduled where the ladder had it; the
	// one that fell due while no worker ran carried out after the restart.
	want := map[string]struct {
		level int
		at    time.Time
	}{"remind": {1, due}, "escalate_manager": {2, due.Add(time.Minute)}, "escalate_originator": {3, due.Add(2 * time.Minute)}}
	seen := map[string]int{}
	for _, e := range events() {
		seen[e.Action]++
		w, ok := want[e.Action]
		if !ok {
			continue
		}
		if e.Level != w.level || e.ScheduledAt == nil || e.ScheduledAt.Sub(w.at).Abs() > time.Millisecond {
			t.Errorf("%s at level %d scheduled %v, want level %d scheduled %v", e.Action, e.Level, e.ScheduledAt, w.level, w.at)
		}
		switch e.Action {
		case "remind":
			if !e.At.Before(killed) {
				t.Errorf("reminded at %v, after the worker was killed (%v)", e.At, killed)
			}
		case "escalate_manager":
			if e.At.Before(restarted) {
				t.Errorf("escalated to the managers at %v, before the worker was restarted (%v)", e.At, restarted)
			}
		}
	}
	if len(seen) != 4 || seen["opened"] != 1 || seen["remind"] != 1 || seen["escalate_manager"] != 1 || seen["escalate_originator"] != 1 {
		t.Errorf("follow-up history %v, want opened and each step once", seen)
	}
	if f := stored(); f.EscalationLevel != 3 || f.State != "escalated" {
		t.Errorf("follow-up at level %d, %s; want level 3, escalated", f.EscalationLevel, f.State)
	}
	// Each step told its audience once: the recipient each time, the
	// service managers at the escalation, the originator's (north) at the
	// last step.
	fu := s.call(s.followup.Base, "GET", "/v1/follow-ups/"+fuID, admin, nil)
	if fu.status != http.StatusOK {
		t.Fatalf("follow-up %s: %d %s", fuID, fu.status, fu.body)
	}
	told := map[string]int{}
	tl, _ := fu.json(t)["told"].([]any)
	for _, m := range tl {
		m := m.(map[string]any)
		to, _ := m["user_id"].(string)
		if mo, _ := m["managers_of"].(string); mo != "" {
			to = "managers of " + mo
		}
		told[m["action"].(string)+" → "+to]++
	}
	wantTold := map[string]int{"remind → " + svcSam: 1, "escalate_manager → " + svcSam: 1, "escalate_manager → managers of service": 1,
		"escalate_originator → " + svcSam: 1, "escalate_originator → managers of north": 1}
	if len(told) != len(wantTold) {
		t.Errorf("told %v, want %v", told, wantTold)
	}
	for k, n := range wantTold {
		if told[k] != n {
			t.Errorf("told %v, want %v", told, wantTold)
			break
		}
	}
	// On the slip's timeline: the reminder, then the escalation to the
	// recipient's managers, then to the originator's, each once.
	var steps []string
	for _, e := range s.must(http.StatusOK, "GET", "/v1/slips/"+id+"/timeline?limit=200", admin, nil)["items"].([]any) {
		e := e.(map[string]any)
		if k := e["kind"].(string); k == "reminded" || k == "escalated" {
			if e["recipient"] != float64(1) {
				t.Errorf("%s entry about recipient %v, want 1", k, e["recipient"])
			}
			steps = append(steps, k+": "+e["body"].(string))
		}
	}
	if len(steps) != 3 || !strings.HasPrefix(steps[0], "reminded: reminded "+svcSam) ||
		!strings.HasPrefix(steps[1], "escalated: escalated to the managers of team service:") ||
		!strings.HasPrefix(steps[2], "escalated: escalated to the managers of team north (the originator's):") {
		t.Errorf("timeline steps %q, want the reminder and the two escalations once each", steps)
	}

	// Acknowledging late ends the chase: its follow-up is closed as done,
	// the ladder takes no further step, and the action's chase opens.
	s.must(http.StatusOK, "POST", "/v1/slips/"+id+"/recipients/1/acknowledge", svcSam, map[string]any{})
	stacktest.Eventually(t, "the acknowledgement's chase is closed", time.Minute, func() bool { return stored().State == "done" })
	var next string
	stacktest.Eventually(t, "the action's chase opened", time.Minute, func() bool {
		next, _ = part(s.must(http.StatusOK, "GET", "/v1/slips/"+id, repAna, nil), 1)["follow_up_id"].(string)
		return next != "" && next != fuID
	})
	nextKind := func() string {
		var k string
		if err := fdb.Raw(`SELECT kind FROM follow_ups WHERE id = ?`, next).Scan(&k).Error; err != nil {
			t.Fatal(err)
		}
		return k
	}
	stacktest.Eventually(t, "the action's follow-up stored", 30*time.Second, func() bool { return nextKind() != "" })
	if k := nextKind(); k != policy.KindSlipClose {
		t.Errorf("the chase after the acknowledgement is %q, want %s", k, policy.KindSlipClose)
	}
	time.Sleep(3 * time.Second)
	if a, f := actions(), stored(); len(a) != 5 || a["done"] != 1 || f.EscalationLevel != 3 {
		t.Errorf("follow-up history after the acknowledgement %v at level %d, want each step once and done", a, f.EscalationLevel)
	}
	k := s.slipKinds(id)
	if len(k) != 5 || k[0] != "created" || count(k, "reminded") != 1 || count(k, "escalated") != 2 || k[4] != "acknowledged" {
		t.Errorf("timeline %v, want created, reminded, escalated twice, acknowledged", k)
	}
	if !t.Failed() {
		// Recorded for the workflows' replay test (UPDATE_HISTORIES=1): the
		// only slip history whose chase took ladder steps, across a killed
		// worker.
		testenv.SaveHistory(t, s.service.App.Deps().Temporal, wfc.InfoSlipWorkflowID(id), "../../workflows/infoslip/testdata/slip-escalated-worker-killed.json")
	}
	t.Logf("done in %v", time.Since(start).Round(time.Second))
}
