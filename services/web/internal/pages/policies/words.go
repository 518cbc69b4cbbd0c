package policies

import (
	"strconv"
	"strings"

	"github.com/closeloop/closeloop/services/web/internal/view"
)

// Words says policy values the way analysts speak of them: "4 business
// hours", "1 calendar day 4 h", "remind the owner at once". It only reads
// values; it never decides whether one is valid (the service does).
type Words struct{ X *view.Ctx }

// units splits a duration written as the service writes it ("1d4h30m",
// "16h", "0m") into days, hours and minutes. ok is false for anything else
// (then the text is shown as written).
func units(s string) (d, h, m int, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, 0, 0, false
	}
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || i > 7 {
			return 0, 0, 0, false
		}
		n, _ := strconv.Atoi(s[:i])
		switch s[i] {
		case 'd':
			d += n
		case 'h':
			h += n
		case 'm':
			m += n
		default:
			return 0, 0, 0, false
		}
		s = s[i+1:]
	}
	return d, h, m, true
}

// Duration says s on clock ("business", "calendar", or "" when unknown):
// the largest unit names the clock ("4 business hours 30 min", "30
// calendar days"). Business time has no days (a business day is as long as
// its calendar's working hours), so hours stay hours.
func (w Words) Duration(s, clock string) string {
	d, h, m, ok := units(s)
	if !ok {
		return s
	}
	if d == 0 && h == 0 && m == 0 {
		return w.X.T("policies.dur.zero")
	}
	if clock != "business" && clock != "calendar" {
		clock = "plain"
	}
	var parts []string
	first := true
	add := func(unit string, n int) {
		if n == 0 {
			return
		}
		id := "policies.dur.rest." + unit
		if first {
			id = "policies.dur." + clock + "." + unit
			first = false
		}
		parts = append(parts, w.X.T(id, "Count", n))
	}
	add("d", d)
	add("h", h)
	add("m", m)
	return strings.Join(parts, " ")
}

// Offset says when a ladder step comes: "at once" or "after 4 business hours".
func (w Words) Offset(s, clock string) string {
	if d, h, m, ok := units(s); ok && d == 0 && h == 0 && m == 0 {
		return w.X.T("policies.at_once")
	}
	return w.X.T("policies.after", "D", w.Duration(s, clock))
}

// Action names a ladder action.
func (w Words) Action(a string) string {
	if t := w.X.T("policies.action." + a); t != "policies.action."+a {
		return t
	}
	return a
}

// Timer says a timer with its calendar when it names one.
func (w Words) Timer(t timer) string {
	s := w.Duration(t.Duration, t.Clock)
	if t.Calendar != "" {
		s = w.X.T("policies.in_calendar", "D", s, "Calendar", t.Calendar)
	}
	return s
}

// Line is one line of a value in words, with an optional label (a table key
// or a step number).
type Line struct{ Label, Text string }

// Value says a policy value line by line: one line for a timer, one per
// step for a ladder, one per key for a table (in keys' order).
func (w Words) Value(v value, keys []string) []Line {
	switch {
	case v.Timer != nil:
		return []Line{{Text: w.Timer(*v.Timer)}}
	case v.Ladder != nil:
		out := make([]Line, 0, len(v.Ladder.Steps))
		for i, s := range v.Ladder.Steps {
			out = append(out, Line{Label: strconv.Itoa(i + 1), Text: w.X.T("policies.step_words",
				"When", w.Offset(s.After, v.Ladder.Clock), "Action", w.Action(s.Action))})
		}
		if v.Ladder.Calendar != "" && len(out) > 0 {
			out = append(out, Line{Text: w.X.T("policies.ladder_calendar", "Calendar", v.Ladder.Calendar)})
		}
		return out
	case v.Table != nil:
		var out []Line
		seen := map[string]bool{}
		for _, k := range keys {
			if t, ok := v.Table[k]; ok {
				out = append(out, Line{Label: k, Text: w.Timer(t)})
				seen[k] = true
			}
		}
		for k, t := range v.Table {
			if !seen[k] {
				out = append(out, Line{Label: k, Text: w.Timer(t)})
			}
		}
		return out
	}
	return nil
}

// Field names a field of a policy value or a diff in words:
// "ladder.steps[1].after" → "step 2: when".
func (w Words) Field(f string) string {
	f = strings.TrimPrefix(f, "value.")
	parts := strings.Split(f, ".")
	var out []string
	for i := 0; i < len(parts); i++ {
		p := parts[i]
		switch {
		case p == "timer" || p == "ladder" || p == "table":
			if len(parts) == 1 {
				out = append(out, w.X.T("policies.field."+p))
			}
			if p == "table" && i+1 < len(parts) {
				i++
				out = append(out, w.X.T("policies.field.entry", "Key", parts[i]))
			}
		case strings.HasPrefix(p, "steps[") && strings.HasSuffix(p, "]"):
			n, err := strconv.Atoi(p[len("steps[") : len(p)-1])
			if err != nil {
				out = append(out, p)
				continue
			}
			out = append(out, w.X.T("policies.field.step", "N", n+1))
		default:
			if t := w.X.T("policies.field." + p); t != "policies.field."+p {
				out = append(out, t)
			} else {
				out = append(out, p)
			}
		}
	}
	return strings.Join(out, " · ")
}

// Change says one changed field's old or new text in words: durations as
// durations, clocks and actions by name, anything else as written.
func (w Words) ChangeValue(field, s string) string {
	if s == "" {
		return w.X.T("policies.unset")
	}
	switch {
	case strings.HasSuffix(field, ".clock"):
		return w.X.T("policies.clock." + s)
	case strings.HasSuffix(field, ".action"):
		return w.Action(s)
	case strings.HasSuffix(field, ".duration") || strings.HasSuffix(field, ".after"):
		return w.Duration(s, "")
	}
	return s
}

// ClockAt is the clock that counts the duration at field of v
// ("timer.duration", "ladder.steps[01].after", "table.A.duration"); "" when
// v has none there.
func (v value) ClockAt(field string) string {
	switch {
	case v.Timer != nil && strings.HasPrefix(field, "timer."):
		return v.Timer.Clock
	case v.Ladder != nil && strings.HasPrefix(field, "ladder."):
		return v.Ladder.Clock
	case v.Table != nil && strings.HasPrefix(field, "table."):
		key, _, _ := strings.Cut(strings.TrimPrefix(field, "table."), ".")
		return v.Table[key].Clock
	}
	return ""
}

// ChangeIn says a changed field's text like ChangeValue, a duration with
// the clock of the value it belongs to ("8 business hours").
func (w Words) ChangeIn(field, s string, v value) string {
	if s != "" && (strings.HasSuffix(field, ".duration") || strings.HasSuffix(field, ".after")) {
		return w.Duration(s, v.ClockAt(field))
	}
	return w.ChangeValue(field, s)
}
