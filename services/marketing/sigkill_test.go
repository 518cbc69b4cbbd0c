package marketing_test

import (
	"context"
	"log/slog"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/workflows"
)

// TestWorkerKilledWhileATouchFallsDue kills the workflow worker with
// SIGKILL while a lost customer's first win-back touch falls due, and
// starts it again: the touch that fell due while no worker ran is made on
// restart, exactly once — one touch recorded, one action plan for the rep,
// one follow-up. The cadence is set through the follow-up service's API,
// as an analyst would: a call two minutes after the enrolment.
func TestWorkerKilledWhileATouchFallsDue(t *testing.T) {
	hostPort, namespace := testenv.Temporal(t)
	s := newStackOn(t, testenv.Postgres, hostPort, namespace, false)
	if err := workflows.Setup(context.Background(), s.marketing.App.Deps().Temporal, namespace,
		workflows.Config{NamespaceRetention: 24 * time.Hour, ABCScheduleCron: "0 2 * * *", ABCScheduleTZ: "UTC", ABCPageSize: 3}, slog.Default()); err != nil {
		t.Fatal(err)
	}
	r := s.call(s.followup.Base, "POST", "/v1/policies/winback.cadence/versions", analyst, map[string]any{"value": map[string]any{
		"ladder": map[string]any{"clock": "calendar", "steps": []any{map[string]any{"after": "2m", "action": "call"},
			map[string]any{"after": "30d", "action": "visit"}}}}, "reason": "worker-kill test"})
	if r.Status != http.StatusCreated {
		t.Fatalf("cadence: %d %s", r.Status, r.Body)
	}
	worker := testenv.StartWorkerProcess(t, workerEnv, hostPort, namespace)
	c, id, enrolled := s.winBackOfOne()
	due := enrolled.Add(2 * time.Minute)
	counts := func() (touches, plans int64) {
		s.db.Table("touches").Where("campaign_id = ?", id).Count(&touches)
		s.customer.App.Deps().DB.Table("actions").Where("campaign_id = ?", id).Count(&plans)
		return touches, plans
	}
	// SIGKILL, a little before the touch is due: no graceful stop.
	time.Sleep(time.Until(due.Add(-20 * time.Second)))
	if err := worker.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = worker.Wait()
	time.Sleep(time.Until(due.Add(20 * time.Second)))
	if tc, pc := counts(); tc != 0 || pc != 0 {
		t.Fatalf("touched with no worker running: %d touches, %d plans", tc, pc)
	}
	testenv.StartWorkerProcess(t, workerEnv, hostPort, namespace)
	stacktest.Eventually(t, "the touch after the restart", 2*time.Minute, func() bool {
		_, pc := counts()
		return pc == 1
	})
	time.Sleep(5 * time.Second) // a second touch would come now
	if tc, pc := counts(); tc != 1 || pc != 1 {
		t.Fatalf("after the restart: %d touches, %d plans, want one each", tc, pc)
	}
	var followUps int64
	s.followup.App.Deps().DB.Table("follow_ups").Where("kind = ? AND customer_id = ?", "winback_touch", c).Count(&followUps)
	if followUps != 1 {
		t.Fatalf("%d win-back touch follow-ups, want one", followUps)
	}
	if e := s.must(200, "GET", "/v1/campaigns/"+id+"/enrolments", mktMo, nil)["items"].([]any)[0].(map[string]any); e["touches"] != float64(1) || e["state"] != "active" {
		t.Fatalf("enrolment after the restart: %v", e)
	}
	testenv.SaveHistory(t, s.marketing.App.Deps().Temporal, wfc.WinBackWorkflowID(c, id), "../../workflows/winback/testdata/winback-prefetch-worker-killed-at-a-touch.json")
}
