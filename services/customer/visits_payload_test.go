package customer_test

import (
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/customer/internal/visits"
	"github.com/closeloop/closeloop/workflows/visit"
)

// The Visit workflow's payloads as they were before they moved to proto: Go
// structs encoded as JSON (json/plain), instants as time.Time. Executions
// started then still run, and until every worker runs the new build their
// activities, updates and answers still travel this way; the tests below
// send these and check that the proto messages read them.
type (
	jsonInput struct {
		CustomerID string `json:"customer_id"`
		Day        string `json:"day"`
		Team       string `json:"team"`
		Region     string `json:"region"`
	}
	jsonRequest struct {
		CustomerID      string    `json:"customer_id"`
		Day             string    `json:"day"`
		RequesterID     string    `json:"requester_id"`
		Team            string    `json:"team"`
		Department      string    `json:"department"`
		Purpose         string    `json:"purpose"`
		StartAt         time.Time `json:"start_at"`
		EndAt           time.Time `json:"end_at"`
		Join            bool      `json:"join"`
		JoinOnly        bool      `json:"join_only,omitempty"`
		NonWorkingDayBy string    `json:"non_working_day_by,omitempty"`
	}
	jsonDecision struct {
		Outcome    string `json:"outcome"`
		Repeat     bool   `json:"repeat,omitempty"`
		Role       string `json:"role,omitempty"`
		VisitID    string `json:"visit_id"`
		Day        string `json:"day"`
		OfferedDay string `json:"offered_day,omitempty"`
		Message    string `json:"message"`
	}
	jsonCancel struct {
		VisitID string `json:"visit_id"`
		Actor   string `json:"actor"`
		Reason  string `json:"reason"`
		MovedTo string `json:"moved_to,omitempty"`
	}
	jsonLog struct {
		VisitID  string `json:"visit_id"`
		Actor    string `json:"actor"`
		Summary  string `json:"summary"`
		Outcome  string `json:"outcome"`
		NextStep string `json:"next_step"`
	}
	jsonParticipant struct {
		UserID     string    `json:"user_id"`
		Department string    `json:"department"`
		Purpose    string    `json:"purpose"`
		Role       string    `json:"role"`
		JoinedAt   time.Time `json:"joined_at"`
	}
	jsonState struct {
		CustomerID   string            `json:"customer_id"`
		Day          string            `json:"day"`
		VisitID      string            `json:"visit_id,omitempty"`
		Status       string            `json:"status,omitempty"`
		BookedBy     string            `json:"booked_by,omitempty"`
		Team         string            `json:"team,omitempty"`
		Department   string            `json:"department,omitempty"`
		StartAt      time.Time         `json:"start_at,omitzero"`
		EndAt        time.Time         `json:"end_at,omitzero"`
		RemindAt     time.Time         `json:"remind_at,omitzero"`
		Reminded     bool              `json:"reminded"`
		Participants []jsonParticipant `json:"participants,omitempty"`
		Answered     int               `json:"answered"`
		FollowUpID   string            `json:"follow_up_id,omitempty"`
		LogDueAt     time.Time         `json:"log_due_at,omitzero"`
		Cancelled    []string          `json:"cancelled,omitempty"`
	}
	jsonBookInput struct {
		VisitID         string    `json:"visit_id"`
		WorkflowID      string    `json:"workflow_id"`
		RequestID       string    `json:"request_id"`
		CustomerID      string    `json:"customer_id"`
		Day             string    `json:"day"`
		StartAt         time.Time `json:"start_at"`
		EndAt           time.Time `json:"end_at"`
		BookedBy        string    `json:"booked_by"`
		Team            string    `json:"team"`
		Department      string    `json:"department"`
		Purpose         string    `json:"purpose"`
		At              time.Time `json:"at"`
		NonWorkingDayBy string    `json:"non_working_day_by,omitempty"`
	}
	jsonJoinInput struct {
		VisitID    string    `json:"visit_id"`
		RequestID  string    `json:"request_id"`
		UserID     string    `json:"user_id"`
		Department string    `json:"department"`
		Purpose    string    `json:"purpose"`
		Notify     string    `json:"notify"`
		At         time.Time `json:"at"`
	}
	jsonEventInput struct {
		ID        string            `json:"id"`
		VisitID   string            `json:"visit_id"`
		Kind      string            `json:"kind"`
		Actor     string            `json:"actor"`
		Recipient string            `json:"recipient,omitempty"`
		Summary   string            `json:"summary"`
		Data      map[string]string `json:"data,omitempty"`
		At        time.Time         `json:"at"`
	}
	jsonBookedDaysInput struct {
		CustomerID string `json:"customer_id"`
		From       string `json:"from"`
		To         string `json:"to"`
	}
	jsonCancelInput struct {
		jsonCancel
		Notify []string  `json:"notify"`
		At     time.Time `json:"at"`
	}
	jsonLogInput struct {
		jsonLog
		At time.Time `json:"at"`
	}
)

// TestVisitActivitiesDecodeJSONPayloads: the customer service's visit
// activities, given the JSON inputs a workflow of the previous build sends
// (or that were scheduled before the upgrade and are retried after it), do
// what they did: book with the same instants, join, record, list, cancel.
func TestVisitActivitiesDecodeJSONPayloads(t *testing.T) {
	h := newVisitHarness(t, vcst(time.March, 2, 9, 0))
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	a := &visits.Activities{Store: h.store}
	for name, fn := range map[string]any{customerc.ActivityBookVisit: a.BookVisit, customerc.ActivityJoinVisit: a.JoinVisit,
		customerc.ActivityRecordVisitEvent: a.RecordVisitEvent, customerc.ActivityVisitBookedDays: a.VisitBookedDays,
		customerc.ActivityCancelVisit: a.CancelVisit, customerc.ActivityLogVisit: a.LogVisit} {
		env.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
	run := func(name string, in any) converter.EncodedValue {
		t.Helper()
		v, err := env.ExecuteActivity(name, in)
		if err != nil {
			t.Fatalf("%s with a JSON input: %v", name, err)
		}
		return v
	}
	// Instants as the old workflow had them: in the customer's zone.
	start, at := vcst(time.March, 4, 10, 0), vcst(time.March, 2, 9, 0).Add(1500*time.Microsecond)
	const id = "0f9b8c1e-7d7a-4f0e-9a55-3a0c2f1d9e01"
	run(customerc.ActivityBookVisit, jsonBookInput{VisitID: id, WorkflowID: "Visit:x", RequestID: "r0", CustomerID: h.customer, Day: "2026-03-04",
		StartAt: start, EndAt: start.Add(90 * time.Minute), BookedBy: "rep-ana", Team: "north", Department: visit.DeptSales, Purpose: "renewal", At: at})
	run(customerc.ActivityJoinVisit, jsonJoinInput{VisitID: id, RequestID: "r1", UserID: "svc-sam", Department: visit.DeptService,
		Purpose: "check the line", Notify: "rep-ana", At: at.Add(time.Minute)})
	run(customerc.ActivityRecordVisitEvent, jsonEventInput{ID: id + ":offer:r2", VisitID: id, Kind: "offered", Actor: "mkt-mo",
		Summary: "mkt-mo was offered 2026-03-05", Data: map[string]string{"offered_day": "2026-03-05"}, At: at.Add(2 * time.Minute)})
	days := &visit.BookedDaysResult{}
	if err := run(customerc.ActivityVisitBookedDays, jsonBookedDaysInput{CustomerID: h.customer, From: "2026-03-01", To: "2026-03-31"}).Get(&days); err != nil ||
		len(days.GetDays()) != 1 || days.GetDays()[0] != "2026-03-04" {
		t.Fatalf("booked days %v %v", days, err)
	}
	rows := h.rows()
	if len(rows) != 1 || !rows[0].StartAt.Equal(start) || !rows[0].EndAt.Equal(start.Add(90*time.Minute)) || !rows[0].CreatedAt.Equal(at) {
		t.Fatalf("stored %+v, want the visit from %s to %s booked at %s", rows, start, start.Add(90*time.Minute), at)
	}
	if k := h.kinds(id); len(k) != 3 || k[1] != "joined/rep-ana" || k[2] != "offered" {
		t.Fatalf("timeline %v", k)
	}
	run(customerc.ActivityCancelVisit, jsonCancelInput{jsonCancel: jsonCancel{VisitID: id, Actor: "rep-ana", Reason: "customer asked", MovedTo: "2026-03-05"},
		Notify: []string{"svc-sam"}, At: at.Add(time.Hour)})
	if r := h.rows()[0]; r.Status != visit.StatusCancelled || r.MovedTo != "2026-03-05" || h.count(id, "cancel_notice") != 1 {
		t.Fatalf("after the JSON cancel: %+v, timeline %v", r, h.kinds(id))
	}
	// A log of a visit no longer booked changes nothing: the input was read.
	run(customerc.ActivityLogVisit, jsonLogInput{jsonLog: jsonLog{VisitID: id, Actor: "rep-ana", Summary: "s"}, At: at.Add(time.Hour)})
	if r := h.rows()[0]; r.Status != visit.StatusCancelled {
		t.Fatalf("a log changed a cancelled visit: %+v", r)
	}
}

// TestVisitWorkflowTakesJSONPayloads: a Visit workflow of this build takes
// the JSON input and updates the previous build's API sends (the recorded
// histories in workflows/testdata replay them too): it books, a join joins,
// and the cancellation cancels.
func TestVisitWorkflowTakesJSONPayloads(t *testing.T) {
	start := vcst(time.March, 2, 9, 0)
	h := newVisitHarness(t, start)
	const day = "2026-03-04"
	visitStart := vcst(time.March, 4, 10, 0)
	req := func(who, dept string, join bool) jsonRequest {
		return jsonRequest{CustomerID: h.customer, Day: day, RequesterID: who, Team: "north", Department: dept, Purpose: "p",
			StartAt: visitStart, EndAt: visitStart.Add(time.Hour), Join: join}
	}
	var booked, joined, cancelled *vOutcome
	h.at(start, func() { booked = h.send(wfc.UpdateVisitRequest, req("rep-ana", visit.DeptSales, false)) })
	h.at(start.Add(time.Minute), func() { joined = h.send(wfc.UpdateVisitRequest, req("svc-sam", visit.DeptService, true)) })
	h.at(start.Add(time.Hour), func() {
		cancelled = h.send(wfc.UpdateVisitCancel, jsonCancel{Actor: "rep-ana", Reason: "customer asked"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowVisit, jsonInput{CustomerID: h.customer, Day: day, Team: "north", Region: "north"})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if d := h.decision(booked); d.Outcome != visit.OutcomeBooked {
		t.Fatalf("booking: %v", d)
	}
	if d := h.decision(joined); d.Outcome != visit.OutcomeJoined {
		t.Fatalf("join: %v", d)
	}
	if !cancelled.done || cancelled.err != nil {
		t.Fatalf("cancel: %v", cancelled.err)
	}
	rows := h.rows()
	if len(rows) != 1 || rows[0].Status != visit.StatusCancelled || !rows[0].StartAt.Equal(visitStart) {
		t.Fatalf("stored %+v", rows)
	}
}

// TestVisitAnswersDecodeFromJSON: the API of this build reads the answers of
// a workflow of the previous build — a decision, and the state a
// cancellation or a log returns, instants included.
func TestVisitAnswersDecodeFromJSON(t *testing.T) {
	dc := converter.GetDefaultDataConverter()
	start := vcst(time.March, 4, 10, 0)
	p, err := dc.ToPayload(jsonDecision{Outcome: visit.OutcomeOffered, VisitID: "v", Day: "2026-03-04", OfferedDay: "2026-03-05", Message: "m"})
	if err != nil {
		t.Fatal(err)
	}
	d := &visit.Decision{}
	if err := dc.FromPayload(p, &d); err != nil || d.GetOutcome() != visit.OutcomeOffered || d.GetVisitId() != "v" || d.GetOfferedDay() != "2026-03-05" {
		t.Fatalf("decision %v %v", d, err)
	}
	p, err = dc.ToPayload(jsonState{CustomerID: "c", Day: "2026-03-04", VisitID: "v", Status: visit.StatusDone, StartAt: start, EndAt: start.Add(time.Hour),
		Reminded: true, Answered: 3, Participants: []jsonParticipant{{UserID: "rep-ana", Role: visit.RoleBooker, JoinedAt: start.Add(-48 * time.Hour)}},
		Cancelled: []string{"v0"}})
	if err != nil {
		t.Fatal(err)
	}
	if string(p.GetMetadata()[converter.MetadataEncoding]) != converter.MetadataEncodingJSON {
		t.Fatalf("the old answer is encoded %s", p.GetMetadata()[converter.MetadataEncoding])
	}
	s := &visit.State{}
	if err := dc.FromPayload(p, &s); err != nil {
		t.Fatal(err)
	}
	if s.GetStatus() != visit.StatusDone || !visit.At(s.GetStartAt()).Equal(start) || !visit.At(s.GetEndAt()).Equal(start.Add(time.Hour)) ||
		s.GetRemindAt() != "" || !s.GetReminded() || s.GetAnswered() != 3 || len(s.GetParticipants()) != 1 ||
		!visit.At(s.GetParticipants()[0].GetJoinedAt()).Equal(start.Add(-48*time.Hour)) || len(s.GetCancelled()) != 1 {
		t.Fatalf("state %v", s)
	}
}
