// Package policy holds Closeloop's timer policies: every duration a workflow
// waits — SLA windows, reminder delays, escalation ladders, cadences — is a
// named policy whose value analysts change at runtime, not a constant in code.
//
// This package is the pure half: the value types and their JSON form, the
// catalogue of every policy with its bounds and shipped default, validation
// with field-level errors, diffs between versions, and deadline arithmetic.
// It does no I/O and never reads the clock, so workflow code may call all of
// it. Storage, versioning and the API live in the customer service; workflows
// fetch resolved policies through an activity and compute deadlines here.
//
// # Values
//
// A policy value has one of three shapes, fixed by its Definition:
//
//   - a timer: a duration, its clock ("calendar": elapsed time; "business":
//     working time of a business calendar) and, for business time, optionally
//     a calendar name — empty means "the calendar assigned to the subject's team
//     or region, else the default calendar";
//   - a ladder: ordered steps, each an offset from the moment a deadline is
//     missed and an action (remind, escalate to the manager, reassign, …), with
//     one clock for all steps;
//   - a table: one timer per key, such as per ABC class or per priority.
package policy

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Clock says how a duration is counted.
type Clock string

const (
	// ClockCalendar counts elapsed time: nights, weekends and holidays included.
	ClockCalendar Clock = "calendar"
	// ClockBusiness counts only the working time of a business calendar.
	ClockBusiness Clock = "business"
)

// Action is what an escalation or cadence step does.
type Action string

// Actions of ladder steps. Which are allowed depends on the policy.
const (
	// ActionRemind reminds the owner of the follow-up.
	ActionRemind Action = "remind"
	// ActionEscalateManager hands the follow-up to the owner's manager.
	ActionEscalateManager Action = "escalate_manager"
	// ActionReassign gives the work to another owner by the assignment rules.
	ActionReassign Action = "reassign"
	// ActionRaisePriority raises a service case's priority by one level.
	ActionRaisePriority Action = "raise_priority"
	// ActionEscalateOriginator escalates to the managers of whoever asked for
	// the work (an info slip's originator): the recipient's lag is now their
	// problem too.
	ActionEscalateOriginator Action = "escalate_originator"
	// ActionReturnToPool returns a lead to the unassigned pool.
	ActionReturnToPool Action = "return_to_pool"
	// ActionCall, ActionVisit and ActionOffer are win-back touches.
	ActionCall  Action = "call"
	ActionVisit Action = "visit"
	ActionOffer Action = "offer"
	// ActionEmail is a win-back touch by email to the customer's contact.
	ActionEmail Action = "email"
)

// Duration is a time.Duration whose JSON form is a string of whole units:
// "90m", "8h", "1h30m", "3d" (a day is 24 hours). Seconds and smaller are not
// accepted: no business rule is that precise.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d as days, hours and minutes, such as "3d", "1h30m" or "0m".
func (d Duration) String() string {
	if d == 0 {
		return "0m"
	}
	var b strings.Builder
	v := time.Duration(d)
	if v < 0 {
		b.WriteByte('-')
		v = -v
	}
	for _, u := range []struct {
		unit time.Duration
		name byte
	}{{24 * time.Hour, 'd'}, {time.Hour, 'h'}, {time.Minute, 'm'}} {
		if n := v / u.unit; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteByte(u.name)
			v -= n * u.unit
		}
	}
	if v > 0 { // sub-minute remainder; never produced by ParseDuration
		b.WriteString(v.String())
	}
	return b.String()
}

// ParseDuration reads the JSON form of a Duration.
func ParseDuration(s string) (Duration, error) {
	orig := s
	if s == "" {
		return 0, fmt.Errorf("empty duration; write it like 8h, 90m or 3d")
	}
	var total time.Duration
	seen := ""
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i > 6 || i == len(s) {
			return 0, fmt.Errorf("%q is not a duration; write it like 8h, 90m, 1h30m or 3d", orig)
		}
		n, _ := strconv.Atoi(s[:i])
		var unit time.Duration
		switch s[i] {
		case 'd':
			unit = 24 * time.Hour
		case 'h':
			unit = time.Hour
		case 'm':
			unit = time.Minute
		default:
			return 0, fmt.Errorf("%q: unknown unit %q; use d, h or m", orig, s[i])
		}
		if strings.IndexByte(seen, s[i]) >= 0 || (seen != "" && unitRank(s[i]) <= unitRank(seen[len(seen)-1])) {
			return 0, fmt.Errorf("%q: write units once each, largest first (like 1d4h30m)", orig)
		}
		seen += string(s[i])
		total += time.Duration(n) * unit
		s = s[i+1:]
	}
	return Duration(total), nil
}

func unitRank(u byte) int { return strings.IndexByte("dhm", u) }

// MarshalJSON writes the string form.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// JSONShape tells the OpenAPI documents that a duration travels as a string.
func (Duration) JSONShape() any { return "" }

// UnmarshalJSON reads the string form.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string like \"8h\", \"90m\" or \"3d\"")
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Timer is one duration with its clock. In business time a duration is
// written in hours and minutes only ("16h", not "2d"): a business day is as
// long as its calendar's working hours, so "d" would be ambiguous.
type Timer struct {
	Duration Duration `json:"duration"`
	Clock    Clock    `json:"clock"`
	// Calendar names the business calendar for ClockBusiness; empty means the
	// calendar assigned to the subject's team or region, else the default one.
	// Must be empty for ClockCalendar.
	Calendar string `json:"calendar,omitempty"`
}

// Step is one rung of a ladder: After is counted from the ladder's start (for
// escalation ladders, the moment the deadline was missed).
type Step struct {
	After  Duration `json:"after"`
	Action Action   `json:"action"`
}

// Ladder is an ordered list of steps sharing one clock.
type Ladder struct {
	Clock    Clock  `json:"clock"`
	Calendar string `json:"calendar,omitempty"`
	Steps    []Step `json:"steps"`
}

// Value is a policy value: exactly one of Timer, Ladder and Table is set, the
// one its Definition's Shape names.
type Value struct {
	Timer  *Timer           `json:"timer,omitempty"`
	Ladder *Ladder          `json:"ladder,omitempty"`
	Table  map[string]Timer `json:"table,omitempty"`
}

// Shape is the kind of value a policy holds.
type Shape string

// Shapes of policy values.
const (
	ShapeTimer  Shape = "timer"
	ShapeLadder Shape = "ladder"
	ShapeTable  Shape = "table"
)

// Shape returns which of the fields is set ("" when none or several are).
func (v Value) Shape() Shape {
	n, s := 0, Shape("")
	if v.Timer != nil {
		n, s = n+1, ShapeTimer
	}
	if v.Ladder != nil {
		n, s = n+1, ShapeLadder
	}
	if v.Table != nil {
		n, s = n+1, ShapeTable
	}
	if n != 1 {
		return ""
	}
	return s
}

// Calendars returns the calendar names the value references explicitly, in
// a stable order, without duplicates.
func (v Value) Calendars() []string {
	var out []string
	add := func(c string) {
		if c == "" {
			return
		}
		for _, x := range out {
			if x == c {
				return
			}
		}
		out = append(out, c)
	}
	if v.Timer != nil {
		add(v.Timer.Calendar)
	}
	if v.Ladder != nil {
		add(v.Ladder.Calendar)
	}
	for _, k := range sortedKeys(v.Table) {
		add(v.Table[k].Calendar)
	}
	return out
}

// UsesBusinessTime reports whether any part of v counts business time.
func (v Value) UsesBusinessTime() bool {
	if v.Timer != nil && v.Timer.Clock == ClockBusiness {
		return true
	}
	if v.Ladder != nil && v.Ladder.Clock == ClockBusiness {
		return true
	}
	for _, t := range v.Table {
		if t.Clock == ClockBusiness {
			return true
		}
	}
	return false
}

// TimerFor returns the timer that applies: the Timer itself, or the table
// entry for key. ok is false when there is none.
func (v Value) TimerFor(key string) (Timer, bool) {
	if v.Timer != nil {
		return *v.Timer, true
	}
	t, ok := v.Table[key]
	return t, ok
}

// Parse decodes a stored or submitted value strictly: unknown fields and
// trailing data are errors.
func Parse(raw []byte) (Value, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	var v Value
	if err := dec.Decode(&v); err != nil {
		return Value{}, err
	}
	if dec.More() {
		return Value{}, fmt.Errorf("trailing data after the value")
	}
	return v, nil
}

// MustJSON encodes v; values always encode.
func (v Value) MustJSON() []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// Format writes d for the clock: whole days ("30d") in calendar time, hours
// and minutes ("40h") in business time.
func (d Duration) Format(c Clock) string {
	if c != ClockBusiness {
		return d.String()
	}
	v := time.Duration(d)
	h, m := v/time.Hour, (v%time.Hour)/time.Minute
	switch {
	case v == 0:
		return "0m"
	case m == 0:
		return strconv.FormatInt(int64(h), 10) + "h"
	case h == 0:
		return strconv.FormatInt(int64(m), 10) + "m"
	}
	return strconv.FormatInt(int64(h), 10) + "h" + strconv.FormatInt(int64(m), 10) + "m"
}

func parseFor(field, s string, c Clock) (Duration, error) {
	if c == ClockBusiness && strings.ContainsRune(s, 'd') {
		return 0, fmt.Errorf("%s: %q: business time is written in hours and minutes (a business day is as long as the calendar's working hours), such as 16h", field, s)
	}
	d, err := ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", field, err)
	}
	return d, nil
}

func strictDecode(b []byte, dst any) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	return dec.Decode(dst)
}

type timerJSON struct {
	Duration string `json:"duration"`
	Clock    Clock  `json:"clock"`
	Calendar string `json:"calendar,omitempty"`
}

// JSONShape tells the OpenAPI documents how a timer travels.
func (Timer) JSONShape() any { return timerJSON{} }

// MarshalJSON writes the duration in the clock's units.
func (t Timer) MarshalJSON() ([]byte, error) {
	return json.Marshal(timerJSON{Duration: t.Duration.Format(t.Clock), Clock: t.Clock, Calendar: t.Calendar})
}

// UnmarshalJSON reads a timer strictly.
func (t *Timer) UnmarshalJSON(b []byte) error {
	var a timerJSON
	if err := strictDecode(b, &a); err != nil {
		return err
	}
	d, err := parseFor("duration", a.Duration, a.Clock)
	if err != nil {
		return err
	}
	*t = Timer{Duration: d, Clock: a.Clock, Calendar: a.Calendar}
	return nil
}

type stepJSON struct {
	After  string `json:"after"`
	Action Action `json:"action"`
}

type ladderJSON struct {
	Clock    Clock      `json:"clock"`
	Calendar string     `json:"calendar,omitempty"`
	Steps    []stepJSON `json:"steps"`
}

// JSONShape tells the OpenAPI documents how a ladder travels.
func (Ladder) JSONShape() any { return ladderJSON{} }

// MarshalJSON writes the step offsets in the clock's units.
func (l Ladder) MarshalJSON() ([]byte, error) {
	a := ladderJSON{Clock: l.Clock, Calendar: l.Calendar, Steps: make([]stepJSON, len(l.Steps))}
	for i, s := range l.Steps {
		a.Steps[i] = stepJSON{After: s.After.Format(l.Clock), Action: s.Action}
	}
	return json.Marshal(a)
}

// UnmarshalJSON reads a ladder strictly.
func (l *Ladder) UnmarshalJSON(b []byte) error {
	var a ladderJSON
	if err := strictDecode(b, &a); err != nil {
		return err
	}
	out := Ladder{Clock: a.Clock, Calendar: a.Calendar, Steps: make([]Step, len(a.Steps))}
	for i, s := range a.Steps {
		d, err := parseFor(fmt.Sprintf("steps[%d].after", i), s.After, a.Clock)
		if err != nil {
			return err
		}
		out.Steps[i] = Step{After: d, Action: s.Action}
	}
	*l = out
	return nil
}
