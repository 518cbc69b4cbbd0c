package followup_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/followup/internal/app"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	wffollowup "github.com/closeloop/closeloop/workflows/followup"
)

// TestAHostedFollowUpsStepSurvivesAKill: the follow-up service is the only
// host of a follow-up (nothing else polls the engine's queue) and is killed
// with SIGKILL right after a local activity stored the ladder's first step,
// before the workflow task that ran it completed — so the history holds
// nothing of that task, not even the opening. A new replica takes the
// follow-up over and runs the task again: the opening and the step find
// themselves stored, the ladder goes on, the close is recorded. Each step
// is in the follow-up's history once and tells its people once.
func TestAHostedFollowUpsStepSurvivesAKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a service process")
	}
	hostPort, namespace := testenv.Temporal(t)
	dsn := testenv.Postgres(t)
	// The in-process services answer HTTP only: no worker of theirs polls
	// the engine's queue; the child processes host the follow-up.
	s := newStack(t, testenv.Postgres(t), stackOpts{followUpDSN: dsn})
	db := s.app.Deps().DB
	ctx := context.Background()
	c, err := client.Dial(client.Options{HostPort: hostPort, Namespace: namespace, Logger: log.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	stacktest.Setup(t, c, namespace)

	first, out := s.startFollowUpProcess(dsn, hostPort, namespace, map[string]string{"CLOSELOOP_FAULT": app.AfterStepStore})
	cust := s.create(repAna, company(nil))
	id := uuid.NewString()                            // workflow ids are the shared namespace's: never another test's
	due := time.Now().Add(-10 * 24 * time.Hour).UTC() // ten days overdue: the ladder runs at once
	if err := wffollowup.Start(ctx, c, &followupv1.FollowUpSpec{Id: id, Kind: "callback", CustomerId: cust, OwnerId: repAna, Team: "north",
		Territory: "north", Title: "call back about the valves", AnchorAt: timestamppb.New(due.Add(-time.Hour)), DueAt: timestamppb.New(due),
		OpenedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	diedAtFault(t, first, out, "the follow-up service")
	type count struct {
		Level  int
		Action string
		N      int
	}
	steps := func() []count {
		var cs []count
		if err := db.Raw(`SELECT level, action, count(*) AS n FROM follow_up_events WHERE follow_up_id = ? AND actor = 'workflow' AND level > 0
			GROUP BY level, action ORDER BY level`, id).Scan(&cs).Error; err != nil {
			t.Fatal(err)
		}
		return cs
	}
	if got := steps(); len(got) != 1 || got[0].Level != 1 || got[0].N != 1 {
		t.Fatalf("steps stored before the kill: %v, want the first alone", got)
	}

	s.startFollowUpProcess(dsn, hostPort, namespace)
	var levels int
	eventually(t, "the rest of the ladder run by the new replica", 90*time.Second, func() bool {
		var row struct{ EscalationLevel, NextSteps int }
		if err := db.Raw(`SELECT escalation_level, CASE WHEN next_step_at IS NULL THEN 0 ELSE 1 END AS next_steps FROM follow_ups WHERE id = ?`, id).
			Scan(&row).Error; err != nil {
			t.Fatal(err)
		}
		levels = row.EscalationLevel
		return levels >= 2 && row.NextSteps == 0
	})
	wid := wfc.FollowUpWorkflowID(id)
	if err := c.SignalWorkflow(ctx, wid, "", wfc.SignalCloseFollowUp, &followupv1.CloseSignal{State: "done", By: repAna, Note: "called"}); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := c.GetWorkflow(wctx, wid, "").Get(wctx, nil); err != nil {
		t.Fatalf("follow-up workflow: %v", err)
	}

	got := steps()
	if len(got) != levels {
		t.Errorf("steps in the history: %v, want one per level up to %d", got, levels)
	}
	for i, st := range got {
		if st.Level != i+1 || st.N != 1 {
			t.Errorf("step %d in the history: %+v, want level %d once", i+1, st, i+1)
		}
	}
	var state string
	if err := db.Raw(`SELECT state FROM follow_ups WHERE id = ?`, id).Scan(&state).Error; err != nil || state != "done" {
		t.Errorf("state %q (%v), want done", state, err)
	}
	var twice []struct {
		Level int
		N     int
	}
	if err := db.Raw(`SELECT level, count(*) AS n FROM notifications WHERE follow_up_id = ?
		GROUP BY level, action, COALESCE(user_id, ''), COALESCE(managers_of, '') HAVING count(*) > 1`, id).Scan(&twice).Error; err != nil {
		t.Fatal(err)
	}
	if len(twice) != 0 {
		t.Errorf("messages made twice: %v", twice)
	}
	var told int64
	if err := db.Raw(`SELECT count(*) FROM notifications WHERE follow_up_id = ? AND level = 1`, id).Scan(&told).Error; err != nil || told == 0 {
		t.Errorf("%d messages of the first step (%v), want its owner told", told, err)
	}

	// The killed attempt is in the history as a workflow task that timed
	// out; every engine call was local.
	timedOut, activities := 0, 0
	it := c.GetWorkflowHistory(ctx, wid, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.GetWorkflowTaskTimedOutEventAttributes() != nil || ev.GetWorkflowTaskFailedEventAttributes() != nil {
			timedOut++
		}
		if ev.GetActivityTaskScheduledEventAttributes() != nil {
			activities++
		}
	}
	if timedOut == 0 {
		t.Error("no workflow task timed out or failed: the kill did not happen inside one")
	}
	if activities != 0 {
		t.Errorf("%d activity tasks, want none", activities)
	}
}
