package policies

import (
	"fmt"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// DurationPattern is the HTML pattern of a duration field: the forms the
// service accepts ("90m", "16h", "1h30m", "3d", "1d4h30m"). It only helps
// the browser say early that something is off; the service judges.
const DurationPattern = `[0-9]{1,6}d([0-9]{1,6}h)?([0-9]{1,6}m)?|[0-9]{1,6}h([0-9]{1,6}m)?|[0-9]{1,6}m`

// blankSteps is how many empty step rows the ladder editor offers.
const blankSteps = 2

// Editor is the change form of one policy: its fields as the user typed
// them, each with the path the service names it by in a field error.
type Editor struct {
	Shape     string
	Actions   []string // a ladder's allowed actions
	Calendars []string // calendars a business-time value may name
	Min, Max  string   // the policy's bounds, for the hint

	// Timer and ladder.
	Duration, Clock, Calendar string
	Steps                     []StepRow
	// Table.
	Rows []TableRow

	Reason      string
	EffectiveAt string // datetime-local, in the user's time zone
	// When is "now" or "schedule": which button sent the form.
	When string
}

// StepRow is one ladder step of the form.
type StepRow struct {
	N                       int // 1-based, for labels and ids
	After, Action           string
	AfterField, ActionField string
}

// TableRow is one table entry of the form.
type TableRow struct {
	Key                                             string
	Duration, Clock, Calendar                       string
	Field, DurationField, ClockField, CalendarField string
}

// TimerField and friends are the service's names of the timer's fields.
const (
	TimerDuration  = "value.timer.duration"
	TimerClock     = "value.timer.clock"
	TimerCalendar  = "value.timer.calendar"
	LadderClock    = "value.ladder.clock"
	LadderCalendar = "value.ladder.calendar"
	LadderSteps    = "value.ladder.steps"
)

// EditorOf is the form filled with v (the version in force).
func EditorOf(p policyView, v value, calendars []string) *Editor {
	e := &Editor{Shape: p.Shape, Actions: p.Actions, Calendars: calendars, Min: p.Min, Max: p.Max, When: "now"}
	switch {
	case v.Timer != nil:
		e.Duration, e.Clock, e.Calendar = v.Timer.Duration, v.Timer.Clock, v.Timer.Calendar
	case v.Ladder != nil:
		e.Clock, e.Calendar = v.Ladder.Clock, v.Ladder.Calendar
		for _, s := range v.Ladder.Steps {
			e.addStep(s.After, s.Action)
		}
	}
	if p.Shape == "table" {
		for _, k := range p.Keys {
			t := v.Table[k]
			e.addRow(k, t.Duration, t.Clock, t.Calendar)
		}
	}
	e.padSteps(p.MaxSteps)
	return e
}

// EditorFrom reads the form a user sent for policy p. Ladder rows left
// blank are dropped and the rest renumbered, in the order the service will
// number them; nothing is judged here.
func EditorFrom(c *gin.Context, p policyView, calendars []string) *Editor {
	e := &Editor{Shape: p.Shape, Actions: p.Actions, Calendars: calendars, Min: p.Min, Max: p.Max,
		Reason: strings.TrimSpace(c.PostForm("reason")), EffectiveAt: strings.TrimSpace(c.PostForm("effective_at")),
		When: c.PostForm("when")}
	if e.When != "schedule" {
		e.When = "now"
	}
	e.Clock, e.Calendar = c.PostForm("clock"), c.PostForm("calendar")
	switch p.Shape {
	case "timer":
		e.Duration = normDuration(c.PostForm("duration"))
	case "ladder":
		after, action := c.PostFormArray("after"), c.PostFormArray("action")
		for i := range max(len(after), len(action)) {
			a, act := at(after, i), at(action, i)
			if normDuration(a) == "" && act == "" {
				continue
			}
			e.addStep(normDuration(a), act)
		}
		e.padSteps(p.MaxSteps)
	case "table":
		for _, k := range p.Keys {
			e.addRow(k, normDuration(c.PostForm("dur."+k)), c.PostForm("clock."+k), c.PostForm("calendar."+k))
		}
	}
	return e
}

func at(s []string, i int) string {
	if i < len(s) {
		return strings.TrimSpace(s[i])
	}
	return ""
}

// normDuration drops spaces and capitals ("1d 4H" → "1d4h"): the same
// duration, in the form the service reads.
func normDuration(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), ""))
}

func (e *Editor) addStep(after, action string) {
	i := len(e.Steps)
	e.Steps = append(e.Steps, StepRow{N: i + 1, After: after, Action: action,
		AfterField: fmt.Sprintf("%s[%d].after", LadderSteps, i), ActionField: fmt.Sprintf("%s[%d].action", LadderSteps, i)})
}

// padSteps adds blank rows for new steps, up to the policy's maximum.
func (e *Editor) padSteps(maxSteps int) {
	if e.Shape != "ladder" {
		return
	}
	filled := len(e.Steps)
	for i := 0; i < blankSteps && (maxSteps == 0 || filled+i < maxSteps); i++ {
		e.Steps = append(e.Steps, StepRow{N: filled + i + 1})
	}
}

func (e *Editor) addRow(key, dur, clock, cal string) {
	f := "value.table." + key
	e.Rows = append(e.Rows, TableRow{Key: key, Duration: dur, Clock: clock, Calendar: cal,
		Field: f, DurationField: f + ".duration", ClockField: f + ".clock", CalendarField: f + ".calendar"})
}

// Value is the value the form describes, as the service reads it.
func (e *Editor) Value() value {
	switch e.Shape {
	case "timer":
		return value{Timer: &timer{Duration: e.Duration, Clock: e.Clock, Calendar: e.Calendar}}
	case "ladder":
		l := &ladder{Clock: e.Clock, Calendar: e.Calendar, Steps: []step{}}
		for _, s := range e.Steps {
			if s.After == "" && s.Action == "" {
				continue
			}
			l.Steps = append(l.Steps, step{After: s.After, Action: s.Action})
		}
		return value{Ladder: l}
	case "table":
		t := map[string]timer{}
		for _, r := range e.Rows {
			t[r.Key] = timer{Duration: r.Duration, Clock: r.Clock, Calendar: r.Calendar}
		}
		return value{Table: t}
	}
	return value{}
}

// errEffectiveAt says the schedule field could not be read as a date and
// time (a browser sends "2026-12-01T09:00"; only a hand-made post sends
// anything else).
type errEffectiveAt struct{}

func (errEffectiveAt) Error() string { return "effective_at" }

// Effective is when a scheduled change comes into force: nil for "now";
// the date-time field is read in the user's time zone.
func (e *Editor) Effective(tz *time.Location) (*time.Time, error) {
	if e.When != "schedule" {
		return nil, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, e.EffectiveAt, tz); err == nil {
			return &t, nil
		}
	}
	return nil, errEffectiveAt{}
}
