package customer_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/customer/internal/visits"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/workflows"
	"github.com/closeloop/closeloop/workflows/visit"
)

// TestCareCadence runs care for existing customers on a real Temporal server
// and each database, the follow-up service beside the customer service, each
// with its own database. With the default cadence (A 30 days, B 60, C 120):
// a sweep opens care follow-ups only for the customers in care whose gap runs
// out within the lookahead, each due exactly one cadence after its anchor,
// for its owner, and records them in the customer database; a second sweep
// opens nothing more; the follow-up steps when due; a contact logged by
// another department closes it and restarts the cadence; a class change
// cancels the open follow-up and opens one under the new class at once; a
// manager's cancel waives the round and an owner's completion counts as the
// contact (each told to the customer service by the follow-up's close
// notice); a follow-up whose workflow was terminated is closed by the next
// sweep and a new one opened, and one of the previous release (no close
// notice) is closed by the sweep as its workflow's result says; a customer
// leaving care has its follow-up cancelled.
func TestCareCadence(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			// A namespace of its own: the sweep an ABC run starts outlives
			// the subtest and must not reach the next backend's worker.
			hostPort, _ := testenv.Temporal(t)
			namespace := ownNamespace(t, hostPort, "care-"+b.Name)
			startWorker(t, hostPort, namespace, nil)
			s := newStack(t, b.DSN(t), stackOpts{temporal: hostPort, namespace: namespace})
			gdb := s.app.Deps().DB
			tc := s.app.Deps().Temporal
			ctx := context.Background()
			day := 24 * time.Hour

			inCare := func(class string, anchor time.Time) string {
				// Reps create leads and prospects; a manager takes over a buying account.
				id := s.create(mgrMia, company(map[string]any{"lifecycle_stage": "transacting", "owner_id": repAna}))
				setCare(t, gdb, id, class, anchor)
				return id
			}
			now := time.Now().UTC().Truncate(time.Second)
			soon := inCare("A", now.Add(-30*day+8*time.Second)) // due in 8 s
			late := inCare("B", now.Add(-61*day))               // overdue by a day
			fresh := inCare("C", now.Add(-10*day))              // due in 110 days
			prospect := s.create(repAna, company(map[string]any{"lifecycle_stage": "prospect"}))
			setCare(t, gdb, prospect, "A", now.Add(-90*day)) // not in care: never chased

			// Histories of this run are recorded for the replay test
			// (workflows/testdata, with UPDATE_HISTORIES=1).
			record := func(workflowID, name string) {
				if b.Name == "postgres" && os.Getenv("UPDATE_HISTORIES") != "" {
					if err := tc.GetWorkflow(ctx, workflowID, "").Get(ctx, nil); err != nil {
						t.Fatalf("%s: %v", workflowID, err)
					}
					testenv.SaveHistory(t, tc, workflowID, filepath.Join("../../workflows/testdata", name+".json"))
				}
			}
			var lastSweep string
			sweep := func() *followupv1.CareSweepResult {
				t.Helper()
				lastSweep = wfc.CareSweepWorkflowID("test-" + time.Now().Format("150405.000000000"))
				run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
					ID: lastSweep, TaskQueue: wfc.TaskQueue,
				}, wfc.WorkflowCareSweep, &followupv1.CareSweepInput{Lookahead: durationpb.New(time.Hour), Reason: "test"})
				if err != nil {
					t.Fatal(err)
				}
				var res followupv1.CareSweepResult
				if err := run.Get(ctx, &res); err != nil {
					t.Fatalf("sweep: %v", err)
				}
				return &res
			}
			careOf := func(customer, state string) []map[string]any {
				t.Helper()
				r := s.call("GET", "/v1/follow-ups?kind=care_contact&state="+state+"&customer_id="+customer, mgrMia, nil)
				if r.status != 200 {
					t.Fatalf("list: %d %s", r.status, r.body)
				}
				var out []map[string]any
				for _, it := range r.json(t)["items"].([]any) {
					out = append(out, it.(map[string]any))
				}
				return out
			}
			openOne := func(customer string) map[string]any {
				t.Helper()
				var open []map[string]any
				stacktest.Eventually(t, "one open care follow-up of "+customer, 60*time.Second, func() bool {
					open = careOf(customer, "open")
					return len(open) == 1
				})
				return open[0]
			}
			// The customer service's own record of its care follow-ups.
			recorded := func(id string) (state, by string) {
				t.Helper()
				var r struct{ State, ClosedBy string }
				if err := gdb.Raw("SELECT state, closed_by FROM care_followups WHERE id = ?", id).Scan(&r).Error; err != nil {
					t.Fatal(err)
				}
				return r.State, r.ClosedBy
			}
			// closedAs waits for a follow-up closed in the follow-up service
			// (its workflow closes the record once signalled) and in the
			// customer service's record.
			closedAs := func(id, state, noteHas string) map[string]any {
				t.Helper()
				var f map[string]any
				stacktest.Eventually(t, "follow-up "+id+" closed "+state, 60*time.Second, func() bool {
					f = s.call("GET", "/v1/follow-ups/"+id, mgrMia, nil).json(t)
					st, _ := recorded(id)
					note, _ := f["close_note"].(string)
					return f["state"] == state && st == state && strings.Contains(note, noteHas)
				})
				return f
			}
			dueOf := func(f map[string]any) time.Time {
				d, err := time.Parse(time.RFC3339Nano, f["due_at"].(string))
				if err != nil {
					t.Fatal(err)
				}
				return d
			}

			res := sweep()
			if res.GetOpened() != 2 || res.GetScanned() != 2 {
				t.Fatalf("first sweep: %+v; want the two customers due within the hour opened and nobody else read", res)
			}
			fSoon, fLate := openOne(soon), openOne(late)
			if !dueOf(fSoon).Equal(now.Add(8*time.Second)) || fSoon["owner_id"] != repAna || fSoon["policy"].(map[string]any)["key"] != "A" {
				t.Fatalf("the A customer's care follow-up: %v; want due exactly 30 days after its anchor, for its owner, under key A", fSoon)
			}
			if !dueOf(fLate).Equal(now.Add(-day)) || fLate["policy"].(map[string]any)["key"] != "B" {
				t.Fatalf("the B customer's care follow-up: %v", fLate)
			}
			for _, f := range []map[string]any{fSoon, fLate} {
				if st, _ := recorded(f["id"].(string)); st != "open" {
					t.Fatalf("the customer service recorded follow-up %v as %q; want open", f["id"], st)
				}
			}
			// The customer's care status, from the terms the sweep handed
			// over, agrees with the follow-up engine.
			for _, c := range []struct {
				id string
				f  map[string]any
			}{{soon, fSoon}, {late, fLate}} {
				cs, _ := s.call("GET", "/v1/customers/"+c.id, repAna, nil).json(t)["care"].(map[string]any)
				open, _ := cs["open_follow_up"].(map[string]any)
				if due, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(cs["due_at"])); !due.Equal(dueOf(c.f)) || open["id"] != c.f["id"] || cs["terms_as_of"] == nil {
					t.Fatalf("care status of %s: %v; want due at %v with follow-up %v open", c.id, cs, dueOf(c.f), c.f["id"])
				}
			}
			if len(careOf(fresh, "all")) != 0 || len(careOf(prospect, "all")) != 0 {
				t.Fatal("a customer not yet due, or not in care, got a care follow-up")
			}
			// The care fields are read-only: a rep cannot reset the clock.
			if r := s.call("PATCH", "/v1/customers/"+late, repAna, map[string]any{"care_from": now.Format(time.RFC3339)}); r.status != http.StatusBadRequest || r.code(t) != "unknown_field" {
				t.Fatalf("PATCH care_from: %d %s", r.status, r.body)
			}
			if c := s.call("GET", "/v1/customers/"+late, repAna, nil).json(t); c["last_contact_at"] != nil || c["care_from"] == now.Format(time.RFC3339) {
				t.Fatalf("a refused PATCH changed the care fields: %v", c)
			}
			// Idempotent: nothing more to open.
			if again := sweep(); again.GetOpened() != 0 || again.GetChecked() != 2 || again.GetCancelled()+again.GetCompleted() != 0 {
				t.Fatalf("second sweep: %+v", again)
			}

			// Ignored, it escalates: the overdue one at once, the other when due.
			for _, c := range []string{late, soon} {
				stacktest.Eventually(t, "the care follow-up of "+c+" reminds its owner", 60*time.Second, func() bool {
					f := careOf(c, "open")
					return len(f) == 1 && f[0]["escalation_level"].(float64) >= 1 && f[0]["last_action"] == "remind"
				})
			}

			// A service engineer's call answers the sales rep's care follow-up.
			r := s.call("POST", "/v1/actions", mgrMia, map[string]any{"kind": "log", "category": "phone_call", "department": "service",
				"title": "Checked the installation", "summary": "all fine", "customer_ids": []string{soon}})
			if r.status != http.StatusCreated {
				t.Fatalf("log: %d %s", r.status, r.body)
			}
			if closed := r.json(t)["closed_follow_ups"].([]any); len(closed) != 1 || closed[0].(map[string]any)["id"] != fSoon["id"] {
				t.Fatalf("the logged call closed %v; want the care follow-up %v", closed, fSoon["id"])
			}
			// Recorded closed at once (by the contact's author); the follow-up
			// service's record once the workflow took the signal.
			if st, by := recorded(fSoon["id"].(string)); st != "done" || by != mgrMia {
				t.Fatalf("the answered follow-up is recorded %s by %s; want done by %s", st, by, mgrMia)
			}
			closedAs(fSoon["id"].(string), "done", "contact was logged")
			record(fSoon["workflow_id"].(string), "care-follow-up-reminded-then-answered")
			cust := s.call("GET", "/v1/customers/"+soon, repAna, nil).json(t)
			if cust["last_contact_at"] == nil {
				t.Fatalf("the customer shows no last contact: %v", cust)
			}
			if res := sweep(); res.GetOpened() != 0 {
				t.Fatalf("after the contact the cadence restarts, yet the sweep opened %d", res.GetOpened())
			}

			// Reclassification B → A takes effect at once.
			if err := gdb.Exec("UPDATE customers SET value_class = 'A' WHERE id = ?", late).Error; err != nil {
				t.Fatal(err)
			}
			res = sweep()
			if res.GetCancelled() != 1 || res.GetOpened() != 1 {
				t.Fatalf("sweep after a class change: %+v; want the B follow-up cancelled and an A one opened", res)
			}
			closedAs(fLate["id"].(string), "cancelled", "from B to A")
			record(lastSweep, "care-sweep-class-changed")
			fA := openOne(late)
			if fA["id"] == fLate["id"] || fA["policy"].(map[string]any)["key"] != "A" || !dueOf(fA).Equal(now.Add(-31*day)) {
				t.Fatalf("the new follow-up: %v; want a new one under A, due 30 days after the same anchor", fA)
			}

			// A manager waives this round: the cadence restarts from the cancel.
			if r := s.call("POST", "/v1/follow-ups/"+fA["id"].(string)+"/cancel", mgrMia, map[string]any{"note": "customer closed for the season"}); r.status != 200 {
				t.Fatalf("cancel: %d %s", r.status, r.body)
			}
			// The close notice reaches the customer service: the round is
			// waived (the cadence restarts from the cancel, the epoch moves).
			closedAs(fA["id"].(string), "cancelled", "closed for the season")
			if _, by := recorded(fA["id"].(string)); by != mgrMia {
				t.Fatalf("the waived follow-up is recorded closed by %q", by)
			}
			if c := careFields(t, gdb, late); c.CareEpoch < 2 || c.CareFrom.Before(now) {
				t.Fatalf("after the manager's cancel: %+v; want the epoch moved twice (class change, cancel) and the cadence restarted", c)
			}
			if res := sweep(); res.GetOpened() != 0 {
				t.Fatalf("a waived round was reopened: %+v", res)
			}

			// The owner completes a care follow-up: the close counts as the contact.
			completed := inCare("A", now.Add(-31*day))
			if res := sweep(); res.GetOpened() != 1 {
				t.Fatalf("the customer to complete is overdue: %+v", res)
			}
			fC := openOne(completed)
			if r := s.call("POST", "/v1/follow-ups/"+fC["id"].(string)+"/complete", repAna, map[string]any{"note": "called them"}); r.status != 200 {
				t.Fatalf("complete: %d %s", r.status, r.body)
			}
			closedAs(fC["id"].(string), "done", "called them")
			if c := careFields(t, gdb, completed); c.LastContactAt == nil || c.LastContactAt.Before(now) || !c.CareFrom.Equal(*c.LastContactAt) {
				t.Fatalf("after the owner completed the care follow-up: %+v; want the close counted as the contact", c)
			}
			if res := sweep(); res.GetOpened() != 0 {
				t.Fatalf("a completed round was reopened: %+v", res)
			}

			// A follow-up whose workflow ends without a close notice
			// (terminated) does not block its customer: the next sweep closes
			// its record as cancelled and opens the next round under a new id.
			stuck := inCare("A", now.Add(-31*day))
			if res := sweep(); res.GetOpened() != 1 {
				t.Fatalf("the customer to get stuck is overdue: %+v", res)
			}
			fS := openOne(stuck)
			if err := tc.TerminateWorkflow(ctx, fS["workflow_id"].(string), "", "test: lost without a close notice"); err != nil {
				t.Fatal(err)
			}
			var unstuck *followupv1.CareSweepResult
			stacktest.Eventually(t, "a sweep to close the terminated follow-up's record", 60*time.Second, func() bool {
				unstuck = sweep() // Temporal's visibility catches up in a moment
				return unstuck.GetCancelled() == 1
			})
			if unstuck.GetOpened() != 1 {
				t.Fatalf("the sweep that closed the terminated follow-up's record: %+v; want the next round opened", unstuck)
			}
			if st, by := recorded(fS["id"].(string)); st != "cancelled" || by != "system:care" {
				t.Fatalf("the terminated follow-up is recorded %s by %s", st, by)
			}

			// A care follow-up opened by the previous release asked for no
			// close notice (its record came from migration 11): once its
			// workflow ended, the sweep closes the record as the workflow's
			// result says — here done by the owner, which counts as the contact.
			legacy := inCare("A", now.Add(-31*day))
			legacyID := uuid.NewString()
			if _, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wfc.FollowUpWorkflowID(legacyID), TaskQueue: wfc.TaskQueue},
				wfc.WorkflowFollowUp, &followupv1.FollowUpSpec{Id: legacyID, Kind: "care_contact", CustomerId: legacy, OwnerId: repAna,
					Team: "north", Territory: "north", Title: "Care contact (previous release)", AnchorAt: timestamppb.New(now.Add(-31 * day)),
					PolicyKey: "A", OpenedBy: "system:care"}); err != nil {
				t.Fatal(err)
			}
			if err := gdb.Exec(`INSERT INTO care_followups (id, customer_id, owner_id, policy_key, anchor_at, epoch, workflow_id, opened_at, state)
				VALUES (?, ?, ?, 'A', ?, 0, ?, ?, 'open')`, legacyID, legacy, repAna, now.Add(-31*day), wfc.FollowUpWorkflowID(legacyID), now).Error; err != nil {
				t.Fatal(err)
			}
			openOne(legacy)
			if r := s.call("POST", "/v1/follow-ups/"+legacyID+"/complete", repAna, map[string]any{"note": "visited them"}); r.status != 200 {
				t.Fatalf("complete the previous release's follow-up: %d %s", r.status, r.body)
			}
			stacktest.Eventually(t, "a sweep to close the previous release's follow-up as its workflow did", 60*time.Second, func() bool {
				return sweep().GetCompleted() == 1
			})
			if st, by := recorded(legacyID); st != "done" || by != repAna {
				t.Fatalf("the previous release's follow-up is recorded %s by %s; want done by %s", st, by, repAna)
			}
			if c := careFields(t, gdb, legacy); c.LastContactAt == nil || c.LastContactAt.Before(now) || c.CareEpoch != 0 {
				t.Fatalf("after the previous release's follow-up was completed: %+v; want the close counted as the contact", c)
			}

			// A logged visit is a contact: it moves the anchor, and the sweep
			// closes a care follow-up still open as answered.
			visited := inCare("A", now.Add(-31*day))
			if res := sweep(); res.GetOpened() != 1 {
				t.Fatalf("the visited customer is overdue: %+v", res)
			}
			fV := openOne(visited)
			vs := visits.NewStore(gdb)
			start := now.Add(-2 * time.Hour)
			if err := vs.Book(ctx, &visit.BookInput{VisitId: visited[:30] + "-visit", WorkflowId: "Visit:test", RequestId: "r1", CustomerId: visited,
				Day: start.Format("2006-01-02"), StartAt: visit.Stamp(start), EndAt: visit.Stamp(start.Add(time.Hour)), BookedBy: repBo, Team: "south",
				Department: "service", Purpose: "maintenance", At: visit.Stamp(start.Add(-day))}); err != nil {
				t.Fatal(err)
			}
			if err := vs.Log(ctx, &visit.LogInput{VisitId: visited[:30] + "-visit", Actor: repBo, Summary: "serviced the line", At: visit.Stamp(now)}); err != nil {
				t.Fatal(err)
			}
			if c := s.call("GET", "/v1/customers/"+visited, repAna, nil).json(t); c["last_contact_at"] == nil {
				t.Fatalf("the visit did not count as a contact: %v", c)
			}
			if res := sweep(); res.GetCompleted() != 1 || res.GetOpened() != 0 {
				t.Fatalf("sweep after the visit: %+v; want its care follow-up completed and nothing opened", res)
			}
			closedAs(fV["id"].(string), "done", "contact was logged")

			// Leaving care cancels the open follow-up.
			setCare(t, gdb, fresh, "C", now.Add(-121*day))
			if res := sweep(); res.GetOpened() != 1 {
				t.Fatalf("the C customer is now overdue: %+v", res)
			}
			fFresh := openOne(fresh)
			if r := s.call("POST", "/v1/customers/"+fresh+"/lifecycle", repAna, map[string]any{"to": "lost", "reason": "went to a competitor"}); r.status != 200 {
				t.Fatalf("lifecycle: %d %s", r.status, r.body)
			}
			if res := sweep(); res.GetCancelled() != 1 || res.GetOpened() != 0 {
				t.Fatalf("sweep after the customer was lost: %+v", res)
			}
			closedAs(fFresh["id"].(string), "cancelled", "left care")

			// A real reclassification takes effect on care at once, without
			// waiting for the schedule: every customer here scores 0, so the A
			// customer becomes C, and the run's own care sweep cancels its A
			// follow-up (C's 120 days have not run out).
			reclassed := inCare("A", now.Add(-31*day))
			if res := sweep(); res.GetOpened() != 1 {
				t.Fatalf("the A customer is overdue: %+v", res)
			}
			fR := openOne(reclassed)
			r = s.call("POST", "/v1/abc/reclassifications", analyst, map[string]any{"reason": "quarterly review"})
			if r.status != http.StatusAccepted {
				t.Fatalf("reclassify: %d %s", r.status, r.body)
			}
			reclassID := r.json(t)["workflow_id"].(string)
			stacktest.Eventually(t, "the reclassification's care sweep to cancel the A follow-up", 90*time.Second, func() bool {
				f := s.call("GET", "/v1/follow-ups/"+fR["id"].(string), mgrMia, nil).json(t)
				return f["state"] == "cancelled" && strings.Contains(f["close_note"].(string), "from A to C")
			})
			if open := careOf(reclassed, "open"); len(open) != 0 {
				t.Fatalf("a C customer last contacted 31 days ago has an open care follow-up: %v", open)
			}
			record(reclassID, "reclassify-abc-starting-a-care-sweep")
			record(fR["workflow_id"].(string), "care-follow-up-cancelled-by-reclassification")
		})
	}
}

// careFields reads a customer's care columns.
func careFields(t *testing.T, gdb *gorm.DB, id string) (c struct {
	CareFrom      time.Time
	LastContactAt *time.Time
	CareEpoch     int64
}) {
	t.Helper()
	if err := gdb.Raw("SELECT care_from, last_contact_at, care_epoch FROM customers WHERE id = ?", id).Scan(&c).Error; err != nil {
		t.Fatal(err)
	}
	return c
}

// setCare sets a customer's class and care anchor as if it had been
// classified and last contacted then.
func setCare(t *testing.T, gdb *gorm.DB, id, class string, anchor time.Time) {
	t.Helper()
	if err := gdb.Exec("UPDATE customers SET value_class = ?, care_from = ? WHERE id = ?", class, anchor.UTC(), id).Error; err != nil {
		t.Fatal(err)
	}
}

// ownNamespace registers a fresh Temporal namespace (with the search
// attributes and schedules) before any worker polls it.
func ownNamespace(t *testing.T, hostPort, prefix string) string {
	t.Helper()
	ns := fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano())
	c, err := client.Dial(client.Options{HostPort: hostPort, Namespace: ns, Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := workflows.Setup(context.Background(), c, ns, workflows.Config{NamespaceRetention: 24 * time.Hour}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("temporal setup: %v", err)
	}
	return ns
}
