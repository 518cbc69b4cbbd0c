package followup_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
)

// TestAWebhookSwitchedOffKeepsItsDeliveries: a receiver down long enough
// switches its subscription off (WEBHOOK_DISABLE_AFTER failed attempts in
// a row). The webhook deliveries still on their way are not dropped: they
// go to the dead-letter list, saying the subscription is disabled and why.
// Their retry is refused while it is, with what to do; re-enabled, a retry
// sends each. A deleted subscription's failed delivery is refused a retry
// with the reason too.
func TestAWebhookSwitchedOffKeepsItsDeliveries(t *testing.T) {
	s := newMailStack(t, testenv.SQLite(t), map[string]string{"WEBHOOK_DISABLE_AFTER": "4"})
	var up atomic.Bool
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		if up.Load() {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	r := s.call("POST", "/v1/webhooks", admin, map[string]any{"url": srv.URL + "/hooks/closeloop", "event_kinds": []string{"reminder", "escalation"}})
	if r.status != http.StatusCreated {
		t.Fatalf("subscribe: %d %s", r.status, r.body)
	}
	hook := r.json(t)["id"].(string)

	fu := "0190c000-0000-7000-8000-00000000f501"
	s.overdue(fu, repAna, "call back while the chat is down")
	webhooks := func() []map[string]any {
		var out []map[string]any
		for _, d := range s.deliveries(fu) {
			if d["channel"] == "webhook" {
				out = append(out, d)
			}
		}
		return out
	}
	var failed []map[string]any
	eventually(t, "the three webhook deliveries on the dead-letter list", 60*time.Second, func() bool {
		failed = nil
		for _, d := range webhooks() {
			if d["status"] == "failed" {
				failed = append(failed, d)
			}
		}
		return len(failed) == 3
	})
	got := s.call("GET", "/v1/webhooks/"+hook, admin, nil).json(t)
	if got["enabled"] != false || !strings.HasPrefix(got["disabled_reason"].(string), "disabled after 4 consecutive failed deliveries") {
		t.Fatalf("the subscription after 4 failures: %v", got)
	}
	switchedOff := 0
	for _, d := range failed {
		if strings.Contains(d["last_error"].(string), "the webhook subscription is disabled (disabled after 4 consecutive") {
			switchedOff++
		}
	}
	if switchedOff == 0 {
		t.Fatalf("no delivery says its subscription was switched off: %v", failed)
	}
	before := requests.Load()
	time.Sleep(3 * time.Second) // longer than the longest retry interval (2s)
	if n := requests.Load(); n != before {
		t.Fatalf("the receiver got %d more requests after every delivery failed", n-before)
	}

	// Retried while the subscription is off: refused, nothing changes.
	id := failed[0]["id"].(string)
	r = s.call("POST", "/v1/deliveries/"+id+"/retry", admin, nil)
	if r.status != http.StatusConflict || r.code(t) != "subscription_disabled" || !strings.Contains(r.json(t)["message"].(string), "re-enable the subscription") {
		t.Fatalf("a retry while the subscription is off: %d %s", r.status, r.body)
	}
	if d := s.call("GET", "/v1/deliveries?status=failed&channel=webhook", admin, nil).json(t)["items"].([]any); len(d) != 3 {
		t.Fatalf("after a refused retry %d deliveries are failed, want 3", len(d))
	}

	// The receiver is back and the subscription re-enabled: each is sent.
	up.Store(true)
	if r := s.call("PATCH", "/v1/webhooks/"+hook, admin, map[string]any{"enabled": true}); r.status != http.StatusOK {
		t.Fatalf("re-enable: %d %s", r.status, r.body)
	}
	for _, d := range failed {
		if r := s.call("POST", "/v1/deliveries/"+d["id"].(string)+"/retry", admin, nil); r.status != http.StatusAccepted {
			t.Fatalf("retry after re-enabling: %d %s", r.status, r.body)
		}
	}
	eventually(t, "the three sent", 30*time.Second, func() bool {
		n := 0
		for _, d := range webhooks() {
			if d["status"] == "sent" {
				n++
			}
		}
		return n == 3
	})

	// A failed delivery of a deleted subscription: nothing to send it to.
	up.Store(false)
	other := "0190c000-0000-7000-8000-00000000f502"
	s.overdue(other, repAna, "another call back")
	var last string
	eventually(t, "the other follow-up's webhook deliveries failed", 60*time.Second, func() bool {
		for _, d := range s.call("GET", "/v1/deliveries?status=failed&channel=webhook", admin, nil).json(t)["items"].([]any) {
			if m := d.(map[string]any); m["follow_up_id"] == other {
				last = m["id"].(string)
				return true
			}
		}
		return false
	})
	if r := s.call("DELETE", "/v1/webhooks/"+hook, admin, nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := s.call("POST", "/v1/deliveries/"+last+"/retry", admin, nil); r.status != http.StatusConflict || r.code(t) != "subscription_deleted" {
		t.Fatalf("a retry of a deleted subscription's delivery: %d %s", r.status, r.body)
	}
}
