package followup_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
)

func timerValue(d, clock string) map[string]any {
	return map[string]any{"timer": map[string]any{"duration": d, "clock": clock}}
}

// TestPolicyChangeReachesRunningWorkflows is the "done means", on a
// real Temporal server and each database: an analyst changes the lead
// first-contact SLA through the API; running follow-up workflows re-compute
// their deadlines from their anchors and record the new version — a shortened
// SLA fires at once when its new due time has passed, a lengthened one moves
// the due time later and does not fire; the dry-run of another change shows
// its effect first and changes nothing; a manager's overdue list shows the
// late items of their team only.
// rolloutHistory names the recorded history of a follow-up three policy
// rollouts reached, each carrying its resolution and the change it stored,
// opened by the activity that resolved its policies (changes
// "rollout-carries-resolution" and "resolve-and-open"). Recorded before:
// follow-up-rollout-resolved (before either: each follow-up resolving and
// recording itself) and follow-up-rollout-carried (before the second).
const rolloutHistory = "follow-up-rollout-carried-opened-resolved"

// policyRolloutHistory names the recorded history of a PolicyRollout's
// first sweep (up to the timer of its second): its store pages, then its
// wake pages (change "rollout-stores-first"), each returning its pace for
// the next (change "rollout-hands-on-pace"). Recorded before:
// policy-rollout-paged (each page storing and signalling its follow-ups)
// and policy-rollout-stored-first (before the second change).
const policyRolloutHistory = "policy-rollout-hands-on-pace"

// awaitResweep waits until the PolicyRollout workflow wid has ended its
// first sweep: it has started the timer of its second (a timer after a
// page; one before any would be the wait for the version to come into force).
func awaitResweep(t *testing.T, tc client.Client, wid string) {
	t.Helper()
	eventually(t, "the rollout's first sweep to end", 30*time.Second, func() bool {
		it := tc.GetWorkflowHistory(context.Background(), wid, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		paged := false
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			switch ev.GetEventType() {
			case enums.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
				paged = true
			case enums.EVENT_TYPE_TIMER_STARTED:
				if paged {
					return true
				}
			}
		}
		return false
	})
}

func TestPolicyChangeReachesRunningWorkflows(t *testing.T) {
	hostPort, namespace := testenv.Temporal(t)
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			startWorker(t, hostPort, namespace, nil)
			s := newStack(t, b.DSN(t), stackOpts{temporal: hostPort, namespace: namespace})
			tc := s.app.Deps().Temporal
			ctx := context.Background()
			const sla = "/v1/policies/lead.first_contact_sla"

			// Reps may read nothing of policies and change nothing.
			if r := s.call("POST", sla+"/versions", repAna, map[string]any{"value": timerValue("2h", "calendar"), "reason": "x"}); r.status != http.StatusForbidden {
				t.Fatalf("rep changed a policy: %d %s", r.status, r.body)
			}
			// Start from calendar time so the arithmetic below is plain.
			if r := s.call("POST", sla+"/versions", analyst, map[string]any{"value": timerValue("8h", "calendar"), "reason": "baseline for the test"}); r.status != http.StatusCreated {
				t.Fatalf("baseline: %d %s", r.status, r.body)
			}
			// The escalation ladder too: in business time its first step would
			// wait for the next working hour, so the test would pass only by day.
			if r := s.call("POST", "/v1/policies/lead.escalation_ladder/versions", analyst, map[string]any{"value": map[string]any{"ladder": map[string]any{
				"clock": "calendar", "steps": []map[string]any{{"after": "0m", "action": "remind"}, {"after": "4h", "action": "escalate_manager"}, {"after": "16h", "action": "reassign"}},
			}}, "reason": "baseline for the test"}); r.status != http.StatusCreated {
				t.Fatalf("baseline ladder: %d %s", r.status, r.body)
			}
			base := int64(s.call("GET", sla, analyst, nil).json(t)["active"].(map[string]any)["version"].(float64))

			north := s.create(mgrMia, company(map[string]any{"owner_id": repAna, "team": "north"}))
			south := s.create(admin, company(map[string]any{"owner_id": repBo, "team": "south", "region": "south"}))

			// Three follow-ups whose leads were assigned two hours ago (started
			// directly, as the lead workflow will), and one opened through the API.
			anchor := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
			start := func(customer, owner, team, region string) string {
				id := uuid.NewString()
				_, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wfc.FollowUpWorkflowID(id), TaskQueue: wfc.TaskQueue}, wfc.WorkflowFollowUp,
					&followupv1.FollowUpSpec{Id: id, Kind: "first_contact", CustomerId: customer, OwnerId: owner, Team: team, Territory: region,
						Title: "call the new lead", AnchorAt: timestamppb.New(anchor), OpenedBy: "test"})
				if err != nil {
					t.Fatal(err)
				}
				return id
			}
			shortened := start(north, repAna, "north", "north")
			other := start(south, repBo, "south", "south")
			r := s.call("POST", "/v1/follow-ups", mgrMia, map[string]any{"kind": "first_contact", "customer_id": north, "title": "first call"})
			// 201 once the workflow has stored it, 202 if that took longer than
			// FOLLOWUP_OPEN_WAIT (a fresh namespace can be slow to start).
			if r.status != http.StatusCreated && r.status != http.StatusAccepted {
				t.Fatalf("open via API: %d %s", r.status, r.body)
			}
			apiID := r.json(t)["id"].(string)
			get := func(id string) map[string]any {
				var m map[string]any
				eventually(t, "follow-up "+id, 20*time.Second, func() bool {
					r := s.call("GET", "/v1/follow-ups/"+id, admin, nil)
					if r.status == http.StatusOK {
						m = r.json(t)
					}
					return r.status == http.StatusOK
				})
				return m
			}
			due := func(m map[string]any) time.Time {
				d, _ := time.Parse(time.RFC3339Nano, m["due_at"].(string))
				return d
			}
			if viaAPI := get(apiID); viaAPI["policy"].(map[string]any)["version"].(float64) != float64(base) || viaAPI["owner_id"] != repAna {
				t.Fatalf("opened follow-up: %v", viaAPI)
			}
			for _, id := range []string{shortened, other} {
				if d := due(get(id)); !d.Equal(anchor.Add(8 * time.Hour)) {
					t.Fatalf("due %v, want anchor+8h", d)
				}
			}

			// An invalid change is refused with field errors and changes nothing.
			r = s.call("POST", sla+"/versions", analyst, map[string]any{"value": timerValue("1m", "calendar"), "reason": "too short"})
			if r.status != http.StatusUnprocessableEntity || r.code(t) != "validation_failed" {
				t.Fatalf("invalid change: %d %s", r.status, r.body)
			}
			if f := r.json(t)["details"].(map[string]any)["fields"].([]any)[0].(map[string]any); f["field"] != "value.timer.duration" || f["code"] != "out_of_range" {
				t.Fatalf("field error %v", f)
			}
			if v := s.call("GET", sla, analyst, nil).json(t)["active"].(map[string]any)["version"].(float64); int64(v) != base {
				t.Fatalf("an invalid change moved the version to %v", v)
			}

			// Dry-run of a 1h SLA: the two assigned two hours ago would be
			// overdue at once (one per team), the one opened now would not;
			// nothing changes.
			r = s.call("POST", sla+"/dry-run", analyst, map[string]any{"value": timerValue("1h", "calendar")})
			if r.status != http.StatusOK {
				t.Fatalf("dry-run: %d %s", r.status, r.body)
			}
			dry := r.json(t)
			tot := dry["totals"].(map[string]any)
			if tot["open"].(float64) != 3 || tot["newly_overdue"].(float64) != 2 || tot["overdue_now"].(float64) != 0 ||
				tot["escalate_now"].(map[string]any)["remind"] != nil || len(dry["by_team"].([]any)) != 2 {
				t.Fatalf("dry-run report: %s", r.body)
			}
			if d := due(get(shortened)); !d.Equal(anchor.Add(8 * time.Hour)) {
				t.Fatal("the dry-run changed a deadline")
			}

			// The analyst shortens the SLA to 1h: the deadlines move back to
			// anchor+1h, already passed, so the ladder's first step (remind)
			// fires at once; the new version is recorded on each follow-up.
			shortenedAt := time.Now().Truncate(time.Second)
			r = s.call("POST", sla+"/versions", analyst, map[string]any{"value": timerValue("1h", "calendar"), "reason": "leads go cold fast"})
			if r.status != http.StatusCreated {
				t.Fatalf("shorten: %d %s", r.status, r.body)
			}
			v2 := int64(r.json(t)["version"].(float64))
			eventually(t, "the shortened SLA to reach the workflows", 30*time.Second, func() bool {
				m := get(shortened)
				return int64(m["policy"].(map[string]any)["version"].(float64)) == v2 && m["escalation_level"].(float64) >= 1
			})
			m := get(shortened)
			if !due(m).Equal(anchor.Add(time.Hour)) || m["last_action"] != "remind" || m["overdue"] != true {
				t.Fatalf("after shortening: %v", m)
			}
			// Its history keeps both instants of the reminder: due at anchor+1h
			// on the ladder, carried out when the change reached it, hours later.
			var remind map[string]any
			for _, e := range m["events"].([]any) {
				if e := e.(map[string]any); e["action"] == "remind" {
					remind = e
				}
			}
			if remind == nil || remind["scheduled_at"] == nil {
				t.Fatalf("no reminder with its scheduled instant in the history: %v", m["events"])
			}
			sched, _ := time.Parse(time.RFC3339Nano, remind["scheduled_at"].(string))
			ran, _ := time.Parse(time.RFC3339Nano, remind["at"].(string))
			if !sched.Equal(anchor.Add(time.Hour)) || ran.Before(shortenedAt) || remind["late_by"] == "" {
				t.Fatalf("reminder history: scheduled %v, ran %v (change at %v), late_by %v", sched, ran, shortenedAt, remind["late_by"])
			}
			api := get(apiID)
			eventually(t, "the API-opened follow-up to follow", 30*time.Second, func() bool {
				api = get(apiID)
				return int64(api["policy"].(map[string]any)["version"].(float64)) == v2
			})
			if api["escalation_level"].(float64) != 0 || api["overdue"] != false {
				t.Fatalf("a follow-up due in the future escalated: %v", api)
			}

			// Lengthened to 12h: due moves later; the workflow does not fire
			// again (the reminder it sent when the SLA was 1h stays sent).
			r = s.call("POST", sla+"/versions", analyst, map[string]any{"value": timerValue("12h", "calendar"), "reason": "too strict"})
			if r.status != http.StatusCreated {
				t.Fatalf("lengthen: %d %s", r.status, r.body)
			}
			lengthened := r.json(t)
			v3 := int64(lengthened["version"].(float64))
			eventually(t, "the lengthened SLA to reach the workflows", 30*time.Second, func() bool {
				return int64(get(other)["policy"].(map[string]any)["version"].(float64)) == v3
			})
			if m := get(other); !due(m).Equal(anchor.Add(12*time.Hour)) || m["escalation_level"].(float64) != 1 || m["overdue"] != false {
				t.Fatalf("after lengthening: %v", m)
			}
			// The change moves the workflow's next step (the manager's, 4 h
			// after the due time) later, hours away: the rollout stores it
			// and leaves the workflow unsignalled (domain.NeedsNoWake) — it
			// wakes at the old instant, re-resolves and waits for the new one.
			// So the workflow still holds the version it last resolved.
			var st followupv1.FollowUpState
			q, err := tc.QueryWorkflow(ctx, wfc.FollowUpWorkflowID(other), "", wfc.QueryFollowUpState)
			if err != nil {
				t.Fatal(err)
			}
			if err := q.Get(&st); err != nil {
				t.Fatal(err)
			}
			if st.GetPolicyVersion() != v2 || st.GetLevel() != 1 || !st.GetDueAt().AsTime().Equal(anchor.Add(time.Hour)) {
				t.Fatalf("workflow state %v: want it on v%d, level 1, due at anchor+1h, until its timer fires", &st, v2)
			}
			// An operator sees the rollouts' pace: the signals their wake pages
			// sent, the window the last page ended with, and the follow-ups
			// left unsignalled.
			scraped := scrape(t, s)
			if n, w := metricValue(t, scraped, "closeloop_followups_rollout_signals_total"), metricValue(t, scraped, "closeloop_followups_rollout_window"); n < 2 || w < 20 || w > 2000 {
				t.Fatalf("/metrics: %v rollout signals, a window of %v, want at least 2 and 20–2,000:\n%s", n, w, scraped)
			}
			if n := metricValue(t, scraped, "closeloop_followups_rollout_unsignalled_total"); n < 1 {
				t.Fatalf("/metrics: %v follow-ups left unsignalled, want at least the lengthened one:\n%s", n, scraped)
			}
			// The rollout ran on the worker's bulk task queue: its own workflow
			// tasks never wait behind those of the follow-ups it wakes.
			eff, err := time.Parse(time.RFC3339Nano, fmt.Sprint(lengthened["effective_from"]))
			if err != nil {
				t.Fatalf("effective_from of %v: %v", lengthened, err)
			}
			d, err := tc.DescribeWorkflowExecution(ctx, wfc.PolicyRolloutWorkflowID("policy", "lead.first_contact_sla", v3, eff.UnixMilli()), "")
			if err != nil {
				t.Fatal(err)
			}
			if q := d.GetExecutionConfig().GetTaskQueue().GetName(); q != wfc.BulkTaskQueue {
				t.Fatalf("the rollout ran on task queue %q, want %q", q, wfc.BulkTaskQueue)
			}
			if b.Name == "postgres" && os.Getenv("UPDATE_HISTORIES") != "" {
				// The rollout's first sweep, up to the timer of its second.
				rid := d.GetWorkflowExecutionInfo().GetExecution().GetWorkflowId()
				awaitResweep(t, tc, rid)
				testenv.SaveHistory(t, tc, rid, "../../workflows/testdata/"+policyRolloutHistory+".json")
			}

			// Diff and audit show what changed, who and why.
			r = s.call("GET", fmt.Sprintf("%s/diff?from=%d&to=%d", sla, v2, v3), analyst, nil)
			if ch := r.json(t)["changes"].([]any); len(ch) != 1 || ch[0].(map[string]any)["to"] != "12h" {
				t.Fatalf("diff %s", r.body)
			}
			r = s.call("GET", sla+"/audit", analyst, nil)
			if a := r.json(t)["items"].([]any)[0].(map[string]any); a["actor"] != analyst || a["reason"] != "too strict" {
				t.Fatalf("audit %s", r.body)
			}

			// Roll back to the 1h version: both overdue again. The manager of
			// north sees north's late item only; the admin sees both.
			r = s.call("POST", sla+"/rollback", analyst, map[string]any{"to_version": v2, "reason": "back to 1h"})
			if r.status != http.StatusCreated {
				t.Fatalf("rollback: %d %s", r.status, r.body)
			}
			v4 := int64(r.json(t)["version"].(float64))
			eventually(t, "the rollback to reach the workflows", 30*time.Second, func() bool {
				for _, id := range []string{shortened, other} {
					f := get(id)
					if int64(f["policy"].(map[string]any)["version"].(float64)) != v4 || f["overdue"] != true {
						return false
					}
				}
				return true
			})
			if b.Name == "postgres" {
				// Three rollouts reached it: the 1h, 12h and rolled back 1h versions.
				testenv.SaveHistory(t, tc, wfc.FollowUpWorkflowID(other), "../../workflows/testdata/"+rolloutHistory+".json")
			}
			r = s.call("GET", "/v1/follow-ups/overdue", mgrMia, nil)
			items := r.json(t)["items"].([]any)
			if len(items) != 1 || items[0].(map[string]any)["id"] != shortened {
				t.Fatalf("manager's overdue list: %s", r.body)
			}
			links := items[0].(map[string]any)["links"].(map[string]any)
			if links["customer"] != "/v1/customers/"+north || links["workflow"] == nil {
				t.Fatalf("links %v", links)
			}
			if r := s.call("GET", "/v1/follow-ups/overdue", admin, nil); len(r.json(t)["items"].([]any)) != 2 {
				t.Fatalf("admin's overdue list: %s", r.body)
			}
			r = s.call("GET", "/v1/follow-ups/overdue/counts", mgrMia, nil)
			var counts struct {
				Total   int64
				ByTeam  []struct{ Team string } `json:"by_team"`
				ByOwner []struct {
					OwnerID string `json:"owner_id"`
					Overdue int64
				} `json:"by_owner"`
			}
			if err := json.Unmarshal(r.body, &counts); err != nil || counts.Total != 1 || len(counts.ByTeam) != 1 || counts.ByTeam[0].Team != "north" ||
				len(counts.ByOwner) != 1 || counts.ByOwner[0].OwnerID != repAna {
				t.Fatalf("manager's counts: %s", r.body)
			}
			if r := s.call("GET", "/v1/follow-ups/"+other, mgrMia, nil); r.status != http.StatusNotFound {
				t.Fatalf("manager read another team's follow-up: %d", r.status)
			}

			// The rep marks it done: the workflow closes the record.
			r = s.call("POST", "/v1/follow-ups/"+shortened+"/complete", repAna, map[string]any{"note": "called, meeting booked"})
			if r.status != http.StatusOK || r.json(t)["state"] != "done" {
				t.Fatalf("complete: %d %s", r.status, r.body)
			}
			run := tc.GetWorkflow(ctx, wfc.FollowUpWorkflowID(shortened), "")
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if err := run.Get(wctx, nil); err != nil {
				t.Fatalf("workflow did not end: %v", err)
			}
			// Cancelling the workflow closes its follow-up too.
			if err := tc.CancelWorkflow(ctx, wfc.FollowUpWorkflowID(other), ""); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the cancelled workflow's follow-up to close", 20*time.Second, func() bool { return get(other)["state"] == "cancelled" })

			// A workflow terminated by an operator cannot close its follow-up;
			// the reconciliation sweep (the schedule's workflow) does.
			orphan := start(north, repAna, "north", "north")
			get(orphan)
			if err := tc.TerminateWorkflow(ctx, wfc.FollowUpWorkflowID(orphan), "", "operator clean-up"); err != nil {
				t.Fatal(err)
			}
			if get(shortened)["state"] != "done" || get(apiID)["state"] != "open" {
				t.Fatal("setup: unexpected states before the sweep")
			}
			eventually(t, "the reconciliation to close the orphan", 30*time.Second, func() bool {
				run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "reconcile-" + uuid.NewString(), TaskQueue: wfc.TaskQueue},
					wfc.WorkflowPolicyRollout, &followupv1.RolloutInput{})
				if err != nil {
					t.Fatal(err)
				}
				var res followupv1.RolloutResult
				if err := run.Get(ctx, &res); err != nil {
					t.Fatal(err)
				}
				return get(orphan)["state"] == "cancelled"
			})
			if get(apiID)["state"] != "open" {
				t.Fatal("the reconciliation closed a follow-up whose workflow is running")
			}
		})
	}
}
