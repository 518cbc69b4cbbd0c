package followup_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// TestResolutionAnswersWhatTheActivityWould: GET /v1/resolution gives the
// versions in force now with the calendar assigned to the team (else the
// region), and when a scheduled version will make it stale; a rep may ask
// (the customer service asks as the requester of a visit).
func TestResolutionAnswersWhatTheActivityWould(t *testing.T) {
	s := newStack(t, backends[0].DSN(t), stackOpts{})
	if r := s.call("PUT", "/v1/calendars/apac", analyst, map[string]any{
		"time_zone": "Asia/Singapore", "week": map[string]any{"monday": []map[string]any{{"start": "09:00", "end": "18:00"}}},
		"regions": []string{"east"}, "reason": "setup"}); r.status != http.StatusOK {
		t.Fatalf("calendar setup: %d %s", r.status, r.body)
	}
	const path = "/v1/policies/visit.reminder_before/versions"
	timer := func(d string) map[string]any {
		return map[string]any{"timer": map[string]any{"duration": d, "clock": "calendar"}}
	}
	if r := s.call("POST", path, analyst, map[string]any{"value": timer("3h"), "reason": "earlier reminders"}); r.status != http.StatusCreated {
		t.Fatalf("policy change: %d %s", r.status, r.body)
	}
	later := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	if r := s.call("POST", path, analyst, map[string]any{"value": timer("5h"), "reason": "later on", "effective_from": later.Format(time.RFC3339)}); r.status != http.StatusCreated {
		t.Fatalf("scheduled change: %d %s", r.status, r.body)
	}
	type answer struct {
		AssignedCalendar string `json:"assigned_calendar"`
		Policies         []struct {
			Name      string          `json:"name"`
			Version   int64           `json:"version"`
			ValueJSON json.RawMessage `json:"value_json"`
		} `json:"policies"`
		Calendars []struct {
			Name     string          `json:"name"`
			SpecJSON json.RawMessage `json:"spec_json"`
		} `json:"calendars"`
		At           time.Time  `json:"at"`
		NextChangeAt *time.Time `json:"next_change_at"`
	}
	get := func(query string) answer {
		t.Helper()
		r := s.call("GET", "/v1/resolution?"+query, repAna, nil)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", query, r.status, r.body)
		}
		var a answer
		if err := json.Unmarshal(r.body, &a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := get("policy=visit.reminder_before&team=north&region=east")
	if a.AssignedCalendar != "apac" || len(a.Calendars) != 1 || a.Calendars[0].Name != "apac" || !json.Valid(a.Calendars[0].SpecJSON) {
		t.Fatalf("calendars: %+v", a)
	}
	if len(a.Policies) != 1 || a.Policies[0].Name != "visit.reminder_before" || a.Policies[0].Version != 2 {
		t.Fatalf("policies: %+v", a.Policies)
	}
	var v struct {
		Timer struct{ Duration string } `json:"timer"`
	}
	if err := json.Unmarshal(a.Policies[0].ValueJSON, &v); err != nil || v.Timer.Duration != "3h" {
		t.Fatalf("value %s: %v", a.Policies[0].ValueJSON, err)
	}
	if a.NextChangeAt == nil || !a.NextChangeAt.Equal(later) || time.Since(a.At) > time.Minute {
		t.Fatalf("at %v, next change %v (want %v)", a.At, a.NextChangeAt, later)
	}
	// Another region: the default calendar; no policy asked: none answered,
	// and nothing is scheduled.
	b := get("region=west")
	if b.AssignedCalendar == "apac" || b.AssignedCalendar == "" || len(b.Policies) != 0 || b.NextChangeAt != nil {
		t.Fatalf("west: %+v", b)
	}
}
