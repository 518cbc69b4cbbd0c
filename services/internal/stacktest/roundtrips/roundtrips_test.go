package roundtrips_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/closeloop/closeloop/platform/testenv"
	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	salesc "github.com/closeloop/closeloop/proto/contract/sales"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/internal/stacktest"
)

// Sizes of the two actions measured per follow-up.
const (
	rolloutFollowUps = 20 // running follow-ups a policy change reaches
	careCustomers    = 10 // customers a care sweep opens a follow-up for
)

// TestRoundTrips runs each business action once on the real stack and
// counts what it cost until its effects settled (see measure): the table
// (go test -v) is the one in docs/performance.md, "Round trips per business
// action (measured)"; with ROUNDTRIPS=1 it also prints the span trees of a
// lead creation and a visit request (ROUNDTRIPS=all: of every action, its
// request's trace only). It asserts what must hold whatever the
// design: every action leaves a trace, histories and SQL; the lead's first
// assignment runs its activities; a policy change signals every follow-up
// it reaches; a care sweep opens one follow-up per customer due.
func TestRoundTrips(t *testing.T) {
	for _, b := range testenv.Backends {
		t.Run(b.Name, func(t *testing.T) {
			start := time.Now()
			// On PostgreSQL the sales service has its own identity (as
			// make run gives it), so both ways a lead calls the other
			// services are counted: activity tasks on SQLite, local
			// activities over HTTP on PostgreSQL.
			identity := b.Name == "postgres"
			s := newStack(t, b.DSN, identity)
			ms := s.actions(t)
			t.Logf("\nTemporal: %s (%s); database: %s; sales service with its own identity: %v. Counted from the request until the action's effects settled (its condition held and its traces were quiet for %v); stack up and all actions in %v.\n\n%s\n%s",
				s.hostPort, testenv.TemporalBackend(), b.Name, identity, quiet, time.Since(start).Round(time.Second), table(ms), details(ms))
			byName := map[string]*measured{}
			for _, m := range ms {
				byName[m.name] = m
				if m.c.sql == 0 || len(m.trace) < 2 || m.answer <= 0 || m.settled <= 0 {
					t.Errorf("%s: no statement, no trace or no time: %+v, %d spans, %v / %v", m.name, m.c, len(m.trace), m.answer, m.settled)
				}
				if m.name == actCustomerContact {
					// No workflow: one transaction and the follow-up service asked.
					if m.c.http == 0 || m.c.executions != 0 {
						t.Errorf("%s: %+v", m.name, m.c)
					}
					continue
				}
				if m.c.executions == 0 || m.c.events < m.c.wfTasks*3 || m.c.wfTasks == 0 || m.c.temporalCalls == 0 {
					t.Errorf("%s: a workflow action with histories that do not add up: %+v", m.name, m.c)
				}
			}
			wantActivities := map[string][]string{
				// ResolvePolicies opens the follow-up too (change resolve-and-open).
				// RouteLead and AssignLead are local: the sales service hosts
				// new leads; routed first, one customer-service call finds the
				// customer and claims it (workflows/lead/route.go).
				actCreateLead: {customerc.ActivityEnsureCustomer, followupc.ActivityResolvePolicies},
			}
			if l := byName[actCreateLead]; l.activityBy[customerc.ActivityClaimCustomerOwner] != 0 || l.localBy[salesc.ActivityRouteLead] != 1 {
				t.Errorf("%s ran %s %d times and %s %d times locally, want never and once", actCreateLead, customerc.ActivityClaimCustomerOwner,
					l.activityBy[customerc.ActivityClaimCustomerOwner], salesc.ActivityRouteLead, l.localBy[salesc.ActivityRouteLead])
			}
			// The customer service hosts new customer-days: their visit
			// activities are local (workflows/visit/host.go), and each
			// request is decided against the stored day (stored.go).
			for name, a := range map[string]string{actBookVisit: customerc.ActivityDecideVisitRequest, actJoinVisit: customerc.ActivityDecideVisitRequest} {
				if v := byName[name]; v.c.activities != 0 || v.c.localActs != 1 || v.localBy[a] != 1 {
					t.Errorf("%s ran activities %v and local activities %v, want %s alone, local", name, v.activityBy, v.localBy, a)
				}
			}
			// A booking starts the visit's reminder timer alone: the new day
			// lets its request finish before it would wait for the day's end
			// (workflows/visit/host.go, settles), so no day-end timer.
			if v := byName[actBookVisit]; v.c.timers != 1 {
				t.Errorf("%s started %d timers, want 1 (the reminder)", actBookVisit, v.c.timers)
			}
			if l := byName[actCreateLead]; l.localBy[salesc.ActivityAssignLead] != 1 || l.activityBy[salesc.ActivityAssignLead] != 0 {
				t.Errorf("%s ran %s %d times as a local activity and %d as an activity task, want once, local (workflows/lead/host.go)",
					actCreateLead, salesc.ActivityAssignLead, l.localBy[salesc.ActivityAssignLead], l.activityBy[salesc.ActivityAssignLead])
			}
			if n := byName[actCreateLead].activityBy[followupc.ActivityOpenFollowUp]; n != 0 {
				t.Errorf("%s ran %s %d times, want none: the resolution opens the follow-up", actCreateLead, followupc.ActivityOpenFollowUp, n)
			}
			for name, as := range wantActivities {
				for _, a := range as {
					// With its identity the sales service calls them as
					// local activities (workflows/lead, callsLocal), never
					// as activity tasks.
					tasks, locals := byName[name].activityBy[a], byName[name].localBy[a]
					if identity {
						tasks, locals = locals, tasks
					}
					if tasks != 1 || locals != 0 {
						t.Errorf("%s ran %s %d times as an activity task and %d as a local activity; identity %v: %v, %v",
							name, a, byName[name].activityBy[a], byName[name].localBy[a], identity, byName[name].activityBy, byName[name].localBy)
					}
				}
			}
			if l := byName[actCreateLead]; identity && l.c.activities != 0 {
				t.Errorf("%s with the sales service's identity ran activity tasks %v, want none", actCreateLead, l.activityBy)
			}
			if lead := byName[actCreateLead]; lead.c.starts != 1 || lead.workflowBy[wfc.WorkflowLead] != 1 {
				t.Errorf("the lead creation started %d workflows: %v", lead.c.starts, lead.workflowBy)
			}
			if env := os.Getenv("ROUNDTRIPS"); env != "" {
				for _, m := range ms {
					if m.name == actCreateLead || m.name == actBookVisit || env == "all" {
						t.Logf("\nSpan tree of %q (%s, %s):\n%s", m.name, testenv.TemporalBackend(), b.Name, tree(m.trace, s.txs))
					}
				}
			}
		})
	}
}

const (
	actCreateLead      = "create lead (new company)"
	actBookVisit       = "request a visit (books a free day)"
	actJoinVisit       = "join a visit"
	actCustomerContact = "log a contact on a customer"
)

// actions runs every measured action in turn, each on what the ones before
// left (the reassigned lead is the one created first).
func (s *stack) actions(t *testing.T) []*measured {
	bg := context.Background()
	s.must(bg, "POST", "/v1/territories", mgrMia, map[string]any{"name": "Round trips north steel", "region": "north", "industry": "steel",
		"team": "north", "strategy": "round_robin", "reps": []map[string]any{
			{"rep_id": repAna, "capacity": 1000}, {"rep_id": repCy, "capacity": 1000}, {"rep_id": repDan, "capacity": 1000}}}, http.StatusCreated)
	var out []*measured
	escalation := func(poll context.Context, lead string) map[string]any {
		return s.must(poll, "GET", "/v1/leads/"+lead+"/escalation", mgrMia, nil, http.StatusOK)
	}

	// Lead for a new company: customer created, lead assigned by the
	// territory, customer claimed, first-contact follow-up opened.
	var lead, owner string
	out = append(out, s.measure(actCreateLead, func(ctx context.Context) func(context.Context) bool {
		l := s.must(ctx, "POST", "/v1/leads", mgrMia, map[string]any{"source": "web", "company_name": fmt.Sprintf("Round trips lead %d", time.Now().UnixNano()),
			"region": "north", "industry": "steel", "contact_name": "Li Wei"}, http.StatusCreated)
		lead, owner = l["id"].(string), l["owner_id"].(string)
		return func(poll context.Context) bool { return escalation(poll, lead)["follow_up_id"] != nil }
	}))

	// Lead for a customer that exists and has an owner.
	known := s.company(map[string]any{"owner_id": repAna})
	out = append(out, s.measure("create lead (existing customer)", func(ctx context.Context) func(context.Context) bool {
		l := s.must(ctx, "POST", "/v1/leads", mgrMia, map[string]any{"source": "web", "customer_id": known}, http.StatusCreated)
		id := l["id"].(string)
		return func(poll context.Context) bool { return escalation(poll, id)["follow_up_id"] != nil }
	}))

	// Reassign the first lead: its follow-up closed, a new one opened for the new owner.
	to := repCy
	if owner == repCy {
		to = repDan
	}
	oldFU := escalation(bg, lead)["follow_up_id"]
	out = append(out, s.measure("reassign a lead", func(ctx context.Context) func(context.Context) bool {
		s.must(ctx, "POST", "/v1/leads/"+lead+"/reassign", mgrMia, map[string]any{"to_owner_id": to, "reason": "round trips"}, http.StatusOK)
		return func(poll context.Context) bool {
			e := escalation(poll, lead)
			return e["owner_id"] == to && e["follow_up_id"] != nil && e["follow_up_id"] != oldFU
		}
	}))

	// The new owner logs the first contact: the lead's follow-up closes.
	fu := escalation(bg, lead)["follow_up_id"].(string)
	out = append(out, s.measure("log a contact on a lead", func(ctx context.Context) func(context.Context) bool {
		s.must(ctx, "POST", "/v1/leads/"+lead+"/contacts", to, map[string]any{"channel": "call", "summary": "round trips"}, http.StatusOK)
		return func(poll context.Context) bool {
			return s.must(poll, "GET", "/v1/follow-ups/"+fu, mgrMia, nil, http.StatusOK)["state"] == "done"
		}
	}))

	// A contact logged on a customer (the customer's history; it answers
	// its open follow-ups, here the bound lead's).
	out = append(out, s.measure(actCustomerContact, func(ctx context.Context) func(context.Context) bool {
		s.must(ctx, "POST", "/v1/actions", mgrMia, map[string]any{"kind": "log", "category": "phone_call", "department": "service",
			"title": "Round trips call", "summary": "all fine", "customer_ids": []string{known}}, http.StatusCreated)
		return nil
	}))

	// A visit on a free day, then another department joining it.
	visited := s.company(map[string]any{"owner_id": repAna})
	day := weekdayAhead(8)
	out = append(out, s.measure(actBookVisit, func(ctx context.Context) func(context.Context) bool {
		v := s.must(ctx, "POST", "/v1/customers/"+visited+"/visits", repAna, map[string]any{"day": day, "department": "sales",
			"purpose": "round trips", "start_time": "10:00"}, http.StatusCreated)
		if v["outcome"] != "booked" {
			t.Fatalf("visit: %v", v)
		}
		return nil
	}))
	out = append(out, s.measure(actJoinVisit, func(ctx context.Context) func(context.Context) bool {
		v := s.must(ctx, "POST", "/v1/customers/"+visited+"/visits", mgrMia, map[string]any{"day": day, "department": "service",
			"purpose": "round trips", "join": true}, http.StatusOK)
		if v["outcome"] != "joined" {
			t.Fatalf("join: %v", v)
		}
		return nil
	}))

	// A follow-up opened through the API.
	out = append(out, s.measure("open a follow-up (API)", func(ctx context.Context) func(context.Context) bool {
		f := s.must(ctx, "POST", "/v1/follow-ups", mgrMia, map[string]any{"kind": "first_contact", "customer_id": visited, "title": "round trips"},
			http.StatusCreated, http.StatusAccepted)
		id := f["id"].(string)
		return func(poll context.Context) bool {
			st, _ := s.call(poll, "GET", "/v1/follow-ups/"+id, mgrMia, nil)
			return st == http.StatusOK
		}
	}))

	out = append(out, s.rollout(t))
	sweep, cared := s.careSweep(t)
	out = append(out, sweep)

	// A contact logged on a customer with an open care follow-up: it
	// answers (closes) the follow-up.
	out = append(out, s.measure("log a contact on a customer with an open care follow-up", func(ctx context.Context) func(context.Context) bool {
		r := s.must(ctx, "POST", "/v1/actions", mgrMia, map[string]any{"kind": "log", "category": "phone_call", "department": "service",
			"title": "Round trips care call", "summary": "all fine", "customer_ids": []string{cared}}, http.StatusCreated)
		closed, _ := r["closed_follow_ups"].([]any)
		if len(closed) != 1 {
			t.Fatalf("the contact closed %v; want the customer's care follow-up", r["closed_follow_ups"])
		}
		id := closed[0].(map[string]any)["id"].(string)
		return func(poll context.Context) bool {
			return s.must(poll, "GET", "/v1/follow-ups/"+id, mgrMia, nil, http.StatusOK)["state"] == "done"
		}
	}))
	return out
}

// rollout measures a policy change reaching running follow-ups: opened
// first (rolloutFollowUps of them, besides any the actions before left
// open), then the first-contact SLA changed; settled once every one of them
// carries the new version. Divided by the follow-ups signalled. The
// rollout's second sweep a minute later (ResweepDelay) is not counted.
func (s *stack) rollout(t *testing.T) *measured {
	bg := context.Background()
	var ids []string
	for range rolloutFollowUps {
		c := s.company(map[string]any{"owner_id": repAna})
		f := s.must(bg, "POST", "/v1/follow-ups", mgrMia, map[string]any{"kind": "first_contact", "customer_id": c, "title": "rollout"},
			http.StatusCreated, http.StatusAccepted)
		ids = append(ids, f["id"].(string))
	}
	version := func(poll context.Context, id string) int64 {
		st, f := s.call(poll, "GET", "/v1/follow-ups/"+id, mgrMia, nil)
		if st != http.StatusOK {
			return 0
		}
		p, _ := f["policy"].(map[string]any)
		v, _ := p["version"].(float64)
		return int64(v)
	}
	stacktest.Eventually(t, "the rollout's follow-ups stored", 60*time.Second, func() bool {
		for _, id := range ids {
			if version(bg, id) == 0 {
				return false
			}
		}
		return true
	})
	m := s.measure("policy rollout", func(ctx context.Context) func(context.Context) bool {
		// An hour on the calendar brings every due time sooner than the
		// default four business hours, at any time of day, so every
		// workflow is signalled (a change that moves its next action later
		// would leave it to its timer: domain.NeedsNoWake).
		v := s.must(ctx, "POST", "/v1/policies/lead.first_contact_sla/versions", analyst, map[string]any{
			"value": map[string]any{"timer": map[string]any{"duration": "1h", "clock": "calendar"}}, "reason": "round trips"}, http.StatusCreated)
		want := int64(v["version"].(float64))
		return func(poll context.Context) bool {
			for _, id := range ids {
				if version(poll, id) != want {
					return false
				}
			}
			return true
		}
	})
	// What it reached: the follow-up workflows signalled (every signal of
	// the action went to one).
	m.per, m.perWhat = m.c.signals, "follow-up reached"
	if m.per < rolloutFollowUps {
		t.Errorf("the policy change signalled %d workflows, want at least %d", m.per, rolloutFollowUps)
	}
	// Each signal carries the resolution and the deadline the rollout
	// stored (change rollout-carries-resolution): the follow-ups reached
	// run no activity of their own, only the rollout's pages run.
	if pages := m.activityBy["followup.RolloutPage"]; m.c.activities != pages {
		t.Errorf("the policy change ran %d activities besides its %d pages: %v", m.c.activities-pages, pages, m.activityBy)
	}
	return m
}

// careSweep measures a care sweep opening careCustomers care follow-ups:
// customers in care whose gap runs out within the sweep's lookahead; the
// sweep started as its schedule would, through the customer service's
// (traced) Temporal client. Divided by the follow-ups opened.
// It returns one of the customers.
func (s *stack) careSweep(t *testing.T) (*measured, string) {
	gdb := s.customer.app.Deps().DB
	anchor := time.Now().UTC().Add(-30*24*time.Hour + 10*time.Minute) // class A: due in 10 minutes
	var id string
	for range careCustomers {
		id = s.company(map[string]any{"lifecycle_stage": "transacting", "owner_id": repAna})
		if err := gdb.Exec("UPDATE customers SET value_class = ?, care_from = ? WHERE id = ?", "A", anchor, id).Error; err != nil {
			t.Fatal(err)
		}
	}
	var opened int64
	m := s.measure("care sweep", func(ctx context.Context) func(context.Context) bool {
		run, err := s.customer.app.Deps().Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: wfc.CareSweepWorkflowID("roundtrips-" + time.Now().Format("150405.000000000")), TaskQueue: wfc.TaskQueue,
		}, wfc.WorkflowCareSweep, &followupv1.CareSweepInput{Lookahead: durationpb.New(time.Hour), Reason: "round trips"})
		if err != nil {
			t.Fatal(err)
		}
		var res followupv1.CareSweepResult
		if err := run.Get(ctx, &res); err != nil {
			t.Fatalf("sweep: %v", err)
		}
		opened = res.GetOpened()
		return nil
	})
	if opened != careCustomers {
		t.Errorf("the care sweep opened %d follow-ups, want %d", opened, careCustomers)
	}
	m.per, m.perWhat = int(opened), "follow-up opened"
	return m, id
}

// weekdayAhead is the n-th Monday-to-Friday day after today (UTC): a
// working day of the shipped default calendar.
func weekdayAhead(n int) string {
	d := time.Now().UTC()
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return d.Format(time.DateOnly)
}
