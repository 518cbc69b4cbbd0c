package followup_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/testenv"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	wffollowup "github.com/closeloop/closeloop/workflows/followup"
)

// TestInboxOfAnOverdueCallBack: a call-back long overdue runs its ladder at
// once (remind, then escalate to the manager). Its owner's inbox has both
// steps, each once; the team's manager has the escalation, marked urgent;
// a rep and a manager of another team have nothing, and may not mark the
// others' messages read. Reading is per reader; a reassignment tells the
// new owner who made it; bad input is refused.
func TestInboxOfAnOverdueCallBack(t *testing.T) {
	hostPort, namespace := testenv.Temporal(t)
	startWorker(t, hostPort, namespace, nil)
	s := newStack(t, testenv.SQLite(t), stackOpts{temporal: hostPort, namespace: namespace})
	cust := s.create(repAna, company(nil))
	id := "0190c000-0000-7000-8000-00000000e001"
	due := time.Now().Add(-10 * 24 * time.Hour).UTC()
	if err := wffollowup.Start(context.Background(), s.app.Deps().Temporal, &followupv1.FollowUpSpec{Id: id, Kind: "callback", CustomerId: cust,
		OwnerId: repAna, Team: "north", Territory: "north", Title: "call back about the valves", AnchorAt: timestamppb.New(due.Add(-time.Hour)),
		DueAt: timestamppb.New(due), OpenedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	inbox := func(user, query string) []map[string]any {
		t.Helper()
		r := s.call("GET", "/v1/notifications"+query, user, nil)
		if r.status != http.StatusOK {
			t.Fatalf("inbox of %s: %d %s", user, r.status, r.body)
		}
		var out []map[string]any
		for _, it := range r.json(t)["items"].([]any) {
			out = append(out, it.(map[string]any))
		}
		return out
	}
	unread := func(user string) float64 {
		t.Helper()
		return s.call("GET", "/v1/notifications/unread-count", user, nil).json(t)["unread"].(float64)
	}
	eventually(t, "the escalation in the manager's inbox", 60*time.Second, func() bool { return len(inbox(mgrMia, "")) == 1 })

	ana := inbox(repAna, "")
	if len(ana) != 2 || ana[0]["action"] != "escalate_manager" || ana[1]["action"] != "remind" || ana[0]["follow_up_id"] != id ||
		ana[0]["title"] != "call back about the valves" || ana[0]["follow_up_state"] != "escalated" || ana[0]["read_at"] != nil {
		t.Fatalf("rep-ana's inbox: %v", ana)
	}
	mia := inbox(mgrMia, "")
	if mia[0]["managers_of"] != "north" || mia[0]["urgent"] != true || mia[0]["customer_id"] != cust {
		t.Fatalf("mgr-mia's inbox: %v", mia)
	}
	if len(inbox(repBo, "")) != 0 || len(inbox("mgr-max", "")) != 0 {
		t.Fatal("a rep or a manager of another team got a message")
	}
	if unread(repAna) != 2 || unread(mgrMia) != 1 {
		t.Fatalf("unread: %v, %v", unread(repAna), unread(mgrMia))
	}

	// Reading.
	if r := s.call("POST", "/v1/notifications/"+mia[0]["id"].(string)+"/read", repBo, nil); r.status != http.StatusNotFound {
		t.Fatalf("rep-bo marks mgr-mia's message: %d %s", r.status, r.body)
	}
	for range 2 {
		if r := s.call("POST", "/v1/notifications/"+mia[0]["id"].(string)+"/read", mgrMia, nil); r.status != http.StatusNoContent {
			t.Fatalf("mark read: %d %s", r.status, r.body)
		}
	}
	if unread(mgrMia) != 0 || len(inbox(mgrMia, "?unread=true")) != 0 || unread(repAna) != 2 {
		t.Fatal("reading is not per reader")
	}
	// The follow-up's record says who was told and who read it.
	fu := s.call("GET", "/v1/follow-ups/"+id, mgrMia, nil).json(t)
	told, _ := fu["told"].([]any)
	if len(told) != 3 {
		t.Fatalf("told: %v", fu["told"])
	}
	first, mgrs := told[0].(map[string]any), told[2].(map[string]any)
	if told[1].(map[string]any)["managers_of"] == "north" {
		mgrs = told[1].(map[string]any)
	}
	if first["action"] != "remind" || first["user_id"] != repAna || len(first["reads"].([]any)) != 0 {
		t.Fatalf("the reminder: %v", first)
	}
	if reads := mgrs["reads"].([]any); mgrs["managers_of"] != "north" || mgrs["urgent"] != true || len(reads) != 1 || reads[0].(map[string]any)["user_id"] != mgrMia {
		t.Fatalf("the managers' escalation: %v", mgrs)
	}

	if r := s.call("POST", "/v1/notifications/read-all", repAna, nil); r.status != http.StatusOK || r.json(t)["marked"].(float64) != 2 || unread(repAna) != 0 {
		t.Fatalf("read all: %d %s", r.status, r.body)
	}

	// A manager gives the follow-up to rep-cy: rep-cy reads who did.
	if r := s.call("POST", "/v1/follow-ups/"+id+"/reassign", mgrMia, map[string]any{"owner_id": "rep-cy", "reason": "Ana is at the fair"}); r.status != http.StatusOK {
		t.Fatalf("reassign: %d %s", r.status, r.body)
	}
	if cy := inbox("rep-cy", ""); len(cy) != 1 || cy[0]["action"] != "reassigned" || cy[0]["actor"] != mgrMia || cy[0]["actor_name"] != "Mia (manager, north)" {
		t.Fatalf("rep-cy's inbox: %v", cy)
	}

	// Bad input: clear 4xx.
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/v1/notifications?unread=perhaps", http.StatusUnprocessableEntity},
		{"GET", "/v1/notifications?cursor=garbage", http.StatusBadRequest},
		{"GET", "/v1/notifications?limit=500", http.StatusBadRequest},
		{"POST", "/v1/notifications/not-an-id/read", http.StatusNotFound},
	} {
		if r := s.call(c.method, c.path, repAna, nil); r.status != c.status {
			t.Errorf("%s %s: %d, want %d: %s", c.method, c.path, r.status, c.status, r.body)
		}
	}
	if r := s.call("GET", "/v1/notifications", "", nil); r.status != http.StatusUnauthorized {
		t.Errorf("without a token: %d", r.status)
	}
}
