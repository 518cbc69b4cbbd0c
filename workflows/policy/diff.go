package policy

import (
	"fmt"
	"sort"
)

// Change is one difference between two values of a policy.
type Change struct {
	Field string `json:"field"`
	From  string `json:"from,omitempty"`
	To    string `json:"to,omitempty"`
}

// Diff lists what changes from a to b, field by field, in field order. Ladder
// steps compare by position.
func Diff(a, b Value) []Change {
	fa, fb := flatten(a), flatten(b)
	fields := map[string]bool{}
	for k := range fa {
		fields[k] = true
	}
	for k := range fb {
		fields[k] = true
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []Change
	for _, k := range names {
		if fa[k] != fb[k] {
			out = append(out, Change{Field: k, From: fa[k], To: fb[k]})
		}
	}
	return out
}

func flatten(v Value) map[string]string {
	m := map[string]string{}
	timer := func(p string, t Timer) {
		m[p+".duration"] = t.Duration.Format(t.Clock)
		m[p+".clock"] = string(t.Clock)
		if t.Calendar != "" {
			m[p+".calendar"] = t.Calendar
		}
	}
	if v.Timer != nil {
		timer("timer", *v.Timer)
	}
	if l := v.Ladder; l != nil {
		m["ladder.clock"] = string(l.Clock)
		if l.Calendar != "" {
			m["ladder.calendar"] = l.Calendar
		}
		for i, s := range l.Steps {
			p := fmt.Sprintf("ladder.steps[%02d]", i)
			m[p+".after"] = s.After.Format(l.Clock)
			m[p+".action"] = string(s.Action)
		}
	}
	for k, t := range v.Table {
		timer("table."+k, t)
	}
	return m
}
