package policies

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/closeloop/closeloop/services/web/internal/apis"
)

// The follow-up service's policy and calendar answers as they are on the
// wire. The generated client (followupapi) sends these requests; the page
// reads the answers into these types, written when the service's OpenAPI
// document missed their JSON forms (a policy value is an object, durations
// are "4h", clock times "09:00", dates "2026-10-01", a policy's definition
// is flattened into it). The document now gives those forms; these types
// follow docs/api/followup.md, docs/timer-policies.md and
// docs/business-calendars.md. Every duration, time and date stays the
// string the user or the service wrote: the service judges them.

type policyView struct {
	Name          string        `json:"name"`
	Shape         string        `json:"shape"`
	Title         string        `json:"title"`
	Workflow      string        `json:"workflow"`
	Effect        string        `json:"effect"`
	Min           string        `json:"min"`
	Max           string        `json:"max"`
	Actions       []string      `json:"actions"`
	MaxSteps      int           `json:"max_steps"`
	Keys          []string      `json:"keys"`
	KeyMeaning    string        `json:"key_meaning"`
	Default       value         `json:"default"`
	FollowUpKinds []string      `json:"follow_up_kinds"`
	Active        versionView   `json:"active"`
	Scheduled     []versionView `json:"scheduled"`
}

type versionView struct {
	Policy        string     `json:"policy"`
	Version       int64      `json:"version"`
	Value         value      `json:"value"`
	EffectiveFrom time.Time  `json:"effective_from"`
	Status        string     `json:"status"`
	CreatedBy     string     `json:"created_by"`
	CreatedAt     time.Time  `json:"created_at"`
	Reason        string     `json:"reason"`
	CopiedFrom    *int64     `json:"copied_from,omitempty"`
	WithdrawnAt   *time.Time `json:"withdrawn_at,omitempty"`
	WithdrawnBy   *string    `json:"withdrawn_by,omitempty"`
}

// value is a policy value: exactly one of the three is set.
type value struct {
	Timer  *timer           `json:"timer,omitempty"`
	Ladder *ladder          `json:"ladder,omitempty"`
	Table  map[string]timer `json:"table,omitempty"`
}

type timer struct {
	Duration string `json:"duration"`
	Clock    string `json:"clock"`
	Calendar string `json:"calendar,omitempty"`
}

type ladder struct {
	Clock    string `json:"clock"`
	Calendar string `json:"calendar,omitempty"`
	Steps    []step `json:"steps"`
}

type step struct {
	After  string `json:"after"`
	Action string `json:"action"`
}

type change struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

type impact struct {
	Team             string         `json:"team"`
	Open             int            `json:"open"`
	OverdueNow       int            `json:"overdue_now"`
	OverdueCandidate int            `json:"overdue_candidate"`
	NewlyOverdue     int            `json:"newly_overdue"`
	NoLongerOverdue  int            `json:"no_longer_overdue"`
	DueEarlier       int            `json:"due_earlier"`
	DueLater         int            `json:"due_later"`
	DueWithin1h      int            `json:"due_within_1h"`
	DueWithin24h     int            `json:"due_within_24h"`
	DueWithin7d      int            `json:"due_within_7d"`
	EscalateNow      map[string]int `json:"escalate_now"`
	NextEscalationAt *time.Time     `json:"next_escalation_at"`
	NextDueAt        *time.Time     `json:"next_due_at"`
}

type dryRun struct {
	Policy   string      `json:"policy"`
	At       time.Time   `json:"at"`
	Active   versionView `json:"active"`
	Changes  []change    `json:"changes"`
	Totals   impact      `json:"totals"`
	ByTeam   []impact    `json:"by_team"`
	Skipped  int         `json:"skipped"`
	Messages []string    `json:"messages"`
}

type auditEntry struct {
	ID      string    `json:"id"`
	Version int64     `json:"version"`
	Action  string    `json:"action"`
	Actor   string    `json:"actor"`
	Reason  string    `json:"reason"`
	Changes []change  `json:"changes"`
	At      time.Time `json:"at"`
}

type diffView struct {
	From    int64    `json:"from"`
	To      int64    `json:"to"`
	Changes []change `json:"changes"`
}

type page[T any] struct {
	Items []T `json:"items"`
}

// proposal is the body of POST …/versions and …/dry-run (without the
// effective time and reason).
type proposal struct {
	Value         value      `json:"value"`
	EffectiveFrom *time.Time `json:"effective_from,omitempty"`
	Reason        string     `json:"reason,omitempty"`
}

type rollbackRequest struct {
	ToVersion int64  `json:"to_version"`
	Reason    string `json:"reason"`
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

// Calendars.

type clockRange struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type week struct {
	Monday    []clockRange `json:"monday,omitempty"`
	Tuesday   []clockRange `json:"tuesday,omitempty"`
	Wednesday []clockRange `json:"wednesday,omitempty"`
	Thursday  []clockRange `json:"thursday,omitempty"`
	Friday    []clockRange `json:"friday,omitempty"`
	Saturday  []clockRange `json:"saturday,omitempty"`
	Sunday    []clockRange `json:"sunday,omitempty"`
}

type holiday struct {
	Name  string `json:"name,omitempty"`
	Start string `json:"start"`
	End   string `json:"end,omitempty"`
}

type workingDay struct {
	Date    string       `json:"date"`
	Name    string       `json:"name,omitempty"`
	HoursOf string       `json:"hours_of,omitempty"`
	Ranges  []clockRange `json:"ranges,omitempty"`
}

type calendarView struct {
	Name        string       `json:"name"`
	Version     int64        `json:"version"`
	TimeZone    string       `json:"time_zone"`
	Week        week         `json:"week"`
	Holidays    []holiday    `json:"holidays"`
	WorkingDays []workingDay `json:"working_days"`
	Regions     []string     `json:"regions"`
	Teams       []string     `json:"teams"`
	Default     bool         `json:"default"`
	Reason      string       `json:"reason"`
	UpdatedBy   string       `json:"updated_by"`
	UpdatedAt   time.Time    `json:"updated_at"`
}

type calendarInput struct {
	TimeZone    string       `json:"time_zone"`
	Week        week         `json:"week"`
	Holidays    []holiday    `json:"holidays"`
	WorkingDays []workingDay `json:"working_days"`
	Regions     []string     `json:"regions"`
	Teams       []string     `json:"teams"`
	Default     bool         `json:"default"`
	Reason      string       `json:"reason"`
}

type deadline struct {
	Calendar    string    `json:"calendar"`
	Version     int64     `json:"version"`
	From        time.Time `json:"from"`
	Duration    string    `json:"duration"`
	Due         time.Time `json:"due"`
	FromWorking bool      `json:"from_is_working_time"`
}

// into reads an answer of the generated client's plain methods into out
// (nil: the body is not needed): into(&v)(api.GetPolicies(ctx)). A non-2xx
// answer is the service's problem (apis.Problem).
func into(out any) func(*http.Response, error) error {
	return func(res *http.Response, err error) error { return decode(res, err, out) }
}

func decode(res *http.Response, err error, out any) error {
	if err != nil {
		return apis.Check((*rawAnswer)(nil), err)
	}
	defer res.Body.Close()
	body, rerr := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if rerr != nil {
		return apis.Check((*rawAnswer)(nil), rerr)
	}
	if perr := apis.Problem(res.StatusCode, body); perr != nil {
		return perr
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return apis.Check((*rawAnswer)(nil), fmt.Errorf("follow-up service answer: %w", err))
	}
	return nil
}

// rawAnswer stands for "no usable answer" in apis.Check.
type rawAnswer struct {
	HTTPResponse *http.Response
	Body         []byte
}

// jsonBody encodes a request body.
func jsonBody(v any) io.Reader {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain structs of strings: always encode
	}
	return bytes.NewReader(b)
}

const jsonType = "application/json"

// Prev is the version before v (for "compare with the previous one").
func (v versionView) Prev() int64 { return v.Version - 1 }

// Escalation is a number of ladder steps of one action.
type Escalation struct {
	Action string
	N      int
}

// Escalations are the steps that would run at once, by action, most first.
func (i impact) Escalations() []Escalation {
	var out []Escalation
	for a, n := range i.EscalateNow {
		if n > 0 {
			out = append(out, Escalation{a, n})
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].N != out[b].N {
			return out[a].N > out[b].N
		}
		return out[a].Action < out[b].Action
	})
	return out
}
