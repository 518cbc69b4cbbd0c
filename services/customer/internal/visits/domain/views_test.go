package domain

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/workflows/visit"
)

func TestViewOf(t *testing.T) {
	by, when := "rep-ana", at.Add(time.Hour)
	base := Visit{ID: "v1", CustomerID: "c1", Day: "2026-03-02", Status: visit.StatusBooked, BookedBy: "rep-ana", WorkflowID: "Visit:c1:2026-03-02"}
	for name, c := range map[string]struct {
		v    Visit
		ps   []Participant
		want string // the view's JSON, less the fields every case shares
	}{
		"no participants is an empty list": {base, nil, `"participants":[]`},
		"participants in order": {base, []Participant{{UserID: "rep-ana", Role: RoleBooker, Department: "sales", Purpose: "p", JoinedAt: at},
			{UserID: "svc-sam", Role: RoleJoined, Department: "service", Purpose: "q", JoinedAt: at}},
			`"participants":[{"user_id":"rep-ana","department":"sales","purpose":"p","role":"booker","joined_at":"2026-03-02T01:00:00Z"},` +
				`{"user_id":"svc-sam","department":"service","purpose":"q","role":"joined","joined_at":"2026-03-02T01:00:00Z"}]`},
		"logged": {func() Visit {
			v := base
			v.Status, v.LogSummary, v.LogOutcome, v.LogNextStep, v.LoggedBy, v.LoggedAt = visit.StatusDone, "s", "o", "n", &by, &when
			return v
		}(), nil, `"log":{"summary":"s","outcome":"o","next_step":"n","by":"rep-ana","at":"2026-03-02T02:00:00Z"}`},
		"logged by no one known": {func() Visit {
			v := base
			v.LoggedAt = &when
			return v
		}(), nil, `"log":{"summary":"","outcome":"","next_step":"","by":"","at":"2026-03-02T02:00:00Z"}`},
		"moved": {func() Visit {
			v := base
			v.Status, v.CancelledBy, v.CancelledAt, v.CancelReason, v.MovedTo = visit.StatusCancelled, &by, &when, "asked", "2026-03-09"
			return v
		}(), nil, `"cancellation":{"by":"rep-ana","at":"2026-03-02T02:00:00Z","reason":"asked","moved_to":"2026-03-09"}`},
	} {
		t.Run(name, func(t *testing.T) {
			b, _ := json.Marshal(ViewOf(c.v, c.ps))
			if !strings.Contains(string(b), c.want) {
				t.Fatalf("%s\nlacks %s", b, c.want)
			}
			if c.v.LoggedAt == nil && strings.Contains(string(b), `"log"`) || c.v.CancelledAt == nil && strings.Contains(string(b), `"cancellation"`) ||
				strings.Contains(string(b), `"events"`) {
				t.Fatalf("%s", b)
			}
		})
	}
}

func TestTimeline(t *testing.T) {
	evs := []Event{{ID: "v1:booked", Kind: "booked", Actor: "rep-ana", Summary: "booked", Data: "{}", At: at},
		{ID: "v1:joined:r1", Kind: "joined", Actor: "svc-sam", Recipient: "rep-ana", Summary: "joins", At: at.Add(time.Minute)}}
	b, _ := json.Marshal(Timeline(evs))
	want := `[{"kind":"booked","actor":"rep-ana","summary":"booked","at":"2026-03-02T01:00:00Z"},` +
		`{"kind":"joined","actor":"svc-sam","recipient":"rep-ana","summary":"joins","at":"2026-03-02T01:01:00Z"}]`
	if string(b) != want {
		t.Fatalf("%s", b)
	}
	if b, _ := json.Marshal(Timeline(nil)); string(b) != "[]" {
		t.Fatalf("%s", b)
	}
}

func TestPageOf(t *testing.T) {
	vs := []Visit{{ID: "a"}, {ID: "b"}, {ID: "c"}}
	ps := map[string][]Participant{"a": {{UserID: "x"}}}
	for limit, want := range map[int]struct {
		ids       []string
		truncated bool
	}{2: {[]string{"a", "b"}, true}, 3: {[]string{"a", "b", "c"}, false}, 5: {[]string{"a", "b", "c"}, false}} {
		p := PageOf(vs, limit, ps)
		var ids []string
		for _, v := range p.Items {
			ids = append(ids, v.ID)
		}
		if !slices.Equal(ids, want.ids) || p.Truncated != want.truncated || len(p.Items[0].Participants) != 1 {
			t.Errorf("limit %d: %v %v", limit, ids, p.Truncated)
		}
	}
	if b, _ := json.Marshal(PageOf(nil, 10, nil)); string(b) != `{"items":[],"truncated":false}` {
		t.Fatalf("%s", b)
	}
}

func TestFilterCheck(t *testing.T) {
	for name, c := range map[string]struct {
		f         Filter
		needRange bool
		want      []string
	}{
		"a customer's visits need no range": {Filter{}, false, nil},
		"the calendar view needs one":       {Filter{}, true, []string{"validation_failed", "from/required", "to/required"}},
		"a range":                           {Filter{From: "2026-03-01", To: "2027-03-01", Department: "sales", Status: "done"}, true, nil},
		"a range too long":                  {Filter{From: "2026-03-01", To: "2027-03-03"}, true, []string{"validation_failed", "to/out_of_range"}},
		"backwards":                         {Filter{From: "2026-03-02", To: "2026-03-01"}, true, []string{"validation_failed", "to/invalid"}},
		"malformed days":                    {Filter{From: "03/01", To: "2026-13-01"}, false, []string{"validation_failed", "from/invalid", "to/invalid"}},
		"department, status, user and limit": {Filter{Department: "legal", Status: "open", UserID: strings.Repeat("u", 201), Limit: 1001}, false,
			[]string{"validation_failed", "department/invalid", "status/invalid", "user_id/too_long", "limit/out_of_range"}},
		"a negative limit": {Filter{Limit: -1}, false, []string{"validation_failed", "limit/out_of_range"}},
	} {
		f := c.f
		if got := problems(f.Check(c.needRange)); !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", name, got, c.want)
		}
	}
	var f Filter
	if err := f.Check(false); err != nil || f.Limit != 200 {
		t.Fatalf("default limit %d %v", f.Limit, err)
	}
}
