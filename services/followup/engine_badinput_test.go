package followup_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestEngineBadInputIsRefusedAndChangesNothing sends bad requests to the
// policies, calendars and follow-ups endpoints and checks each status and
// error code, that field errors name their fields, and that no policy version,
// calendar, audit entry or follow-up changed. Follow-ups of another team
// answer exactly as a follow-up that does not exist.
func TestEngineBadInputIsRefusedAndChangesNothing(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) { engineBadInput(t, b.DSN(t)) })
	}
}

func engineBadInput(t *testing.T, dsn string) {
	s := newStack(t, dsn, stackOpts{})
	north := s.create(mgrMia, company(map[string]any{"owner_id": repAna, "team": "north"}))
	south := s.create(admin, company(map[string]any{"owner_id": repBo, "team": "south", "region": "south"}))
	if r := s.call("PUT", "/v1/calendars/apac", analyst, map[string]any{
		"time_zone": "Asia/Singapore", "week": map[string]any{"monday": []map[string]any{{"start": "09:00", "end": "18:00"}}},
		"regions": []string{"east"}, "reason": "setup"}); r.status != http.StatusOK {
		t.Fatalf("calendar setup: %d %s", r.status, r.body)
	}
	// One open follow-up per team, as their workflows would have stored them.
	gdb := s.app.Deps().DB
	fu := map[string]string{"north": "0190a000-0000-7000-8000-00000000000a", "south": "0190a000-0000-7000-8000-00000000000b"}
	for team, id := range fu {
		owner, cust := repAna, north
		if team == "south" {
			owner, cust = repBo, south
		}
		now := time.Now().UTC()
		if err := gdb.Exec(`INSERT INTO follow_ups (id, kind, customer_id, owner_id, team, territory, state, anchor_at, due_at, workflow_id, opened_by, created_at, updated_at)
			VALUES (?, 'callback', ?, ?, ?, ?, 'open', ?, ?, ?, 'test', ?, ?)`, id, cust, owner, team, team, now.Add(-2*time.Hour), now.Add(-time.Hour), "followup:"+id, now, now).Error; err != nil {
			t.Fatal(err)
		}
	}
	const sla = "/v1/policies/lead.first_contact_sla"
	timer := func(d, clock string) map[string]any {
		return map[string]any{"timer": map[string]any{"duration": d, "clock": clock}}
	}
	week := map[string]any{"monday": []map[string]any{{"start": "09:00", "end": "12:00"}}}
	past, far := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().AddDate(3, 0, 0).UTC().Format(time.RFC3339)
	missing := "0190a000-0000-7000-8000-0000000000ff"
	cases := []struct {
		name, method, path, user string
		body                     any
		status                   int
		code                     string
	}{
		// Policies.
		{"rep changes a policy", "POST", sla + "/versions", repAna, map[string]any{"value": timer("2h", "calendar"), "reason": "x"}, 403, "forbidden"},
		{"manager changes a policy", "POST", sla + "/versions", mgrMia, map[string]any{"value": timer("2h", "calendar"), "reason": "x"}, 403, "forbidden"},
		{"rep reads policies", "GET", "/v1/policies", repAna, nil, 403, "forbidden"},
		{"unknown policy", "POST", "/v1/policies/lead.nothing/versions", analyst, map[string]any{"value": timer("2h", "calendar"), "reason": "x"}, 404, "policy_not_found"},
		{"malformed JSON", "POST", sla + "/versions", analyst, `{"value":`, 400, "malformed_json"},
		{"unknown field", "POST", sla + "/versions", analyst, `{"value":{},"reason":"x","colour":1}`, 400, "unknown_field"},
		{"missing value", "POST", sla + "/versions", analyst, map[string]any{"reason": "x"}, 422, "validation_failed"},
		{"wrong shape", "POST", sla + "/versions", analyst, map[string]any{"value": map[string]any{"ladder": map[string]any{"clock": "calendar", "steps": []any{}}}, "reason": "x"}, 422, "validation_failed"},
		{"unreadable duration", "POST", sla + "/versions", analyst, map[string]any{"value": timer("2 days", "calendar"), "reason": "x"}, 422, "validation_failed"},
		{"days of business time", "POST", sla + "/versions", analyst, map[string]any{"value": timer("2d", "business"), "reason": "x"}, 422, "validation_failed"},
		{"unknown value field", "POST", sla + "/versions", analyst, map[string]any{"value": map[string]any{"timer": map[string]any{"duration": "2h", "clock": "calendar", "x": 1}}, "reason": "x"}, 422, "validation_failed"},
		{"below the minimum", "POST", sla + "/versions", analyst, map[string]any{"value": timer("5m", "calendar"), "reason": "x"}, 422, "validation_failed"},
		{"bad clock", "POST", sla + "/versions", analyst, map[string]any{"value": timer("2h", "lunar"), "reason": "x"}, 422, "validation_failed"},
		{"unknown calendar", "POST", sla + "/versions", analyst, map[string]any{"value": map[string]any{"timer": map[string]any{"duration": "2h", "clock": "business", "calendar": "mars"}}, "reason": "x"}, 422, "validation_failed"},
		{"steps not increasing", "POST", "/v1/policies/lead.escalation_ladder/versions", analyst, map[string]any{"value": map[string]any{"ladder": map[string]any{"clock": "business",
			"steps": []map[string]any{{"after": "4h", "action": "remind"}, {"after": "2h", "action": "reassign"}}}}, "reason": "x"}, 422, "validation_failed"},
		{"action not allowed", "POST", "/v1/policies/lead.escalation_ladder/versions", analyst, map[string]any{"value": map[string]any{"ladder": map[string]any{"clock": "business",
			"steps": []map[string]any{{"after": "0m", "action": "offer"}}}}, "reason": "x"}, 422, "validation_failed"},
		{"table key missing", "POST", "/v1/policies/care.cadence/versions", analyst, map[string]any{"value": map[string]any{"table": map[string]any{
			"A": map[string]any{"duration": "30d", "clock": "calendar"}}}, "reason": "x"}, 422, "validation_failed"},
		{"no reason", "POST", sla + "/versions", analyst, map[string]any{"value": timer("2h", "calendar")}, 422, "validation_failed"},
		{"effective in the past", "POST", sla + "/versions", analyst, map[string]any{"value": timer("2h", "calendar"), "reason": "x", "effective_from": past}, 422, "validation_failed"},
		{"effective too far ahead", "POST", sla + "/versions", analyst, map[string]any{"value": timer("2h", "calendar"), "reason": "x", "effective_from": far}, 422, "validation_failed"},
		{"rollback to a missing version", "POST", sla + "/rollback", analyst, map[string]any{"to_version": 99, "reason": "x"}, 404, "version_not_found"},
		{"rollback without version", "POST", sla + "/rollback", analyst, map[string]any{"reason": "x"}, 422, "validation_failed"},
		{"withdraw the version in force", "POST", sla + "/versions/1/withdraw", analyst, map[string]any{"reason": "x"}, 422, "already_in_force"},
		{"withdraw without reason", "POST", sla + "/versions/1/withdraw", analyst, map[string]any{}, 422, "validation_failed"},
		{"bad version", "GET", sla + "/versions/abc", analyst, nil, 400, "invalid_version"},
		{"missing version", "GET", sla + "/versions/7", analyst, nil, 404, "version_not_found"},
		{"diff without versions", "GET", sla + "/diff", analyst, nil, 422, "validation_failed"},
		{"rep dry-runs", "POST", sla + "/dry-run", repAna, map[string]any{"value": timer("2h", "calendar")}, 403, "forbidden"},
		{"invalid dry-run", "POST", sla + "/dry-run", analyst, map[string]any{"value": timer("5m", "calendar")}, 422, "validation_failed"},
		// Calendars.
		{"rep changes a calendar", "PUT", "/v1/calendars/apac", repAna, map[string]any{"time_zone": "UTC", "week": week, "reason": "x"}, 403, "forbidden"},
		{"bad calendar name", "PUT", "/v1/calendars/Bad%20Name", analyst, map[string]any{"time_zone": "UTC", "week": week, "reason": "x"}, 422, "validation_failed"},
		{"unknown time zone", "PUT", "/v1/calendars/x1", analyst, map[string]any{"time_zone": "Mars/Olympus", "week": week, "reason": "x"}, 422, "validation_failed"},
		{"no working hours", "PUT", "/v1/calendars/x1", analyst, map[string]any{"time_zone": "UTC", "week": map[string]any{}, "reason": "x"}, 422, "validation_failed"},
		{"overlapping ranges", "PUT", "/v1/calendars/x1", analyst, map[string]any{"time_zone": "UTC", "week": map[string]any{"monday": []map[string]any{
			{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}}}, "reason": "x"}, 422, "validation_failed"},
		{"bad time", "PUT", "/v1/calendars/x1", analyst, `{"time_zone":"UTC","week":{"monday":[{"start":"9am","end":"12:00"}]},"reason":"x"}`, 400, "invalid_value"},
		{"bad instant", "POST", sla + "/versions", analyst, `{"value":{},"reason":"x","effective_from":"tomorrow"}`, 400, "invalid_value"},
		{"calendar without reason", "PUT", "/v1/calendars/x1", analyst, map[string]any{"time_zone": "UTC", "week": week}, 422, "validation_failed"},
		{"region used elsewhere", "PUT", "/v1/calendars/x1", analyst, map[string]any{"time_zone": "UTC", "week": week, "regions": []string{"east"}, "reason": "x"}, 409, "calendar_assignment_conflict"},
		{"drop the default", "PUT", "/v1/calendars/standard", analyst, map[string]any{"time_zone": "UTC", "week": week, "reason": "x"}, 409, "calendar_assignment_conflict"},
		{"duplicate team", "PUT", "/v1/calendars/x1", analyst, map[string]any{"time_zone": "UTC", "week": week, "teams": []string{"a", "a"}, "reason": "x"}, 422, "validation_failed"},
		{"unknown calendar", "GET", "/v1/calendars/nothing", analyst, nil, 404, "calendar_not_found"},
		{"deadline bad duration", "GET", "/v1/calendars/standard/deadline?from=2026-01-05T09:00:00Z&duration=8", analyst, nil, 422, "validation_failed"},
		{"deadline bad instant", "GET", "/v1/calendars/standard/deadline?from=monday&duration=8h", analyst, nil, 422, "validation_failed"},
		{"resolution of an unknown policy", "GET", "/v1/resolution?policy=visit.reminder_before&policy=lead.nothing&team=north", repAna, nil, 422, "validation_failed"},
		{"resolution of too many policies", "GET", "/v1/resolution?" + strings.Repeat("policy=visit.reminder_before&", 33), repAna, nil, 422, "validation_failed"},
		// Follow-ups.
		{"unknown kind", "POST", "/v1/follow-ups", mgrMia, map[string]any{"kind": "party", "customer_id": north}, 422, "validation_failed"},
		{"no customer", "POST", "/v1/follow-ups", mgrMia, map[string]any{"kind": "callback"}, 422, "validation_failed"},
		{"unknown customer", "POST", "/v1/follow-ups", mgrMia, map[string]any{"kind": "callback", "customer_id": missing}, 422, "validation_failed"},
		{"customer of another team", "POST", "/v1/follow-ups", repAna, map[string]any{"kind": "callback", "customer_id": south}, 422, "validation_failed"},
		{"due in the past", "POST", "/v1/follow-ups", mgrMia, map[string]any{"kind": "callback", "customer_id": north, "due_at": past}, 422, "validation_failed"},
		{"table kind without key", "POST", "/v1/follow-ups", mgrMia, map[string]any{"kind": "service_response", "customer_id": north}, 422, "validation_failed"},
		{"key on a timer kind", "POST", "/v1/follow-ups", mgrMia, map[string]any{"kind": "callback", "customer_id": north, "policy_key": "A"}, 422, "validation_failed"},
		{"rep gives it to another", "POST", "/v1/follow-ups", repAna, map[string]any{"kind": "callback", "customer_id": north, "owner_id": repBo}, 403, "forbidden"},
		{"analyst opens", "POST", "/v1/follow-ups", analyst, map[string]any{"kind": "callback", "customer_id": north}, 403, "forbidden"},
		{"follow-up unknown field", "POST", "/v1/follow-ups", mgrMia, `{"kind":"callback","customer_id":"x","priority":1}`, 400, "unknown_field"},
		{"bad lateness", "GET", "/v1/follow-ups/overdue?lateness=ages", mgrMia, nil, 400, "invalid_query"},
		{"bad kind filter", "GET", "/v1/follow-ups/overdue?kind=party", mgrMia, nil, 400, "invalid_query"},
		{"bad cursor", "GET", "/v1/follow-ups/overdue?cursor=zzz", mgrMia, nil, 400, "invalid_cursor"},
		{"bad limit", "GET", "/v1/follow-ups/overdue?limit=0", mgrMia, nil, 400, "invalid_limit"},
		{"bad state", "GET", "/v1/follow-ups?state=maybe", mgrMia, nil, 400, "invalid_query"},
		{"unknown follow-up", "GET", "/v1/follow-ups/" + missing, mgrMia, nil, 404, "not_found"},
		{"another team's follow-up", "GET", "/v1/follow-ups/" + fu["south"], mgrMia, nil, 404, "not_found"},
		{"another rep's follow-up", "POST", "/v1/follow-ups/" + fu["south"] + "/complete", repAna, nil, 404, "not_found"},
		{"another team completes", "POST", "/v1/follow-ups/" + fu["south"] + "/complete", mgrMia, nil, 404, "not_found"},
		{"rep cancels", "POST", "/v1/follow-ups/" + fu["north"] + "/cancel", repAna, nil, 403, "forbidden"},
		{"analyst completes", "POST", "/v1/follow-ups/" + fu["north"] + "/complete", analyst, nil, 403, "forbidden"},
		{"over-long note", "POST", "/v1/follow-ups/" + fu["north"] + "/complete", repAna, map[string]any{"note": string(make([]byte, 2001))}, 422, "validation_failed"},
		{"no token", "GET", "/v1/follow-ups/overdue", "", nil, 401, "unauthenticated"},
	}
	snapshot := func() string {
		out := ""
		for _, p := range []string{"/v1/policies", sla + "/versions", sla + "/audit", "/v1/policies/lead.escalation_ladder/versions",
			"/v1/policies/care.cadence/versions", "/v1/calendars", "/v1/calendars/standard/audit", "/v1/follow-ups?state=all&limit=200"} {
			r := s.call("GET", p, admin, nil)
			out += fmt.Sprintf("%s %d %s\n", p, r.status, r.body)
		}
		var n int64
		gdb.Raw("SELECT COUNT(*) FROM follow_up_events").Scan(&n)
		return out + fmt.Sprint(n)
	}
	before := snapshot()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.call(tc.method, tc.path, tc.user, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			body := r.json(t)
			if body["code"] != tc.code || body["message"] == "" {
				t.Fatalf("code %v, want %s: %s", body["code"], tc.code, r.body)
			}
			if tc.code == "validation_failed" || tc.code == "calendar_assignment_conflict" {
				if f, _ := body["details"].(map[string]any)["fields"].([]any); len(f) == 0 {
					t.Fatalf("errors must name fields: %s", r.body)
				}
			}
		})
	}
	if after := snapshot(); after != before {
		t.Fatalf("bad input changed data:\nbefore %s\nafter  %s", before, after)
	}
	// Out of scope answers exactly like missing.
	a := s.call("GET", "/v1/follow-ups/"+fu["south"], mgrMia, nil)
	m := s.call("GET", "/v1/follow-ups/"+missing, mgrMia, nil)
	if string(a.body) != string(m.body) {
		t.Fatalf("another team's follow-up leaks: %s vs %s", a.body, m.body)
	}
}
