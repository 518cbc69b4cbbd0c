package followup_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/platform/webhook"
)

// receiver is a webhook endpoint that checks every request's signature and
// answers 500 to the first `fail` attempts at each message, and to every
// attempt at a follow-up in failAlways.
type receiver struct {
	mu         sync.Mutex
	secret     webhook.Secret
	fail       int
	failAlways map[string]bool
	attempts   map[string]int    // webhook-id → requests
	accepted   map[string]int    // webhook-id → 2xx answers
	followUp   map[string]string // webhook-id → follow-up id
	types      map[string]string // webhook-id → event type
	texts      map[string]string // webhook-id → the event's text
	bad        []string          // what failed verification
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err := webhook.Verify(r.Header, body, time.Now(), 5*time.Minute, rc.secret); err != nil {
		rc.bad = append(rc.bad, err.Error())
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var ev struct {
		Type string `json:"type"`
		Data struct {
			FollowUpID string `json:"follow_up_id"`
			Text       string `json:"text"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		rc.bad = append(rc.bad, "body: "+err.Error())
	}
	id := r.Header.Get("webhook-id")
	rc.attempts[id]++
	rc.followUp[id], rc.types[id], rc.texts[id] = ev.Data.FollowUpID, ev.Type, ev.Data.Text
	if rc.attempts[id] <= rc.fail || rc.failAlways[ev.Data.FollowUpID] {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	rc.accepted[id]++
	w.WriteHeader(http.StatusNoContent)
}

// of counts the messages, requests and accepted requests about a follow-up.
func (rc *receiver) of(followUp string) (messages, requests, accepted int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for id, f := range rc.followUp {
		if f == followUp {
			messages++
			requests += rc.attempts[id]
			accepted += rc.accepted[id]
		}
	}
	return
}

// TestWebhooks: an admin subscribes a receiver to reminders and
// escalations. An overdue follow-up's three messages (the reminder; the
// escalation to the owner and to the managers) each reach it signed per
// the Standard Webhooks spec, after two 500 answers each: retried by their
// Delivery workflows, accepted once. A follow-up closed while its
// deliveries are being retried sends nothing more.
func TestWebhooks(t *testing.T) {
	s := newMailStack(t, testenv.SQLite(t), map[string]string{"WEBHOOK_DISABLE_AFTER": "1000"})
	rc := &receiver{fail: 2, failAlways: map[string]bool{}, attempts: map[string]int{}, accepted: map[string]int{},
		followUp: map[string]string{}, types: map[string]string{}, texts: map[string]string{}}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	r := s.call("POST", "/v1/webhooks", admin, map[string]any{"url": srv.URL + "/hooks/closeloop", "event_kinds": []string{"reminder", "escalation"},
		"description": "the ops chat", "language": "zh-Hans"})
	if r.status != http.StatusCreated {
		t.Fatalf("subscribe: %d %s", r.status, r.body)
	}
	secret, err := webhook.ParseSecret(r.json(t)["secret"].(string))
	if err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	rc.secret = secret
	closing := "0190c000-0000-7000-8000-00000000f202"
	rc.failAlways[closing] = true
	rc.mu.Unlock()

	first := "0190c000-0000-7000-8000-00000000f201"
	s.overdue(first, repAna, "call back about the valves")
	s.overdue(closing, repAna, "a follow-up closed while its webhooks are retried")
	eventually(t, "three messages accepted after two failures each", 90*time.Second, func() bool {
		_, _, accepted := rc.of(first)
		return accepted == 3
	})
	messages, requests, accepted := rc.of(first)
	if messages != 3 || requests != 9 || accepted != 3 {
		t.Fatalf("messages %d, requests %d, accepted %d; want 3, 9, 3", messages, requests, accepted)
	}
	for _, d := range s.deliveries(first) {
		if d["channel"] != "webhook" {
			continue
		}
		if d["status"] != "sent" || d["attempts"].(float64) != 3 {
			t.Errorf("webhook delivery %v", d)
		}
		if d["action"] == "escalate_manager" {
			testenv.SaveHistory(t, s.app.Deps().Temporal, "Delivery:"+d["id"].(string), "../../workflows/testdata/delivery-webhook-retried.json")
		}
	}

	// The other follow-up is closed while its webhooks fail: they stop.
	eventually(t, "the closing follow-up's first attempts", 30*time.Second, func() bool {
		m, _, _ := rc.of(closing)
		return m == 3
	})
	if r := s.call("POST", "/v1/follow-ups/"+closing+"/complete", repAna, map[string]any{"note": "called"}); r.status != http.StatusOK {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}
	eventually(t, "the closed follow-up's webhooks suppressed", 30*time.Second, func() bool {
		n := 0
		for _, d := range s.deliveries(closing) {
			if d["channel"] == "webhook" && d["status"] == "suppressed" && d["reason"] == "closed" {
				n++
			}
		}
		return n == 3
	})
	_, before, _ := rc.of(closing)
	time.Sleep(4 * time.Second) // longer than the longest retry interval (2s)
	if _, after, accepted := rc.of(closing); after != before || accepted != 0 {
		t.Fatalf("a closed follow-up's webhooks went on: %d requests then %d, %d accepted", before, after, accepted)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bad) != 0 {
		t.Fatalf("requests failed verification: %v", rc.bad)
	}
	for id, ty := range rc.types {
		if ty != "followup.reminder" && ty != "followup.escalation" {
			t.Errorf("%s: type %s", id, ty)
		}
		// The subscription takes Chinese: 到期 (due) or 逾期 (overdue).
		if text := rc.texts[id]; !strings.Contains(text, "期") {
			t.Errorf("%s: the text is not in Chinese: %q", id, text)
		}
	}
}
