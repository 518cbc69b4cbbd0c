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

// TestEscalationToTheOriginatorsManagers, on a real Temporal server: an info
// slip's recipient in team south, chased for an originator in team north,
// runs the slip ladder. Until its escalate_originator step the follow-up is
// south's business only — north's manager has no message, nothing on the
// board, and 404 on the follow-up. Once an analyst's new ladder version
// brings that step into the past, the running workflow takes it: the owner
// and north's managers are told (urgently, as managers of north), and
// north's manager sees the follow-up on the overdue board and its record,
// but may not close or reassign it; north's reps still see nothing.
func TestEscalationToTheOriginatorsManagers(t *testing.T) {
	hostPort, namespace := testenv.Temporal(t)
	startWorker(t, hostPort, namespace, nil)
	s := newStack(t, testenv.SQLite(t), stackOpts{temporal: hostPort, namespace: namespace})
	const ladder = "/v1/policies/infoslip.escalation_ladder/versions"
	setLadder := func(originatorAfter, reason string) {
		t.Helper()
		// Calendar time, so the steps fall due whatever the day of the run.
		r := s.call("POST", ladder, analyst, map[string]any{"value": map[string]any{"ladder": map[string]any{"clock": "calendar", "steps": []map[string]any{
			{"after": "0m", "action": "remind"}, {"after": "1m", "action": "escalate_manager"}, {"after": originatorAfter, "action": "escalate_originator"},
		}}}, "reason": reason})
		if r.status != http.StatusCreated {
			t.Fatalf("ladder %s: %d %s", originatorAfter, r.status, r.body)
		}
	}
	setLadder("30d", "the originator's managers much later")

	cust := s.create(admin, company(map[string]any{"owner_id": repBo, "team": "south", "region": "south"}))
	id := "0190c000-0000-7000-8000-00000000e0a1"
	due := time.Now().Add(-time.Hour).UTC()
	if err := wffollowup.Start(context.Background(), s.app.Deps().Temporal, &followupv1.FollowUpSpec{Id: id, Kind: "slip_ack", CustomerId: cust,
		OwnerId: repBo, Team: "south", Territory: "south", RequesterTeam: "north", Title: "acknowledge the competitor's offer",
		AnchorAt: timestamppb.New(due.Add(-time.Hour)), DueAt: timestamppb.New(due), OpenedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	inbox := func(user string) []map[string]any {
		t.Helper()
		r := s.call("GET", "/v1/notifications", user, nil)
		if r.status != http.StatusOK {
			t.Fatalf("inbox of %s: %d %s", user, r.status, r.body)
		}
		var out []map[string]any
		for _, it := range r.json(t)["items"].([]any) {
			out = append(out, it.(map[string]any))
		}
		return out
	}
	board := func(user string) []any {
		t.Helper()
		r := s.call("GET", "/v1/follow-ups/overdue", user, nil)
		if r.status != http.StatusOK {
			t.Fatalf("board of %s: %d %s", user, r.status, r.body)
		}
		return r.json(t)["items"].([]any)
	}
	const mgrMax = "mgr-max" // manager of south

	// The recipient's own managers are told; the originator's are not yet.
	eventually(t, "the escalation to south's managers", 60*time.Second, func() bool { return len(inbox(mgrMax)) == 1 })
	if got := inbox(mgrMax)[0]; got["action"] != "escalate_manager" || got["managers_of"] != "south" {
		t.Fatalf("mgr-max's inbox: %v", got)
	}
	if len(inbox(mgrMia)) != 0 || len(board(mgrMia)) != 0 {
		t.Fatal("north's manager was told, or sees the follow-up, before the escalation to the originator")
	}
	if r := s.call("GET", "/v1/follow-ups/"+id, mgrMia, nil); r.status != http.StatusNotFound {
		t.Fatalf("north's manager reads the follow-up before the escalation to the originator: %d", r.status)
	}

	// The ladder's new version brings the step into the past: the running
	// workflow takes it at once.
	setLadder("2m", "the originator's managers sooner")
	eventually(t, "the escalation to north's managers", 60*time.Second, func() bool { return len(inbox(mgrMia)) == 1 })
	mia := inbox(mgrMia)[0]
	if mia["action"] != "escalate_originator" || mia["managers_of"] != "north" || mia["urgent"] != true || mia["team"] != "south" || mia["follow_up_id"] != id {
		t.Fatalf("mgr-mia's inbox: %v", mia)
	}
	bo := inbox(repBo)
	if len(bo) != 3 || bo[0]["action"] != "escalate_originator" || bo[0]["urgent"] != false {
		t.Fatalf("rep-bo's inbox: %v", bo)
	}
	if len(inbox(mgrMax)) != 1 {
		t.Fatalf("south's managers were told of the escalation to north's: %v", inbox(mgrMax))
	}

	if items := board(mgrMia); len(items) != 1 || items[0].(map[string]any)["id"] != id {
		t.Fatalf("north's manager's board: %v", items)
	}
	if items := board(mgrMax); len(items) != 1 {
		t.Fatalf("south's manager's board: %v", items)
	}
	if len(board(repAna)) != 0 {
		t.Fatal("a rep of north sees the follow-up")
	}
	r := s.call("GET", "/v1/follow-ups/"+id, mgrMia, nil)
	if r.status != http.StatusOK {
		t.Fatalf("north's manager reads the follow-up: %d %s", r.status, r.body)
	}
	fu := r.json(t)
	evs := fu["events"].([]any)
	last := evs[len(evs)-1].(map[string]any)
	if fu["escalated_to"] != "managers of team north" || fu["escalation_level"].(float64) != 3 || last["action"] != "escalate_originator" ||
		last["detail"] != "escalated to the managers of team north, who asked for it" {
		t.Fatalf("the follow-up as north's manager reads it: %v", fu)
	}
	if r := s.call("GET", "/v1/follow-ups/"+id, repAna, nil); r.status != http.StatusNotFound {
		t.Fatalf("a rep of north reads the follow-up: %d", r.status)
	}
	// Seeing is not acting: closing and reassigning stay with south.
	if r := s.call("POST", "/v1/follow-ups/"+id+"/cancel", mgrMia, map[string]any{"note": "not ours"}); r.status != http.StatusNotFound {
		t.Fatalf("north's manager cancels it: %d %s", r.status, r.body)
	}
	if r := s.call("POST", "/v1/follow-ups/"+id+"/reassign", mgrMia, map[string]any{"owner_id": "rep-cy", "team": "north", "reason": "x"}); r.status != http.StatusNotFound {
		t.Fatalf("north's manager reassigns it: %d %s", r.status, r.body)
	}
	if r := s.call("POST", "/v1/follow-ups/"+id+"/complete", repBo, map[string]any{"note": "acknowledged"}); r.status != http.StatusOK {
		t.Fatalf("the owner completes it: %d %s", r.status, r.body)
	}
	eventually(t, "the board to drop the closed follow-up", 30*time.Second, func() bool { return len(board(mgrMia)) == 0 })
}
