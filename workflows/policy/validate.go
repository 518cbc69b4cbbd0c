package policy

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// FieldError is one problem in a submitted value; Field is a path in its JSON
// form, such as "ladder.steps[2].after" or "table.A.duration".
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Codes of FieldError, stable for clients.
const (
	CodeRequired      = "required"
	CodeInvalid       = "invalid"
	CodeOutOfRange    = "out_of_range"
	CodeNotIncreasing = "not_increasing"
	CodeNotAllowed    = "not_allowed"
	CodeUnknown       = "unknown"
	CodeTooMany       = "too_many"
	CodeShape         = "wrong_shape"
)

// Validate checks v against its definition. calendarExists reports whether a
// calendar name refers to a stored calendar. It returns every problem found,
// in a stable order; none means v may become a version of the policy.
func Validate(def Definition, v Value, calendarExists func(string) bool) []FieldError {
	c := &checker{def: def, calendarExists: calendarExists}
	if v.Shape() != def.Shape {
		c.add(string(def.Shape), CodeShape, "%s is a %s policy: set exactly the %q field", def.Name, def.Shape, def.Shape)
		return c.errs
	}
	switch def.Shape {
	case ShapeTimer:
		c.timer("timer", *v.Timer)
	case ShapeLadder:
		c.ladder("ladder", *v.Ladder)
	case ShapeTable:
		for _, k := range sortedKeys(v.Table) {
			if !slices.Contains(def.Keys, k) {
				c.add("table."+k, CodeUnknown, "%q is not a %s; the keys are %s", k, def.KeyMeaning, strings.Join(def.Keys, ", "))
				continue
			}
			c.timer("table."+k, v.Table[k])
		}
		for _, k := range def.Keys {
			if _, ok := v.Table[k]; !ok {
				c.add("table."+k, CodeRequired, "every %s needs an entry; %q is missing", def.KeyMeaning, k)
			}
		}
	}
	return c.errs
}

type checker struct {
	def            Definition
	calendarExists func(string) bool
	errs           []FieldError
}

func (c *checker) add(field, code, format string, args ...any) {
	c.errs = append(c.errs, FieldError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) clock(path string, clk Clock, cal string) {
	switch clk {
	case ClockCalendar:
		if cal != "" {
			c.add(path+".calendar", CodeInvalid, "calendar time counts every hour; a calendar applies only with clock \"business\"")
		}
	case ClockBusiness:
		if cal != "" && (c.calendarExists == nil || !c.calendarExists(cal)) {
			c.add(path+".calendar", CodeUnknown, "no business calendar is named %q", cal)
		}
	case "":
		c.add(path+".clock", CodeRequired, "set clock to \"calendar\" (elapsed time) or \"business\" (working time)")
	default:
		c.add(path+".clock", CodeInvalid, "clock is %q; use \"calendar\" or \"business\"", clk)
	}
}

func (c *checker) bounds(path string, d Duration) {
	if d < c.def.Min || d > c.def.Max {
		c.add(path, CodeOutOfRange, "%s is outside %s–%s", d, c.def.Min, c.def.Max)
	}
}

func (c *checker) timer(path string, t Timer) {
	c.clock(path, t.Clock, t.Calendar)
	c.bounds(path+".duration", t.Duration)
}

func (c *checker) ladder(path string, l Ladder) {
	c.clock(path, l.Clock, l.Calendar)
	switch {
	case len(l.Steps) == 0:
		c.add(path+".steps", CodeRequired, "a ladder needs at least one step")
	case len(l.Steps) > c.def.MaxSteps:
		c.add(path+".steps", CodeTooMany, "%d steps; at most %d", len(l.Steps), c.def.MaxSteps)
	}
	allowed := make([]string, len(c.def.Actions))
	for i, a := range c.def.Actions {
		allowed[i] = string(a)
	}
	for i, s := range l.Steps {
		p := fmt.Sprintf("%s.steps[%d]", path, i)
		c.bounds(p+".after", s.After)
		if i > 0 && s.After <= l.Steps[i-1].After {
			c.add(p+".after", CodeNotIncreasing, "step %d comes at %s, not after step %d at %s: steps must be strictly increasing", i, s.After, i-1, l.Steps[i-1].After)
		}
		if !slices.Contains(c.def.Actions, s.Action) {
			c.add(p+".action", CodeNotAllowed, "action %q is not allowed here; use one of %s", s.Action, strings.Join(allowed, ", "))
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
