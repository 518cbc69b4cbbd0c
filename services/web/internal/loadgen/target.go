package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/salesapi"
)

// URLs are the services' base URLs (without /v1): each service has its own
// (the chart's Ingress exposes only the web console; see docs/performance.md).
type URLs struct {
	Customer, Sales, FollowUp string
}

// Tokens are bearer tokens by role: Rep creates and works customers, leads,
// contacts and visits and reads their lists; Manager reads the overdue
// follow-ups of their teams; Analyst (or an admin) edits the timer policy.
// Only the roles the mix needs are required.
type Tokens struct {
	Rep, Manager, Analyst string
}

// Target is the deployment under load, as its users' typed API clients.
type Target struct {
	repCust    *customerapi.ClientWithResponses
	repSales   *salesapi.ClientWithResponses
	mgrFU      *followupapi.ClientWithResponses
	analystFU  *followupapi.ClientWithResponses
	timeout    time.Duration
	tag        string
	region     string
	industry   string
	policyName string
	rec        *Recorder

	mu          sync.Mutex
	customers   []string
	policyValue any
	visitSeq    int
	contactSeq  int
	listSeq     int
	firstDay    time.Time
	leftOver    []int // policy versions the run could not withdraw
}

type idemKeyType struct{}

// withIdem makes the requests sent with ctx carry key as Idempotency-Key.
func withIdem(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idemKeyType{}, key)
}

func editor(token string) func(ctx context.Context, req *http.Request) error {
	return func(ctx context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		if k, ok := ctx.Value(idemKeyType{}).(string); ok && req.Method != http.MethodGet {
			req.Header.Set("Idempotency-Key", k)
		}
		return nil
	}
}

// NewTarget returns the clients of the services at u, calling with tokens
// through hc; every request is given timeout.
func NewTarget(u URLs, tok Tokens, hc *http.Client, cfg Config, rec *Recorder) (*Target, error) {
	t := &Target{timeout: cfg.Timeout, tag: cfg.Tag, region: cfg.Region, industry: cfg.Industry, policyName: cfg.Policy, rec: rec}
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	var err error
	t.repCust, err = customerapi.NewClientWithResponses(u.Customer, customerapi.WithHTTPClient(hc), customerapi.WithRequestEditorFn(editor(tok.Rep)))
	add(err)
	t.repSales, err = salesapi.NewClientWithResponses(u.Sales, salesapi.WithHTTPClient(hc), salesapi.WithRequestEditorFn(editor(tok.Rep)))
	add(err)
	t.mgrFU, err = followupapi.NewClientWithResponses(u.FollowUp, followupapi.WithHTTPClient(hc), followupapi.WithRequestEditorFn(editor(tok.Manager)))
	add(err)
	t.analystFU, err = followupapi.NewClientWithResponses(u.FollowUp, followupapi.WithHTTPClient(hc), followupapi.WithRequestEditorFn(editor(tok.Analyst)))
	add(err)
	// The first visit day: a week ahead, clear of today's passed start times
	// and of the near days people book by hand.
	t.firstDay = time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, cfg.VisitAfterDays)
	return t, errors.Join(errs...)
}

// answer is what every generated response has: its status and raw body.
func answer(res any, err error) (int, []byte, error) {
	if err != nil {
		return 0, nil, err
	}
	v := reflect.ValueOf(res)
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() {
		return 0, nil, errors.New("no response")
	}
	hr, _ := v.Elem().FieldByName("HTTPResponse").Interface().(*http.Response)
	body, _ := v.Elem().FieldByName("Body").Interface().([]byte)
	if hr == nil {
		return 0, nil, errors.New("no response")
	}
	return hr.StatusCode, body, nil
}

// problemCode is the code of an error answer ({"code": …}), "" otherwise.
func problemCode(body []byte) string {
	var p struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(body, &p)
	return p.Code
}

// Classify is what an answer means: 2xx OK; 409, or 422 with a code in
// expected, Business; anything else (no answer included) Error.
func Classify(status int, code string, expected []string) Class {
	switch {
	case status >= 200 && status < 300:
		return OK
	case status == http.StatusConflict:
		return Business
	case status == http.StatusUnprocessableEntity && slices.Contains(expected, code):
		return Business
	default:
		return Error
	}
}

// call sends one request (do) as the step name of an action due at
// scheduled, records it and returns its status and body (status 0: no
// answer). okLabel, when set, labels a 2xx answer from its body.
func (t *Target) call(ctx context.Context, name string, scheduled time.Time, expected []string,
	okLabel func([]byte) string, do func(ctx context.Context) (any, error)) (int, []byte) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	sent := time.Now()
	if scheduled.IsZero() {
		scheduled = sent
	}
	status, body, err := answer(do(ctx))
	done := time.Now()
	s := Sample{Name: name, Scheduled: scheduled, Sent: sent, Done: done, Status: status}
	switch {
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		s.Label, s.Class = "timeout", Error
	case err != nil:
		s.Label, s.Class = "transport", Error
	case status >= 200 && status < 300:
		s.Class = OK
		if okLabel != nil {
			s.Label = okLabel(body)
		}
	default:
		s.Label = problemCode(body)
		s.Class = Classify(status, s.Label, expected)
	}
	if t.rec != nil {
		t.rec.Add(s)
	}
	return status, body
}

// Do runs request i of the run, action act, due at scheduled.
func (t *Target) Do(ctx context.Context, act string, i int, scheduled time.Time) {
	switch act {
	case ActLead:
		t.lead(ctx, i, scheduled)
	case ActContact:
		t.contact(ctx, i, scheduled)
	case ActVisit:
		t.visit(ctx, i, scheduled)
	case ActPolicy:
		t.policy(ctx, i, scheduled)
	case ActList:
		t.list(ctx, scheduled)
	}
}

func ptr[T any](v T) *T { return &v }

// lead creates a lead for a new company named after the run (sales; the
// workflow finds or creates its customer and assigns it).
func (t *Target) lead(ctx context.Context, i int, scheduled time.Time) {
	key := fmt.Sprintf("%s-lead-%d", t.tag, i)
	body := salesapi.LeadRequest{Source: ptr("web"), CompanyName: ptr(fmt.Sprintf("LG %s lead %06d", t.tag, i)),
		Region: ptr(t.region), Industry: ptr(t.industry), ContactName: ptr("Load Test"),
		Interest: ptr("load test run " + t.tag)}
	t.call(ctx, ActLead, scheduled, nil, nil, func(ctx context.Context) (any, error) {
		return t.repSales.PostLeadsWithResponse(ctx, &salesapi.PostLeadsParams{IdempotencyKey: &key}, body)
	})
}

// nextContactCustomer is the run's customers in turn.
func (t *Target) nextContactCustomer() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.customers[t.contactSeq%len(t.customers)]
	t.contactSeq++
	return c
}

// contact logs a phone call with one of the run's customers (customer
// service actions: it answers the customer's care follow-up through its
// workflow).
func (t *Target) contact(ctx context.Context, i int, scheduled time.Time) {
	c := t.nextContactCustomer()
	body := customerapi.ActionRequest{Kind: ptr("log"), Category: ptr("phone_call"), Department: ptr("sales"),
		Title: ptr("Load test call"), Summary: ptr("load test run " + t.tag), CustomerIds: &[]string{c}}
	t.call(withIdem(ctx, fmt.Sprintf("%s-contact-%d", t.tag, i)), ActContact, scheduled, nil, nil, func(ctx context.Context) (any, error) {
		return t.repCust.PostActionsWithResponse(ctx, body)
	})
}

// VisitBusinessCodes are the 422 codes of a visit request that are business
// outcomes, not faults: a day that is a holiday in the customer's calendar,
// or whose visit is over or closed.
var VisitBusinessCodes = []string{"non_working_day", "visit_over", "visit_closed"}

// NthVisitDay is the k-th visit day from first: Mondays to Fridays only
// (calendars without other working days refuse the rest with 422
// non_working_day, a business outcome).
func NthVisitDay(first time.Time, k int) time.Time {
	d := first
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	for n := 0; n < k; {
		d = d.AddDate(0, 0, 1)
		if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
			n++
		}
	}
	return d
}

// visitSlot is the next customer-day of the run: every customer on the
// first day, then every customer on the next, so no two requests of the
// run ask for the same customer and day.
func (t *Target) visitSlot() (customer, day string) {
	t.mu.Lock()
	k := t.visitSeq
	t.visitSeq++
	cs := t.customers
	t.mu.Unlock()
	return cs[k%len(cs)], NthVisitDay(t.firstDay, k/len(cs)).Format(time.DateOnly)
}

// visit requests a visit on a customer-day of its own.
func (t *Target) visit(ctx context.Context, i int, scheduled time.Time) {
	c, day := t.visitSlot()
	body := customerapi.RequestBody{Day: &day, Department: ptr("sales"), Purpose: ptr("load test run " + t.tag),
		StartTime: ptr("10:00"), DurationMinutes: ptr(60)}
	outcome := func(b []byte) string {
		var a customerapi.Answer
		if json.Unmarshal(b, &a) == nil && a.Outcome != nil {
			if a.Repeat != nil && *a.Repeat {
				return *a.Outcome + " (repeat)"
			}
			return *a.Outcome
		}
		return ""
	}
	t.call(withIdem(ctx, fmt.Sprintf("%s-visit-%d", t.tag, i)), ActVisit, scheduled, VisitBusinessCodes, outcome, func(ctx context.Context) (any, error) {
		return t.repCust.PostCustomersByIdVisitsWithResponse(ctx, c, body)
	})
}

// list reads one list in turn: the rep's customers, the rep's leads, the
// manager's overdue follow-ups (when a manager token was given).
func (t *Target) list(ctx context.Context, scheduled time.Time) {
	t.mu.Lock()
	k := t.listSeq
	t.listSeq++
	t.mu.Unlock()
	limit := 50
	switch k % 3 {
	case 0:
		t.call(ctx, ActList+".customers", scheduled, nil, nil, func(ctx context.Context) (any, error) {
			return t.repCust.GetCustomersWithResponse(ctx, &customerapi.GetCustomersParams{Limit: &limit})
		})
	case 1:
		t.call(ctx, ActList+".leads", scheduled, nil, nil, func(ctx context.Context) (any, error) {
			return t.repSales.GetLeadsWithResponse(ctx, &salesapi.GetLeadsParams{Limit: &limit})
		})
	default:
		t.call(ctx, ActList+".overdue", scheduled, nil, nil, func(ctx context.Context) (any, error) {
			return t.mgrFU.GetFollowUpsOverdueWithResponse(ctx, &followupapi.GetFollowUpsOverdueParams{Limit: &limit})
		})
	}
}
