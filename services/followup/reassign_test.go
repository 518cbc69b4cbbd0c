package followup_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
)

// row is a follow-up as its workflow would have stored it.
type row struct {
	id, kind, customer, owner, team, state, workflow, openedBy string
	due                                                        time.Time
	closedAt                                                   *time.Time
}

func insert(t testing.TB, gdb *gorm.DB, r row) {
	t.Helper()
	if r.workflow == "" {
		r.workflow = wfc.FollowUpWorkflowID(r.id)
	}
	if r.openedBy == "" {
		r.openedBy = "test"
	}
	if r.state == "" {
		r.state = "open"
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	var closedBy *string
	if r.closedAt != nil {
		by := "test"
		closedBy = &by
		c := r.closedAt.UTC()
		r.closedAt = &c
	}
	if err := gdb.Exec(`INSERT INTO follow_ups (id, kind, customer_id, owner_id, team, territory, state, anchor_at, due_at, workflow_id, opened_by,
			created_at, updated_at, closed_at, closed_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.id, r.kind, r.customer, r.owner, r.team, r.team, r.state, r.due.UTC().Add(-time.Hour),
		r.due.UTC(), r.workflow, r.openedBy, now, now, r.closedAt, closedBy).Error; err != nil {
		t.Fatal(err)
	}
}

func fuID(n int) string { return fmt.Sprintf("0190c000-0000-7000-8000-%012d", n) }

// TestReassignFollowUp: a manager gives an overdue follow-up of their team to
// another rep of it with a reason; the history says who and why, the overdue
// list and counts show the new owner at once, and the old owner no longer
// sees it. An admin moves one to another team, whose manager then sees it
// and the first manager does not. Every refusal — by role, scope, team,
// directory, state, or because another service decides the owner (with the
// endpoint to use instead) — changes nothing.
func TestReassignFollowUp(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) { reassign(t, b.DSN(t)) })
	}
}

func reassign(t *testing.T, dsn string) {
	s := newStack(t, dsn, stackOpts{})
	gdb := s.app.Deps().DB
	north := s.create(mgrMia, company(map[string]any{"owner_id": repAna, "team": "north"}))
	south := s.create(admin, company(map[string]any{"owner_id": repBo, "team": "south", "region": "south"}))
	late := time.Now().Add(-30 * time.Hour)
	const (
		callback = iota + 1
		escalated
		southFU
		closed
		lead
		opportunity
		visit
		care
		careByPerson
		toSouth
	)
	done := time.Now().Add(-time.Hour)
	for _, r := range []row{
		{id: fuID(callback), kind: "callback", customer: north, owner: repAna, team: "north", due: late},
		{id: fuID(escalated), kind: "callback", customer: north, owner: repAna, team: "north", state: "escalated", due: late.Add(-48 * time.Hour)},
		{id: fuID(southFU), kind: "callback", customer: south, owner: repBo, team: "south", due: late},
		{id: fuID(closed), kind: "callback", customer: north, owner: repAna, team: "north", state: "done", due: late, closedAt: &done},
		{id: fuID(lead), kind: "first_contact", customer: north, owner: repAna, team: "north", due: late, workflow: wfc.LeadWorkflowID("lead-7"), openedBy: "workflow"},
		{id: fuID(opportunity), kind: "stale_stage", customer: north, owner: repAna, team: "north", due: late, workflow: wfc.OpportunityWorkflowID("opp-3"), openedBy: "workflow"},
		{id: fuID(visit), kind: "visit_log", customer: north, owner: repAna, team: "north", due: late, workflow: wfc.VisitWorkflowID(north, "2026-04-02"), openedBy: "workflow"},
		{id: fuID(care), kind: "care_contact", customer: north, owner: repAna, team: "north", due: late, openedBy: "system:care"},
		{id: fuID(careByPerson), kind: "care_contact", customer: north, owner: repAna, team: "north", due: late, openedBy: mgrMia},
		{id: fuID(toSouth), kind: "callback", customer: north, owner: repAna, team: "north", due: late},
	} {
		insert(t, gdb, r)
	}
	path := func(n int) string { return "/v1/follow-ups/" + fuID(n) + "/reassign" }
	body := func(owner, team, reason string) map[string]any {
		b := map[string]any{"owner_id": owner, "reason": reason}
		if team != "" {
			b["team"] = team
		}
		return b
	}
	// Admins disable a rep who left: nobody gives them follow-ups any more.
	if r := s.call("POST", "/v1/users/rep-di/disable", admin, nil); r.status != http.StatusOK {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}

	snapshot := func() string {
		var rows []struct {
			ID, OwnerID, Team, State string
			UpdatedAt                time.Time
		}
		if err := gdb.Raw("SELECT id, owner_id, team, state, updated_at FROM follow_ups ORDER BY id").Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		var n int64
		gdb.Raw("SELECT COUNT(*) FROM follow_up_events").Scan(&n)
		return fmt.Sprintf("%v %d", rows, n)
	}
	before := snapshot()
	for _, c := range []struct {
		name   string
		n      int
		user   string
		body   any
		status int
		code   string
		field  string
	}{
		{"a rep", callback, repAna, body("rep-cy", "", "x"), 403, "forbidden", ""},
		{"an analyst", callback, analyst, body("rep-cy", "", "x"), 403, "forbidden", ""},
		{"another team's follow-up", southFU, mgrMia, body("rep-cy", "", "x"), 404, "not_found", ""},
		{"no such follow-up", 999, mgrMia, body("rep-cy", "", "x"), 404, "not_found", ""},
		{"to a team the manager does not manage", callback, mgrMia, body("rep-bo", "south", "x"), 403, "owner_out_of_scope", ""},
		{"to a rep of another team", callback, mgrMia, body("rep-bo", "", "x"), 422, "validation_failed", "owner_id"},
		{"to nobody known", callback, mgrMia, body("rep-nobody", "", "x"), 422, "validation_failed", "owner_id"},
		{"to an analyst", callback, admin, body(analyst, "", "x"), 422, "validation_failed", "owner_id"},
		{"to a disabled rep", callback, admin, body("rep-di", "south", "x"), 422, "validation_failed", "owner_id"},
		{"without a reason", callback, mgrMia, body("rep-cy", "", " "), 422, "validation_failed", "reason"},
		{"without an owner", callback, mgrMia, map[string]any{"reason": "x"}, 422, "validation_failed", "owner_id"},
		{"to its owner", callback, mgrMia, body(repAna, "north", "x"), 422, "same_owner", ""},
		{"a closed follow-up", closed, mgrMia, body("rep-cy", "", "x"), 422, "already_closed", ""},
		{"a lead's first contact", lead, mgrMia, body("rep-cy", "", "x"), 409, "owner_held_by_lead", ""},
		{"an opportunity's review", opportunity, mgrMia, body("rep-cy", "", "x"), 409, "owner_held_by_opportunity", ""},
		{"a visit's log", visit, mgrMia, body("rep-cy", "", "x"), 409, "owner_held_by_visit", ""},
		{"a care sweep's care contact", care, admin, body("rep-cy", "", "x"), 409, "owner_held_by_customer", ""},
		{"an unknown field", callback, mgrMia, `{"owner_id":"rep-cy","reason":"x","priority":1}`, 400, "unknown_field", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := s.call("POST", path(c.n), c.user, c.body)
			m := r.json(t)
			if r.status != c.status || m["code"] != c.code || m["message"] == "" {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, c.status, c.code)
			}
			if c.field != "" && !strings.Contains(string(r.body), `"field":"`+c.field+`"`) {
				t.Fatalf("no field error on %s: %s", c.field, r.body)
			}
		})
	}
	if after := snapshot(); after != before {
		t.Fatalf("refusals changed data:\nbefore %s\nafter  %s", before, after)
	}
	// The 409 says where to go instead, machine-readably too.
	r := s.call("POST", path(lead), mgrMia, body("rep-cy", "", "x")).json(t)
	if d, _ := r["details"].(map[string]any); d["service"] != "sales" || d["endpoint"] != "POST /v1/leads/{id}/reassign" || d["lead_id"] != "lead-7" ||
		!strings.Contains(r["message"].(string), "POST /v1/leads/lead-7/reassign") {
		t.Fatalf("lead refusal %v", r)
	}
	r = s.call("POST", path(care), admin, body("rep-cy", "", "x")).json(t)
	if d, _ := r["details"].(map[string]any); d["endpoint"] != "PATCH /v1/customers/{id}" || d["customer_id"] != north {
		t.Fatalf("care refusal %v", r)
	}

	// The manager gives the overdue callback to rep-cy.
	got := s.call("POST", path(callback), mgrMia, body("rep-cy", "", "Ana is on leave"))
	if got.status != http.StatusOK {
		t.Fatalf("reassign: %d %s", got.status, got.body)
	}
	v := got.json(t)
	evs := v["events"].([]any)
	last := evs[len(evs)-1].(map[string]any)
	if v["owner_id"] != "rep-cy" || v["team"] != "north" || v["state"] != "open" || v["overdue"] != true ||
		last["action"] != "reassigned" || last["actor"] != mgrMia || last["detail"] != "reassigned from rep-ana to rep-cy: Ana is on leave" {
		t.Fatalf("reassigned %s", got.body)
	}
	owners := func(user string) map[string]float64 {
		out := map[string]float64{}
		for _, c := range s.call("GET", "/v1/follow-ups/overdue/counts", user, nil).json(t)["by_owner"].([]any) {
			c := c.(map[string]any)
			out[c["owner_id"].(string)] = c["overdue"].(float64)
		}
		return out
	}
	listed := func(user, query string) []string {
		var out []string
		for _, it := range s.call("GET", "/v1/follow-ups/overdue?"+query, user, nil).json(t)["items"].([]any) {
			out = append(out, it.(map[string]any)["id"].(string))
		}
		return out
	}
	if c := owners(mgrMia); c["rep-cy"] != 1 || c[repAna] != 7 {
		t.Fatalf("counts after the reassignment %v", c)
	}
	if ids := listed(mgrMia, "owner_id=rep-cy"); len(ids) != 1 || ids[0] != fuID(callback) {
		t.Fatalf("rep-cy's overdue %v", ids)
	}
	if s.call("GET", "/v1/follow-ups/"+fuID(callback), repAna, nil).status != http.StatusNotFound {
		t.Fatal("rep-ana still sees the follow-up she gave away")
	}
	if ids := listed("rep-cy", ""); len(ids) != 1 || ids[0] != fuID(callback) {
		t.Fatalf("rep-cy's own overdue %v", ids)
	}

	// An escalated one stays escalated, and a manager may take one over.
	got = s.call("POST", path(escalated), mgrMia, body(mgrMia, "north", "I'll call them myself"))
	if v := got.json(t); got.status != http.StatusOK || v["owner_id"] != mgrMia || v["state"] != "escalated" {
		t.Fatalf("escalated: %d %s", got.status, got.body)
	}
	// A care contact a person opened is this service's to reassign.
	if got := s.call("POST", path(careByPerson), mgrMia, body("rep-cy", "", "cover")); got.status != http.StatusOK {
		t.Fatalf("care contact opened by a person: %d %s", got.status, got.body)
	}

	// An admin moves one to team south: its managers see it, north's do not.
	got = s.call("POST", path(toSouth), admin, body(repBo, "south", "the account moved south"))
	if v := got.json(t); got.status != http.StatusOK || v["owner_id"] != repBo || v["team"] != "south" ||
		!strings.Contains(string(got.body), "reassigned from rep-ana (team north) to rep-bo (team south): the account moved south") {
		t.Fatalf("to south: %d %s", got.status, got.body)
	}
	if s.call("GET", "/v1/follow-ups/"+fuID(toSouth), mgrMia, nil).status != http.StatusNotFound {
		t.Fatal("north's manager still sees a follow-up moved to south")
	}
	if c := owners("mgr-max"); c[repBo] != 2 {
		t.Fatalf("south's counts %v", c)
	}
	// Twice is refused: nothing would change.
	if r := s.call("POST", path(toSouth), admin, body(repBo, "", "again")); r.status != 422 || r.code(t) != "same_owner" {
		t.Fatalf("again: %d %s", r.status, r.body)
	}
}
