package service_test

import (
	"maps"
	"net/http"
	"sync"
	"testing"
)

// A sales rep takes a complaint on the phone and files it to the service
// team: the case is new, has the type's default priority, copies the
// customer's owner and team from the customer service, and can be read back
// where Location says. A retry with the same Idempotency-Key gets the same
// case; the key with another body is refused.
func TestFileACase(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN)
			cust := s.customerOf(repAna)

			r := s.api("POST", "/v1/cases", repAna, complaint(cust, map[string]any{"team": "service", "asset": "Crane K-40, serial 7781"}))
			if r.status != http.StatusCreated {
				t.Fatalf("file: %d %s", r.status, r.body)
			}
			c := r.json(t)
			id := c["id"].(string)
			want := map[string]any{"customer_id": cust, "type": "complaint", "priority": "P2", "channel": "phone", "state": "new",
				"subject": "Crane stops under load", "asset": "Crane K-40, serial 7781", "team": "service", "assignee_id": "",
				"customer_owner_id": repAna, "customer_team": "north", "created_by": repAna, "version": float64(1), "first_response_at": nil}
			for k, v := range want {
				if c[k] != v {
					t.Errorf("%s = %v, want %v", k, c[k], v)
				}
			}
			if loc := r.header.Get("Location"); loc != "/v1/cases/"+id {
				t.Errorf("Location %q", loc)
			}
			if got := s.must(http.StatusOK, "GET", "/v1/cases/"+id, repAna, nil); got["id"] != id || got["subject"] != c["subject"] {
				t.Errorf("read back: %v", got)
			}
			tl := s.must(http.StatusOK, "GET", "/v1/cases/"+id+"/timeline", svcSam, nil)
			items := tl["items"].([]any)
			if len(items) != 1 || items[0].(map[string]any)["kind"] != "created" || items[0].(map[string]any)["to_team"] != "service" {
				t.Errorf("timeline of a new case: %s", mustJSON(tl))
			}

			// Defaults: the team is the customer's, the priority the type's.
			for typ, prio := range map[string]string{"complaint": "P2", "repair": "P2", "returns": "P3", "request": "P3", "consultation": "P4"} {
				got := s.file(repAna, complaint(cust, map[string]any{"type": typ}))
				if got["priority"] != prio || got["team"] != "north" {
					t.Errorf("a %s: priority %v team %v, want %s north", typ, got["priority"], got["team"], prio)
				}
			}
			if got := s.file(repAna, complaint(cust, map[string]any{"type": "consultation", "priority": "P1"})); got["priority"] != "P1" {
				t.Errorf("a chosen priority was not kept: %v", got["priority"])
			}

			// The same key and body: the first answer again, nothing new stored.
			key := []string{"Idempotency-Key", "file-once-1"}
			body := complaint(cust, map[string]any{"team": "service"})
			first := s.api("POST", "/v1/cases", repAna, body, key...)
			before := s.rows()
			again := s.api("POST", "/v1/cases", repAna, body, key...)
			if first.status != http.StatusCreated || again.status != http.StatusCreated || again.header.Get("Idempotent-Replayed") != "true" ||
				again.json(t)["id"] != first.json(t)["id"] || again.header.Get("Location") != first.header.Get("Location") {
				t.Fatalf("retry: %d %s / %d %s %v", first.status, first.body, again.status, again.body, again.header)
			}
			if after := s.rows(); after != before {
				t.Errorf("a retry stored something: %v → %v", before, after)
			}
			// The key with another body: 409, nothing stored.
			other := s.api("POST", "/v1/cases", repAna, complaint(cust, map[string]any{"team": "service", "subject": "Another"}), key...)
			if other.status != http.StatusConflict || other.code(t) != "idempotency_key_reused" {
				t.Errorf("key reused with another body: %d %s", other.status, other.body)
			}
			if after := s.rows(); after != before {
				t.Errorf("a refused reuse stored something: %v → %v", before, after)
			}
			// Keys are the caller's own: an admin's same key files its own case.
			if r := s.api("POST", "/v1/cases", admin, body, key...); r.status != http.StatusCreated || r.json(t)["id"] == first.json(t)["id"] {
				t.Errorf("another caller's key: %d %s", r.status, r.body)
			}
		})
	}
}

// Ten clients retrying one create at the same moment with one key file one
// case, and all get it.
func TestConcurrentRetriesFileOnce(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN)
			cust := s.customerOf(repAna)
			before := s.rows()
			body := complaint(cust, map[string]any{"team": "service"})
			got := make([]response, 10)
			var wg sync.WaitGroup
			for i := range got {
				wg.Go(func() { got[i] = s.api("POST", "/v1/cases", repAna, body, "Idempotency-Key", "one-call") })
			}
			wg.Wait()
			ids := map[any]bool{}
			for _, r := range got {
				if r.status != http.StatusCreated {
					t.Fatalf("%d %s", r.status, r.body)
				}
				ids[r.json(t)["id"]] = true
			}
			if after := s.rows(); len(ids) != 1 || after[0] != before[0]+1 || after[1] != before[1]+1 || after[2] != before[2]+1 {
				t.Errorf("%d cases answered; rows %v → %v", len(ids), before, after)
			}
		})
	}
}

// Who files, and who names an assignee (domain.Scope.CheckFile): anyone who
// works cases files for a customer they see; analysts do not; only who works
// the team's cases picks its assignee, or a caller takes the case.
func TestWhoFiles(t *testing.T) {
	s := newStack(t, backends[1].DSN)
	cust := s.customerOf(repAna)
	cases := []struct {
		name   string
		user   string
		extra  map[string]any
		status int
		code   string
		fields map[string]string
	}{
		{"the customer's owner, to the service queue", repAna, map[string]any{"team": "service"}, 201, "", nil},
		{"the customer's owner takes it", repAna, map[string]any{"team": "service", "assignee_id": repAna}, 201, "", nil},
		{"the customer's owner, to a colleague of their own team", repAna, map[string]any{"assignee_id": "rep-cy"}, 201, "", nil},
		{"the customer's team manager", mgrMia, map[string]any{"team": "service"}, 201, "", nil},
		{"an admin, to a service rep", admin, map[string]any{"team": "service", "assignee_id": svcSam}, 201, "", nil},
		{"the customer's owner names a service rep", repAna, map[string]any{"team": "service", "assignee_id": svcSam}, 422, "validation_failed",
			map[string]string{"assignee_id": "not_allowed"}},
		{"an analyst", analyst, nil, 403, "case_file_not_allowed", nil},
		{"a service rep who does not see the customer", svcSam, nil, 422, "validation_failed", map[string]string{"customer_id": "unknown_customer"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := s.rows()
			r := s.api("POST", "/v1/cases", tc.user, complaint(cust, tc.extra))
			if r.status != tc.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, tc.status)
			}
			if tc.status == 201 {
				c := r.json(t)
				if want, _ := tc.extra["assignee_id"].(string); c["assignee_id"] != want || c["state"] != "new" {
					t.Errorf("assignee %v state %v", c["assignee_id"], c["state"])
				}
				// What someone filed, they see.
				s.must(http.StatusOK, "GET", "/v1/cases/"+c["id"].(string), tc.user, nil)
				return
			}
			if r.code(t) != tc.code {
				t.Errorf("code %q, want %q", r.code(t), tc.code)
			}
			if tc.fields != nil && !maps.Equal(r.fields(t), tc.fields) {
				t.Errorf("fields %v, want %v", r.fields(t), tc.fields)
			}
			if after := s.rows(); after != before {
				t.Errorf("a refusal stored something: %v → %v", before, after)
			}
		})
	}
}
