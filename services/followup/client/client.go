// Package client is a small typed client of the follow-up service's public
// HTTP API, for other services that act on follow-ups or read calendars
// while they answer a request.
//
// Every call is made as the caller: the Authorization header the request
// arrived with (httpx.ForwardBearer keeps it, httpx.Bearer reads it) is sent
// on, so the follow-up service applies the caller's own permissions and
// scope. A call on a context without one is sent without credentials.
//
// Errors are apperr values: 404 is NotFound, and 400, 403, 409 and 422 pass
// the follow-up service's problem (code, message, field errors) on with the
// same kind; a follow-up service that does not answer, fails (5xx), does
// not accept the forwarded credentials (401) or answers something
// unexpected is Unavailable with code followup_service_unavailable.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

// CodeUnavailable is the code of every error that says the follow-up
// service could not be used (503).
const CodeUnavailable = "followup_service_unavailable"

// Timeout bounds one call. Completing a follow-up waits (up to five
// seconds) for its workflow to close it before the follow-up service
// answers, so the bound is above that.
const Timeout = 10 * time.Second

// Client calls the follow-up service at Base.
type Client struct {
	Base string
	HTTP *http.Client
}

// New returns a client of the follow-up service at base (such as
// http://127.0.0.1:8086), traced with OpenTelemetry.
func New(base string) *Client {
	return &Client{Base: strings.TrimRight(base, "/"),
		HTTP: &http.Client{Timeout: Timeout, Transport: otelhttp.NewTransport(http.DefaultTransport)}}
}

// FollowUp is a follow-up as the follow-up service shows it (the fields
// other services use; the API has more).
type FollowUp struct {
	ID              string     `json:"id"`
	Kind            string     `json:"kind"`
	CustomerID      string     `json:"customer_id"`
	OwnerID         string     `json:"owner_id"`
	Team            string     `json:"team"`
	Territory       string     `json:"territory"`
	Title           string     `json:"title"`
	State           string     `json:"state"`
	AnchorAt        time.Time  `json:"anchor_at"`
	DueAt           time.Time  `json:"due_at"`
	Overdue         bool       `json:"overdue"`
	EscalationLevel int        `json:"escalation_level"`
	Calendar        string     `json:"calendar,omitempty"`
	WorkflowID      string     `json:"workflow_id"`
	OpenedBy        string     `json:"opened_by"`
	CreatedAt       time.Time  `json:"created_at"`
	ClosedAt        *time.Time `json:"closed_at,omitempty"`
	ClosedBy        *string    `json:"closed_by,omitempty"`
	CloseNote       string     `json:"close_note,omitempty"`
}

// Filter selects follow-ups for List; empty fields do not filter.
type Filter struct {
	CustomerID, Kind, OwnerID, Team, Territory string
	// State is "open" (the service's default), "closed" or "all".
	State string
	// Limit is the page size (1..200; 0: the service's default, 50).
	Limit int
	// Cursor is the NextCursor of the previous page.
	Cursor string
}

// Page is a page of follow-ups.
type Page struct {
	Items      []FollowUp `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// Calendar is the business calendar assigned to a team or region.
type Calendar struct {
	Name    string
	Version int64
	// Spec is the stored definition (policy.CalendarFromJSON reads it).
	Spec json.RawMessage
	// Calendar is Spec, decoded.
	Calendar *calendar.Calendar
}

// List returns a page of the follow-ups the caller may see that match f.
func (c *Client) List(ctx context.Context, f Filter) (Page, error) {
	q := url.Values{}
	for k, v := range map[string]string{"customer_id": f.CustomerID, "kind": f.Kind, "owner_id": f.OwnerID, "team": f.Team,
		"territory": f.Territory, "state": f.State, "cursor": f.Cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var p Page
	if err := c.do(ctx, http.MethodGet, "/v1/follow-ups?"+q.Encode(), nil, &p); err != nil {
		return Page{}, err
	}
	if p.Items == nil {
		p.Items = []FollowUp{}
	}
	return p, nil
}

// FirstContactLimit is how many open first-contact follow-ups of one
// customer OpenFirstContacts returns at most.
const FirstContactLimit = 50

// OpenFirstContacts returns the customer's open first-contact follow-ups the
// caller may see (at most FirstContactLimit, soonest due first).
func (c *Client) OpenFirstContacts(ctx context.Context, customerID string) ([]FollowUp, error) {
	p, err := c.List(ctx, Filter{CustomerID: customerID, Kind: policy.KindFirstContact, State: "open", Limit: FirstContactLimit})
	return p.Items, err
}

// Complete closes the follow-up id as done by the caller, with a note, and
// returns it as the follow-up service then shows it.
func (c *Client) Complete(ctx context.Context, id, note string) (FollowUp, error) {
	var f FollowUp
	err := c.do(ctx, http.MethodPost, "/v1/follow-ups/"+url.PathEscape(id)+"/complete", map[string]string{"note": note}, &f)
	return f, err
}

// AssignedCalendar returns the current business calendar of the team, else
// of the region, else the default one.
func (c *Client) AssignedCalendar(ctx context.Context, team, region string) (Calendar, error) {
	q := url.Values{"team": {team}, "region": {region}}
	var out struct {
		Name     string          `json:"name"`
		Version  int64           `json:"version"`
		SpecJSON json.RawMessage `json:"spec_json"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/calendars/assigned?"+q.Encode(), nil, &out); err != nil {
		return Calendar{}, err
	}
	return decodeCalendar(out.Name, out.Version, out.SpecJSON)
}

// decodeCalendar builds a calendar the follow-up service answered; one that
// does not decode is Unavailable (the service answered something unusable).
func decodeCalendar(name string, version int64, spec json.RawMessage) (Calendar, error) {
	cal, err := policy.CalendarFromJSON(spec)
	if err != nil {
		return Calendar{}, unavailable("the follow-up service answered a calendar that does not decode").
			Wrap(fmt.Errorf("calendar %q v%d: %w", name, version, err))
	}
	return Calendar{Name: name, Version: version, Spec: spec, Calendar: cal}, nil
}

func unavailable(msg string) *apperr.Error { return apperr.Unavailable(CodeUnavailable, msg) }

// do sends a request as the caller and decodes a 2xx answer into out.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok := httpx.Bearer(ctx); tok != "" {
		req.Header.Set("Authorization", tok)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return unavailable("the follow-up service did not answer; retry shortly").Wrap(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return unavailable("the follow-up service's answer was cut off; retry shortly").Wrap(err)
	}
	if resp.StatusCode/100 != 2 {
		return problem(method, path, resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return unavailable("the follow-up service answered something unexpected").Wrap(fmt.Errorf("%s %s: %w", method, path, err))
	}
	return nil
}

// problem maps an error answer of the follow-up service to an apperr.
func problem(method, path string, status int, raw []byte) error {
	var b struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details struct {
			Fields []apperr.FieldError `json:"fields"`
		} `json:"details"`
	}
	_ = json.Unmarshal(raw, &b)
	cause := fmt.Errorf("%s %s: %d %s", method, path, status, bytes.TrimSpace(raw))
	var kind apperr.Kind
	switch status {
	case http.StatusBadRequest:
		kind = apperr.KindInvalid
	case http.StatusForbidden:
		kind = apperr.KindForbidden
	case http.StatusNotFound:
		kind = apperr.KindNotFound
		if b.Code == "route_not_found" || b.Code == "" {
			// Not an answer about the resource: the follow-up service
			// does not serve this route (an older version, a wrong URL).
			return unavailable("the follow-up service does not serve this request").Wrap(cause)
		}
	case http.StatusConflict:
		kind = apperr.KindConflict
	case http.StatusUnprocessableEntity:
		kind = apperr.KindRule
	case http.StatusUnauthorized:
		// The caller was accepted here: the follow-up service not
		// accepting the same credentials is a deployment fault.
		return unavailable("the follow-up service did not accept the caller's credentials").Wrap(cause)
	default:
		if status >= 500 {
			return unavailable("the follow-up service failed; retry shortly").Wrap(cause)
		}
		return unavailable("the follow-up service answered something unexpected").Wrap(cause)
	}
	if b.Code == "" {
		return unavailable("the follow-up service answered something unexpected").Wrap(cause)
	}
	return &apperr.Error{Kind: kind, Code: b.Code, Message: b.Message, Fields: b.Details.Fields, Err: cause}
}
