package care

import (
	"fmt"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"google.golang.org/protobuf/types/known/timestamppb"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/followup/followuptest"
	"github.com/closeloop/closeloop/workflows/policy"
)

// careFollowUp runs the FollowUp workflow of a care contact as the sweep
// starts it (two hours before it falls due), checks the recorded steps at
// each instant of checks (offsets from the start), then closes it as done.
func careFollowUp(t *testing.T, anchor, start time.Time, class string, put func(*followuptest.Engine), checks map[time.Duration][]string) *followuptest.Engine {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflow(followup.FollowUp)
	eng := followuptest.Register(env)
	if put != nil {
		put(eng)
	}
	var last time.Duration
	for at, want := range checks {
		last = max(last, at)
		env.RegisterDelayedCallback(func() {
			if got := fmt.Sprint(eng.Steps()); got != fmt.Sprint(want) {
				t.Errorf("at %s: steps %s, want %v", start.Add(at).In(followuptest.Shanghai).Format("Jan 2 15:04:05"), got, want)
			}
		}, at)
	}
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(wfc.SignalCloseFollowUp, &followupv1.CloseSignal{State: "done", By: "rep-ana", Note: "called"})
	}, last+time.Hour)
	env.ExecuteWorkflow(followup.FollowUp, &followupv1.FollowUpSpec{
		Id: "care-1", Kind: policy.KindCareContact, CustomerId: "c1", OwnerId: "rep-ana", Team: "north", Territory: "north",
		AnchorAt: timestamppb.New(anchor), PolicyKey: class, OpenedBy: Actor,
	})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var out followupv1.CloseSignal
	if err := env.GetWorkflowResult(&out); err != nil || out.GetState() != "done" {
		t.Fatalf("outcome %v, %v", &out, err)
	}
	return eng
}

// Actor mirrors the customer service's care actor (package care there).
const Actor = "system:care"

// The default cadence and ladder: class A falls due 30 days after the last
// contact, reminds its owner then, and escalates to the manager 7 days later;
// checked a second before and after each instant.
func TestCareContactDueAndEscalatesOnTheDefaultCadence(t *testing.T) {
	anchor := followuptest.CST(time.March, 2, 10, 0)
	due := followuptest.CST(time.April, 1, 10, 0)
	start := due.Add(-2 * time.Hour)
	at := func(t time.Time) time.Duration { return t.Sub(start) }
	eng := careFollowUp(t, anchor, start, "A", nil, map[time.Duration][]string{
		at(due) - time.Second:                     nil,
		at(due) + time.Second:                     {"remind@Apr 1 10:00"},
		at(due.Add(7*24*time.Hour)) - time.Second: {"remind@Apr 1 10:00"},
		at(due.Add(7*24*time.Hour)) + time.Second: {"remind@Apr 1 10:00", "escalate_manager@Apr 8 10:00"},
	})
	opened := eng.Events(followupc.ActivityOpenFollowUp)
	if len(opened) != 1 || !opened[0].Msg.(*followupv1.FollowUpRecord).GetDueAt().AsTime().Equal(due) {
		t.Fatalf("opened %v; want one record due %s", opened, due)
	}
}

// A cadence in business time counts working hours of the team's calendar:
// 30 working hours (four days of 7.5 h) after Wednesday 30 September 18:00
// skip the National Day holiday (1–7 October), count the make-up Saturday
// 10 October, skip Sunday, and fall due Monday 12 October 18:00.
func TestCareContactInBusinessTimeSkipsTheHolidayAndTheWeekend(t *testing.T) {
	anchor := followuptest.CST(time.September, 30, 18, 0)
	due := followuptest.CST(time.October, 12, 18, 0)
	start := due.Add(-2 * time.Hour)
	at := func(t time.Time) time.Duration { return t.Sub(start) }
	put := func(e *followuptest.Engine) {
		d, _ := policy.Lookup(policy.CareCadence)
		v := d.Default
		table := map[string]policy.Timer{}
		for k, tm := range v.Table {
			table[k] = tm
		}
		table["B"] = policy.Timer{Duration: policy.Duration(30 * time.Hour), Clock: policy.ClockBusiness}
		e.PutPolicy(policy.CareCadence, 2, time.Time{}, policy.Value{Table: table})
	}
	careFollowUp(t, anchor, start, "B", put, map[time.Duration][]string{
		at(due) - time.Second: nil,
		at(due) + time.Second: {"remind@Oct 12 18:00"},
	})
}
