package policy

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"
	_ "time/tzdata" // every worker computes deadlines with the same zone rules, whatever its image has

	"github.com/closeloop/closeloop/workflows/calendar"
)

// Due returns the instant t's duration after anchor: elapsed time for
// ClockCalendar, working time of cal for ClockBusiness (cal is required then).
func (t Timer) Due(anchor time.Time, cal *calendar.Calendar) (time.Time, error) {
	return offset(anchor, t.Duration, t.Clock, cal)
}

// StepTime returns when step i of the ladder is due, counted from start.
func (l Ladder) StepTime(start time.Time, i int, cal *calendar.Calendar) (time.Time, error) {
	if i < 0 || i >= len(l.Steps) {
		return time.Time{}, fmt.Errorf("policy: ladder has no step %d", i)
	}
	return offset(start, l.Steps[i].After, l.Clock, cal)
}

// StepsReached returns how many steps of the ladder, started at start, are
// due at or before now.
func (l Ladder) StepsReached(start, now time.Time, cal *calendar.Calendar) (int, error) {
	n := 0
	for i := range l.Steps {
		at, err := l.StepTime(start, i, cal)
		if err != nil {
			return n, err
		}
		if at.After(now) {
			break
		}
		n++
	}
	return n, nil
}

func offset(start time.Time, d Duration, c Clock, cal *calendar.Calendar) (time.Time, error) {
	switch c {
	case ClockCalendar:
		return start.Add(d.D()), nil
	case ClockBusiness:
		if cal == nil {
			return time.Time{}, fmt.Errorf("policy: business time needs a calendar")
		}
		return cal.Add(start, d.D()), nil
	}
	return time.Time{}, fmt.Errorf("policy: unknown clock %q", c)
}

var zones sync.Map // zone name -> *time.Location

// Location returns the named IANA zone. Zones are loaded once per process and
// come from the zone database compiled into the binary when the machine has
// none, so the answer is the same on every worker of one build; that makes it
// safe to call from workflow code.
func Location(name string) (*time.Location, error) {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("policy: %q is not an IANA time zone", name)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, l)
	return l, nil
}

// CalendarFromJSON builds a calendar from its stored JSON spec (as the
// calendars API shows it), loading its time zone with Location.
func CalendarFromJSON(raw []byte) (*calendar.Calendar, error) {
	var spec calendar.Spec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("policy: calendar spec: %w", err)
	}
	loc, err := Location(spec.TimeZone)
	if err != nil {
		return nil, err
	}
	spec.Location = loc
	return calendar.New(spec)
}
