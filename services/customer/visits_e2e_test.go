package customer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/workflows"
	"github.com/closeloop/closeloop/workflows/visit"
)

// These tests run the visit API against the real thing: the customer service
// (HTTP API and activities worker), the follow-up service beside it (the
// calendars, the visit log's follow-up) and the workflow worker on the
// Temporal dev server and PostgreSQL. Each test gets its own Temporal
// namespace, so the activities of one test's workflows never reach another
// test's database.

var visitNS atomic.Int64

// visitStack starts a customer service on a fresh database (dsn: one of
// backends) with its own Temporal namespace; with worker, also the workflow
// worker.
func visitStack(t testing.TB, dsn func(testing.TB) string, worker bool) (*stack, string, string) {
	t.Helper()
	hostPort, ns := testenv.Temporal(t)
	ns = fmt.Sprintf("%s-visits-%d", ns, visitNS.Add(1))
	c, err := client.Dial(client.Options{HostPort: hostPort, Namespace: ns, Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	wcfg := workflows.Config{NamespaceRetention: 24 * time.Hour, ABCScheduleCron: "0 2 * * *", ABCScheduleTZ: "UTC", ABCPageSize: 1000}
	if err := workflows.Setup(context.Background(), c, ns, wcfg, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("temporal setup: %v", err)
	}
	c.Close()
	s := newStack(t, dsn(t), stackOpts{temporal: hostPort, namespace: ns})
	if worker {
		startWorker(t, hostPort, ns, nil)
	}
	return s, hostPort, ns
}

// weekdayAhead is the n-th Monday-to-Friday day after today (UTC): a working
// day of the shipped default calendar.
func weekdayAhead(n int) string {
	d := time.Now().UTC()
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return d.Format(visit.DayLayout)
}

// nextWeekday is the first Monday-to-Friday day after day.
func nextWeekday(day string) string {
	d, _ := time.Parse(visit.DayLayout, day)
	for {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			return d.Format(visit.DayLayout)
		}
	}
}

// saturdayAhead is the next Saturday at least two days ahead.
func saturdayAhead() string {
	d := time.Now().UTC().AddDate(0, 0, 2)
	for d.Weekday() != time.Saturday {
		d = d.AddDate(0, 0, 1)
	}
	return d.Format(visit.DayLayout)
}

type vresp struct {
	status int
	body   map[string]any
	raw    []byte
	took   time.Duration
}

// vcall sends a request as user to the service owning path (stacktest) and
// decodes the JSON answer; safe to call from many goroutines (errors come
// back, nothing calls t.Fatal).
// vcall sends body as user; hdr are extra header name, value pairs.
func (s *stack) vcall(method, path, user string, body any, hdr ...string) (vresp, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return vresp{}, err
		}
		rd = bytes.NewReader(raw)
	}
	base := s.base
	if stacktest.OwnsPath(path) {
		base = s.FollowUpBase
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return vresp{}, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+s.tokens[user])
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	t0 := time.Now()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return vresp{}, err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := vresp{status: res.StatusCode, raw: raw, took: time.Since(t0)}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			return out, fmt.Errorf("%d: not JSON: %s", res.StatusCode, raw)
		}
	}
	return out, nil
}

func (s *stack) vmust(t testing.TB, want int, method, path, user string, body any) map[string]any {
	t.Helper()
	r, err := s.vcall(method, path, user, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.status != want {
		t.Fatalf("%s %s as %s: %d %s, want %d", method, path, user, r.status, r.raw, want)
	}
	return r.body
}

func items(m map[string]any) []map[string]any {
	var out []map[string]any
	for _, it := range m["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

// TestVisitRequestsRace is the race the workflow is built for: 20 requests
// for one customer and one day, from three departments and three people, all
// at once. Exactly one visit exists; every request got an answer — one
// booked, the others joined it, were offered the next working day, or (from
// someone already in the visit) were told what they have — and none was
// lost: new participants, repeats and offers add up to 20. Each person is a
// participant at most once.
func TestVisitRequestsRace(t *testing.T) {
	s, _, _ := visitStack(t, testenv.Postgres, true)
	cust := s.create(mgrMia, company(map[string]any{"owner_id": repAna, "team": "north"}))
	day := weekdayAhead(3)
	users := []string{repAna, mgrMia, admin}
	depts := visit.Departments()
	const n = 20
	answers := make([]vresp, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			answers[i], errs[i] = s.vcall("POST", "/v1/customers/"+cust+"/visits", users[i%3], map[string]any{
				"day": day, "department": depts[i%3], "purpose": fmt.Sprintf("request %d", i), "start_time": "10:00", "join": i%2 == 1})
		}()
	}
	close(start)
	wg.Wait()
	outcomes := map[string]int{}
	visitID := ""
	for i, a := range answers {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		o, _ := a.body["outcome"].(string)
		if a.body["repeat"] == true {
			o = "repeat"
		}
		outcomes[o]++
		switch {
		case o == visit.OutcomeBooked && a.status == http.StatusCreated, o == visit.OutcomeJoined && a.status == http.StatusOK,
			o == "repeat" && a.status == http.StatusOK:
			id := a.body["visit"].(map[string]any)["id"].(string)
			if visitID != "" && id != visitID {
				t.Errorf("request %d answered with visit %s, another with %s", i, id, visitID)
			}
			visitID = id
		case o == visit.OutcomeOffered && a.status == http.StatusOK:
			if a.body["offered_day"] != nextWeekday(day) {
				t.Errorf("request %d offered %v, want %s", i, a.body["offered_day"], nextWeekday(day))
			}
		default:
			t.Errorf("request %d: %d %s", i, a.status, a.raw)
		}
	}
	if outcomes[visit.OutcomeBooked] != 1 || outcomes[visit.OutcomeJoined]+outcomes[visit.OutcomeOffered]+outcomes["repeat"] != n-1 {
		t.Fatalf("outcomes %v, want 1 booked and %d joined, offered or repeats", outcomes, n-1)
	}
	vs := items(s.vmust(t, 200, "GET", "/v1/customers/"+cust+"/visits", admin, nil))
	if len(vs) != 1 || vs[0]["day"] != day || vs[0]["status"] != visit.StatusBooked || vs[0]["id"] != visitID {
		t.Fatalf("the customer's visits: %v", vs)
	}
	v := s.vmust(t, 200, "GET", "/v1/visits/"+visitID, admin, nil)
	participants := len(v["participants"].([]any))
	people := map[any]bool{}
	for _, p := range v["participants"].([]any) {
		people[p.(map[string]any)["user_id"]] = true
	}
	if len(people) != participants || participants > len(users) {
		t.Errorf("participants %v: one per person, at most %d", v["participants"], len(users))
	}
	offers, notices := 0, 0
	for _, e := range v["events"].([]any) {
		switch e.(map[string]any)["kind"] {
		case "offered":
			offers++
		case "joined":
			if e.(map[string]any)["recipient"] != v["booked_by"] {
				t.Errorf("join notice to %v, want the booker %v", e.(map[string]any)["recipient"], v["booked_by"])
			}
			notices++
		}
	}
	if participants+offers+outcomes["repeat"] != n || participants != 1+outcomes[visit.OutcomeJoined] || notices != outcomes[visit.OutcomeJoined] {
		t.Fatalf("%d participants + %d offers + %d repeats (%d join notices), want %d in all; outcomes %v", participants, offers, outcomes["repeat"], notices, n, outcomes)
	}
	// The raced customer-day, waiting for its visit, for the replay test
	// (visit-raced-requests.json is the same race recorded before one
	// participant per person, visit-raced-requests-one-participant-per-person.json
	// before the payloads moved from JSON to proto, visit-raced-requests-proto.json
	// before the first request was decided while the policies were being
	// resolved, visit-raced-requests-early.json before the run started with
	// the request's resolution, visit-raced-requests-resolved.json before the
	// customer service hosted the day, visit-raced-requests-local.json before
	// a hosted run asked one change for all, visit-raced-requests-lean.json
	// before a hosted run decided its requests against the stored day,
	// visit-raced-requests-decided.json before it settled its requests
	// before waiting for the day's end; they stay, for the runs they stand
	// for).
	testenv.SaveHistory(t, s.app.Deps().Temporal, wfc.VisitWorkflowID(cust, day), "../../workflows/testdata/visit-raced-requests-settled.json")
}

// TestVisitLifecycleThroughAPI, on each database: book, join, decline; the calendar views of a
// department, a person and the customer; a reschedule moves the visit (the
// joined visitor is told); cancelling frees the day for another department.
func TestVisitLifecycleThroughAPI(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) { visitLifecycle(t, b.DSN) })
	}
}

func visitLifecycle(t *testing.T, dsn func(testing.TB) string) {
	s, _, _ := visitStack(t, dsn, true)
	cust := s.create(mgrMia, company(map[string]any{"owner_id": repAna, "team": "north"}))
	day, later := weekdayAhead(2), weekdayAhead(5)
	path := "/v1/customers/" + cust + "/visits"
	booked := s.vmust(t, 201, "POST", path, repAna, map[string]any{"day": day, "department": "sales", "purpose": "contract renewal", "start_time": "14:30", "duration_minutes": 90})
	v := booked["visit"].(map[string]any)
	id := v["id"].(string)
	if booked["outcome"] != "booked" || !sameInstant(v["start_at"], day+"T14:30:00Z") || !sameInstant(v["end_at"], day+"T16:00:00Z") {
		t.Fatalf("booked %v", booked)
	}
	checkBookedInOneRoundTrip(t, s.app.Deps().Temporal, wfc.VisitWorkflowID(cust, day))
	joined := s.vmust(t, 200, "POST", path, mgrMia, map[string]any{"day": day, "department": "service", "purpose": "check the installation", "join": true})
	offered := s.vmust(t, 200, "POST", path, admin, map[string]any{"day": day, "department": "marketing", "purpose": "trade fair invitation"})
	if joined["outcome"] != "joined" || offered["outcome"] != "offered" || offered["offered_day"] != nextWeekday(day) {
		t.Fatalf("joined %v, offered %v", joined, offered)
	}
	// Views: the service department and mgr-mia see the joint visit; marketing does not.
	from, to := weekdayAhead(1), weekdayAhead(10)
	if got := items(s.vmust(t, 200, "GET", "/v1/visits?department=service&from="+from+"&to="+to, mgrMia, nil)); len(got) != 1 || got[0]["id"] != id {
		t.Errorf("service department view: %v", got)
	}
	if got := items(s.vmust(t, 200, "GET", "/v1/visits?department=marketing&from="+from+"&to="+to, admin, nil)); len(got) != 0 {
		t.Errorf("marketing department view: %v", got)
	}
	if got := items(s.vmust(t, 200, "GET", "/v1/visits?user_id="+repAna+"&from="+from+"&to="+to, repAna, nil)); len(got) != 1 {
		t.Errorf("rep view: %v", got)
	}
	if got := items(s.vmust(t, 200, "GET", "/v1/visits?from="+from+"&to="+to, repBo, nil)); len(got) != 0 {
		t.Errorf("rep-bo sees visits to a customer outside his scope: %v", got)
	}
	// A manager of another team cannot move it; the booker can.
	if r, _ := s.vcall("POST", "/v1/visits/"+id+"/reschedule", repBo, map[string]any{"day": later, "reason": "x"}); r.status != 404 {
		t.Errorf("reschedule by rep-bo: %d %s", r.status, r.raw)
	}
	moved := s.vmust(t, 201, "POST", "/v1/visits/"+id+"/reschedule", repAna, map[string]any{"day": later, "start_time": "09:30", "reason": "customer asked"})
	newID := moved["visit"].(map[string]any)["id"].(string)
	if moved["outcome"] != "booked" || moved["moved_from"] != id || newID == id {
		t.Fatalf("reschedule %v", moved)
	}
	old := s.vmust(t, 200, "GET", "/v1/visits/"+id, admin, nil)
	if old["status"] != "cancelled" || old["cancellation"].(map[string]any)["moved_to"] != later {
		t.Fatalf("old visit %v", old)
	}
	told := false
	for _, e := range old["events"].([]any) {
		told = told || (e.(map[string]any)["kind"] == "cancel_notice" && e.(map[string]any)["recipient"] == mgrMia)
	}
	if !told {
		t.Errorf("the joined visitor was not told: %v", old["events"])
	}
	// The freed day books again, for another department.
	again := s.vmust(t, 201, "POST", path, admin, map[string]any{"day": day, "department": "marketing", "purpose": "trade fair invitation"})
	if again["outcome"] != "booked" {
		t.Fatalf("freed day: %v", again)
	}
	// A manager of the customer's team may cancel the booker's visit.
	cancelled := s.vmust(t, 200, "POST", "/v1/visits/"+newID+"/cancel", mgrMia, map[string]any{"reason": "plans changed"})
	if cancelled["status"] != "cancelled" {
		t.Fatalf("cancel %v", cancelled)
	}
	all := items(s.vmust(t, 200, "GET", path, repAna, nil))
	statuses := map[string]int{}
	for _, x := range all {
		statuses[x["status"].(string)]++
	}
	if len(all) != 3 || statuses["cancelled"] != 2 || statuses["booked"] != 1 {
		t.Errorf("customer view %v", statuses)
	}
}

// TestVisitBadInput: each bad request is refused with a clear 4xx, a code
// and the offending field, and changes nothing.
func TestVisitBadInput(t *testing.T) {
	s, _, _ := visitStack(t, testenv.Postgres, true)
	cust := s.create(mgrMia, company(map[string]any{"owner_id": repAna, "team": "north"}))
	path := "/v1/customers/" + cust + "/visits"
	day := weekdayAhead(2)
	booked := s.vmust(t, 201, "POST", path, repAna, map[string]any{"day": day, "department": "sales", "purpose": "renewal"})
	id := booked["visit"].(map[string]any)["id"].(string)
	gone := s.vmust(t, 201, "POST", path, repAna, map[string]any{"day": weekdayAhead(3), "department": "sales", "purpose": "demo"})
	goneID := gone["visit"].(map[string]any)["id"].(string)
	s.vmust(t, 200, "POST", "/v1/visits/"+goneID+"/cancel", repAna, map[string]any{"reason": "not needed"})

	snapshot := func() string {
		a := s.vmust(t, 200, "GET", path, admin, nil)
		b := s.vmust(t, 200, "GET", "/v1/visits/"+id, admin, nil)
		c := s.vmust(t, 200, "GET", "/v1/visits/"+goneID, admin, nil)
		raw, _ := json.Marshal([]any{a, b, c})
		return string(raw)
	}
	before := snapshot()
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(visit.DayLayout)
	today := time.Now().UTC().Format(visit.DayLayout)
	cases := []struct {
		name, method, path, user string
		body                     map[string]any
		status                   int
		code, field              string
	}{
		{"a date in the past", "POST", path, repAna, map[string]any{"day": yesterday, "department": "sales", "purpose": "x"}, 422, "validation_failed", "day"},
		{"a non-working day", "POST", path, repAna, map[string]any{"day": saturdayAhead(), "department": "sales", "purpose": "x"}, 422, "validation_failed", "day"},
		{"a non-working day with an override, where the operator allows none", "POST", path, mgrMia, map[string]any{"day": saturdayAhead(), "department": "sales",
			"purpose": "x", "allow_non_working_day": true}, 422, "validation_failed", "day"},
		{"a visit at 23:30 lasting 600 minutes", "POST", path, repAna, map[string]any{"day": weekdayAhead(4), "department": "sales", "purpose": "x",
			"start_time": "23:30", "duration_minutes": 600}, 422, "validation_failed", "duration_minutes"},
		{"an unknown customer", "POST", "/v1/customers/" + uuid.NewString() + "/visits", admin, map[string]any{"day": day, "department": "sales", "purpose": "x"}, 404, "customer_not_found", ""},
		{"a requester without rights on the customer", "POST", path, repBo, map[string]any{"day": day, "department": "service", "purpose": "x", "join": true}, 404, "customer_not_found", ""},
		{"an analyst (no followups:write)", "POST", path, analyst, map[string]any{"day": day, "department": "sales", "purpose": "x"}, 403, "forbidden", ""},
		{"an unknown department", "POST", path, repAna, map[string]any{"day": day, "department": "finance", "purpose": "x"}, 422, "validation_failed", "department"},
		{"a malformed day", "POST", path, repAna, map[string]any{"day": "next tuesday", "department": "sales", "purpose": "x"}, 422, "validation_failed", "day"},
		{"a log for a visit that has not happened yet", "POST", "/v1/visits/" + id + "/log", repAna, map[string]any{"summary": "went well"}, 422, visit.CodeVisitNotHappened, ""},
		{"a log for a cancelled visit", "POST", "/v1/visits/" + goneID + "/log", repAna, map[string]any{"summary": "went well"}, 422, visit.CodeVisitNotHappened, ""},
		{"a cancel by a rep who cannot see the customer", "POST", "/v1/visits/" + id + "/cancel", repBo, map[string]any{"reason": "x"}, 404, "visit_not_found", ""},
		{"a cancel without a reason", "POST", "/v1/visits/" + id + "/cancel", repAna, map[string]any{}, 422, "validation_failed", "reason"},
		{"a second cancel", "POST", "/v1/visits/" + goneID + "/cancel", repAna, map[string]any{"reason": "again"}, 422, visit.CodeNotBooked, ""},
	}
	passedToday := false
	if wd := time.Now().UTC().Weekday(); wd != time.Saturday && wd != time.Sunday {
		// Today has no visit, so a start that has passed cannot book it
		// (a request that joins would keep the booked visit's start).
		passedToday = true
		cases = append(cases, struct {
			name, method, path, user string
			body                     map[string]any
			status                   int
			code, field              string
		}{"a start that has passed today", "POST", path, repAna, map[string]any{"day": today,
			"department": "sales", "purpose": "x", "start_time": "00:00"}, 422, "validation_failed", "start_time"})
	}
	for _, c := range cases {
		r, err := s.vcall(c.method, c.path, c.user, c.body)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if r.status != c.status || r.body["code"] != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.status, r.raw, c.status, c.code)
			continue
		}
		if c.field != "" {
			fields, _ := r.body["details"].(map[string]any)["fields"].([]any)
			if len(fields) == 0 || fields[0].(map[string]any)["field"] != c.field {
				t.Errorf("%s: fields %v, want %s", c.name, fields, c.field)
			}
		}
	}
	if after := snapshot(); after != before {
		t.Errorf("bad requests changed something:\nbefore %s\nafter  %s", before, after)
	}
	// Nor did a refused request start a workflow for its day.
	for _, d := range []string{yesterday, saturdayAhead(), weekdayAhead(4), today} {
		if d == today && !passedToday {
			continue
		}
		if st := visitWorkflowStatus(t, s, cust, d); st != "none" {
			t.Errorf("a refused request for %s left a workflow: %s", d, st)
		}
	}
}

// visitWorkflowStatus is the status of the customer-day's Visit workflow:
// "none" when it was never started.
func visitWorkflowStatus(t testing.TB, s *stack, customer, day string) string {
	t.Helper()
	d, err := s.app.Deps().Temporal.DescribeWorkflowExecution(context.Background(), wfc.VisitWorkflowID(customer, day), "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return "none"
	}
	if err != nil {
		t.Fatal(err)
	}
	switch st := d.GetWorkflowExecutionInfo().GetStatus(); st {
	case enums.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return "running"
	case enums.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return "completed"
	default:
		return st.String()
	}
}

func sameInstant(v any, want string) bool {
	a, err1 := time.Parse(time.RFC3339Nano, fmt.Sprint(v))
	b, err2 := time.Parse(time.RFC3339Nano, want)
	return err1 == nil && err2 == nil && a.Equal(b)
}

// TestVisitWithoutTheFollowUpService: the day rule needs the customer's
// business calendar, which the follow-up service answers; when it does not
// answer, a request is refused with 503 followup_service_unavailable and
// nothing is stored.
func TestVisitWithoutTheFollowUpService(t *testing.T) {
	s := withoutFollowUpService(t, testenv.Postgres(t))
	cust := s.create(mgrMia, company(map[string]any{"owner_id": repAna, "team": "north"}))
	path := "/v1/customers/" + cust + "/visits"
	r, err := s.vcall("POST", path, repAna, map[string]any{"day": weekdayAhead(2), "department": "sales", "purpose": "renewal"})
	if err != nil {
		t.Fatal(err)
	}
	if r.status != http.StatusServiceUnavailable || r.body["code"] != "followup_service_unavailable" {
		t.Fatalf("request: %d %s", r.status, r.raw)
	}
	if msg, _ := r.body["message"].(string); msg == "" {
		t.Errorf("no message: %s", r.raw)
	}
	if got := s.vmust(t, 200, "GET", path, admin, nil); len(got["items"].([]any)) != 0 {
		t.Fatalf("a refused request stored a visit: %v", got)
	}
}
