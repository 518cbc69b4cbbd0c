package service_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/service/internal/ports"
	"github.com/closeloop/closeloop/workflows/policy"
)

// A notice that must be acknowledged, published to team north (mgr-mia,
// rep-ana, rep-cy), on the real stack: rep-ana acknowledges in time; at the
// deadline the two others get a follow-up each (kind notice_ack, about no
// customer, due at the deadline, reminded at once) on the follow-up engine;
// rep-cy's acknowledgement closes his as done; revoking the notice cancels
// mgr-mia's.
func TestMustAcknowledgeNoticeChasesLateReaders(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStackWithWorkflows(t, b.DSN)
			fdb := s.followup.App.Deps().DB
			// The ladder in calendar time: the test runs at any hour.
			r := s.call(s.followup.Base, "POST", "/v1/policies/"+policy.NoticeAckEscalation+"/versions", analyst, map[string]any{
				"value": map[string]any{"ladder": map[string]any{"clock": "calendar", "steps": []map[string]any{
					{"after": "0m", "action": "remind"}, {"after": "8h", "action": "escalate_manager"}}}}, "reason": "test"})
			if r.status != http.StatusCreated {
				t.Fatalf("policy: %d %s", r.status, r.body)
			}
			deadline := time.Now().Add(6 * time.Second).UTC().Truncate(time.Second)
			body := noticeBody(map[string]any{"title": "New price list", "audience": map[string]any{"teams": []string{"north"}},
				"must_acknowledge": true, "ack_deadline": deadline.Format(time.RFC3339)})
			id := s.must(http.StatusCreated, "POST", "/v1/notices", mgrMia, body)["id"].(string)
			s.must(http.StatusOK, "POST", "/v1/notices/"+id+"/publish", mgrMia, nil)
			s.must(http.StatusOK, "POST", "/v1/notices/"+id+"/acknowledge", repAna, nil)

			type fu struct {
				ID, OwnerID, Team, CustomerID, State, WorkflowID, LastAction string
				DueAt                                                        time.Time
			}
			chased := func() map[string]fu {
				var rows []fu
				if err := fdb.Raw(`SELECT id, owner_id, team, customer_id, state, workflow_id, last_action, due_at FROM follow_ups WHERE kind = ?`,
					policy.KindNoticeAck).Scan(&rows).Error; err != nil {
					t.Fatal(err)
				}
				out := map[string]fu{}
				for _, r := range rows {
					out[r.OwnerID] = r
				}
				return out
			}
			if got := chased(); len(got) != 0 {
				t.Fatalf("chased before the deadline: %v", got)
			}
			eventually(t, "the late readers are reminded", func() bool {
				got := chased()
				return len(got) == 2 && got[mgrMia].LastAction == "remind" && got[repCy].LastAction == "remind"
			})
			got := chased()
			if _, ok := got[repAna]; ok {
				t.Errorf("rep-ana acknowledged in time, yet is chased: %v", got[repAna])
			}
			cy := got[repCy]
			if cy.Team != "north" || cy.CustomerID != "" || cy.WorkflowID != wfc.NoticeAckWorkflowID(id, repCy) ||
				cy.ID != ports.NoticeFollowUpID(id, repCy) || !cy.DueAt.Equal(deadline) {
				t.Errorf("rep-cy's follow-up %+v, due %v", cy, deadline)
			}
			// The overdue board shows it to his manager like any follow-up.
			board := s.call(s.followup.Base, "GET", "/v1/follow-ups/overdue?kind=notice_ack", mgrMia, nil)
			if board.status != http.StatusOK || !strings.Contains(string(board.body), cy.ID) || !strings.Contains(string(board.body), "Acknowledge the notice") {
				t.Errorf("mia's overdue board: %d %s", board.status, board.body)
			}

			// Acknowledging late closes the reader's follow-up as done.
			s.must(http.StatusOK, "POST", "/v1/notices/"+id+"/acknowledge", repCy, nil)
			eventually(t, "rep-cy's follow-up is closed", func() bool { return chased()[repCy].State == "done" })

			// Revoking cancels the rest.
			s.must(http.StatusOK, "POST", "/v1/notices/"+id+"/revoke", mgrMia, map[string]any{"reason": "superseded"})
			eventually(t, "mia's follow-up is cancelled", func() bool { return chased()[mgrMia].State == "cancelled" })
			eventually(t, "the notice's workflow ends", func() bool {
				d, err := s.service.App.Deps().Temporal.DescribeWorkflowExecution(context.Background(), wfc.NoticeWorkflowID(id), "")
				return err == nil && d.GetWorkflowExecutionInfo().GetCloseTime() != nil
			})
			if b.Name == "postgres" {
				// Recorded for the workflows' replay test (UPDATE_HISTORIES=1).
				testenv.SaveHistory(t, s.service.App.Deps().Temporal, wfc.NoticeWorkflowID(id), "../../workflows/notice/testdata/notice-revoked-after-deadline.json")
				testenv.SaveHistory(t, s.service.App.Deps().Temporal, wfc.NoticeAckWorkflowID(id, repCy), "../../workflows/notice/testdata/notice-ack-late.json")
			}
			if got := chased(); !slices.Equal([]string{got[mgrMia].State, got[repCy].State}, []string{"cancelled", "done"}) || len(got) != 2 {
				t.Errorf("at the end: %v", got)
			}
		})
	}
}
