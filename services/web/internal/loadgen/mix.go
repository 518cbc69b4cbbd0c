// Package loadgen is the load generator of cmd/loadgen: mixed traffic against
// a running Closeloop deployment (lead creation, contact logs, visit
// requests, policy edits, list reads) at a fixed rate for a fixed time,
// through the console's typed API clients and with the users' own tokens,
// reporting latency percentiles, business outcomes and errors per action.
//
// It is open-loop: request i is due at start + i/rate whatever happened to
// the earlier ones, and its latency is measured from that scheduled instant
// as well as from the moment it was really sent. A slow deployment therefore
// shows as slow instead of silently lowering the rate (coordinated
// omission). The pieces are separate and tested on their own: the mix
// (ParseMix, Picker), the scheduler (Schedule), the recorder and the report
// (Recorder, Report), the actions against the services (Target) and the run
// that ties them together (Run).
package loadgen

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The actions a mix may name.
const (
	ActLead    = "lead"    // create a lead (sales), a new company
	ActContact = "contact" // log a phone call with a customer (customer service actions)
	ActVisit   = "visit"   // request a visit on a distinct customer-day (customer service visits)
	ActPolicy  = "policy"  // schedule a timer-policy version a year ahead, then withdraw it (follow-up service)
	ActList    = "list"    // one list read in turn: customers, leads, overdue follow-ups
)

// Actions are the known actions, in report order.
var Actions = []string{ActLead, ActContact, ActVisit, ActPolicy, ActList}

// DefaultMix is the mix when -mix is not given.
const DefaultMix = "lead=2,contact=3,visit=2,policy=0.1,list=3"

// Mix is a weight per action; only positive weights are kept.
type Mix map[string]float64

// ParseMix reads "lead=2,contact=3,visit=2,policy=0.1,list=3": each action
// at most once, weights finite and not negative (0 leaves an action out),
// at least one positive.
func ParseMix(s string) (Mix, error) {
	m := Mix{}
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if !ok {
			return nil, fmt.Errorf("mix: %q is not action=weight", part)
		}
		if !slices.Contains(Actions, name) {
			return nil, fmt.Errorf("mix: unknown action %q (known: %s)", name, strings.Join(Actions, ", "))
		}
		if seen[name] {
			return nil, fmt.Errorf("mix: %s is given twice", name)
		}
		seen[name] = true
		w, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
			return nil, fmt.Errorf("mix: the weight of %s must be a number ≥ 0, not %q", name, val)
		}
		if w > 0 {
			m[name] = w
		}
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("mix: no action has a positive weight in %q", s)
	}
	return m, nil
}

// Names are the mix's actions in report order.
func (m Mix) Names() []string {
	var out []string
	for _, a := range Actions {
		if m[a] > 0 {
			out = append(out, a)
		}
	}
	return out
}

// String is the mix as ParseMix reads it.
func (m Mix) String() string {
	var parts []string
	for _, a := range m.Names() {
		parts = append(parts, a+"="+strconv.FormatFloat(m[a], 'g', -1, 64))
	}
	return strings.Join(parts, ",")
}

// Picker hands out actions in the mix's proportions, deterministically and
// evenly spread (smooth weighted round-robin): over any run of requests each
// action's share is within one request of its weight's, so even a short run
// or a rare action (policy=0.1) gets its exact share.
type Picker struct {
	names   []string
	weights []float64
	current []float64
	total   float64
}

// NewPicker returns a picker over m.
func NewPicker(m Mix) *Picker {
	p := &Picker{names: m.Names()}
	for _, n := range p.names {
		p.weights = append(p.weights, m[n])
		p.total += m[n]
	}
	p.current = make([]float64, len(p.names))
	return p
}

// Next is the next action. Not safe for concurrent use.
func (p *Picker) Next() string {
	best := 0
	for i, w := range p.weights {
		p.current[i] += w
		if p.current[i] > p.current[best] {
			best = i
		}
	}
	p.current[best] -= p.total
	return p.names[best]
}
