package followup_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestNotificationPreferences: everyone reads their own (the defaults until
// they choose: a manager's include the morning digest), replaces them, and
// a bad value is refused naming its field while nothing changes.
func TestNotificationPreferences(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN(t), stackOpts{})
			get := func(user string) map[string]any {
				t.Helper()
				r := s.call("GET", "/v1/me/notification-preferences", user, nil)
				if r.status != http.StatusOK {
					t.Fatalf("preferences of %s: %d %s", user, r.status, r.body)
				}
				return r.json(t)
			}
			ana, mia := get(repAna), get(mgrMia)
			if ana["default"] != true || ana["language"] != "en" || ana["time_zone"] != "UTC" || ana["digest_hour"] != nil || ana["email"] != "" ||
				len(ana["email_kinds"].([]any)) != 5 { // reminder, escalation, handover, winback, campaign
				t.Fatalf("a rep's defaults: %v", ana)
			}
			if mia["digest_hour"] != float64(8) {
				t.Fatalf("a manager's defaults: %v", mia)
			}

			want := map[string]any{"language": "zh-Hans", "time_zone": "Asia/Shanghai", "email": "ana@example.com",
				"email_kinds": []string{"escalation", "handover"}, "quiet_hours": map[string]any{"from": "21:30", "to": "08:00"}, "digest_hour": 7}
			r := s.call("PUT", "/v1/me/notification-preferences", repAna, want)
			if r.status != http.StatusOK {
				t.Fatalf("put: %d %s", r.status, r.body)
			}
			got := get(repAna)
			if got["default"] != false || got["language"] != "zh-Hans" || got["time_zone"] != "Asia/Shanghai" || got["email"] != "ana@example.com" ||
				got["digest_hour"] != float64(7) || got["quiet_hours"].(map[string]any)["from"] != "21:30" || len(got["email_kinds"].([]any)) != 2 ||
				got["updated_at"] == nil {
				t.Fatalf("after put: %v", got)
			}
			if get(mgrMia)["default"] != true {
				t.Fatal("rep-ana's choice changed mgr-mia's preferences")
			}

			for _, c := range []struct {
				name   string
				body   any
				status int
				field  string
			}{
				{"unknown language", map[string]any{"language": "fr", "time_zone": "UTC"}, 422, "language"},
				{"unknown time zone", map[string]any{"language": "en", "time_zone": "Mars/Olympus"}, 422, "time_zone"},
				{"bad email", map[string]any{"language": "en", "time_zone": "UTC", "email": "ana@"}, 422, "email"},
				{"unknown kind", map[string]any{"language": "en", "time_zone": "UTC", "email_kinds": []string{"gossip"}}, 422, "email_kinds"},
				{"quiet hours not times", map[string]any{"language": "en", "time_zone": "UTC", "quiet_hours": map[string]any{"from": "21:00", "to": "24:30"}}, 422, "quiet_hours.to"},
				{"digest hour", map[string]any{"language": "en", "time_zone": "UTC", "digest_hour": 25}, 422, "digest_hour"},
				{"unknown field", map[string]any{"language": "en", "time_zone": "UTC", "sms": true}, 400, ""},
				{"not JSON", "{", 400, ""},
			} {
				r := s.call("PUT", "/v1/me/notification-preferences", repAna, c.body)
				if r.status != c.status || (c.field != "" && !strings.Contains(string(r.body), `"field":"`+c.field+`"`)) {
					t.Errorf("%s: %d %s", c.name, r.status, r.body)
				}
			}
			if after := get(repAna); after["language"] != "zh-Hans" || after["email"] != "ana@example.com" {
				t.Fatalf("a refused change changed the preferences: %v", after)
			}
			if r := s.call("GET", "/v1/me/notification-preferences", "", nil); r.status != http.StatusUnauthorized {
				t.Fatalf("without a token: %d", r.status)
			}
		})
	}
}
