package cases

import (
	"slices"
	"sync"
	"time"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/serviceapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
)

// SLA targets as the pages show them. The service answers each target's
// state (running, paused, met, breached), whether it is past its warning
// point, its deadline and the time left as of an instant (as_of), counted
// like its budget: working time of the team's calendar (business) or plain
// elapsed time. The console cannot count working time, so a business
// target's time left is the service's, said "as of" when it is not fresh; an
// elapsed-time target's is brought up to now.

// Target statuses, from the worst: what the panel and the list show.
const (
	StatusBreached = "breached"
	StatusAtRisk   = "at_risk"
	StatusRunning  = "running"
	StatusPaused   = "paused"
	StatusMet      = "met"
)

// statusOrder ranks the statuses, the worst first.
var statusOrder = []string{StatusBreached, StatusAtRisk, StatusRunning, StatusPaused, StatusMet}

// freshFor is how old as_of may be before the time left says "as of".
const freshFor = 2 * time.Minute

// Target is one SLA target of a case.
type Target struct {
	// Name: first_response or resolution.
	Name string
	// Status is one of the Status* constants.
	Status string
	// Overdue: running, and its deadline has passed (the service records
	// the breach a moment later).
	Overdue                  bool
	Due, Warn, Met, Breached *time.Time
	// Left is the time left before the deadline (working time when
	// Business), as of AsOf.
	Left     time.Duration
	AsOf     *time.Time
	Business bool
	// Stale: Left is as of AsOf, not now.
	Stale bool
}

// targetOf is v as of now.
func targetOf(v serviceapi.SLAView, now time.Time) Target {
	t := Target{Name: str(v.Target), Due: v.DueAt, Warn: v.WarnAt, Met: v.MetAt, Breached: v.BreachedAt,
		Left: time.Duration(deref(v.RemainingMs)) * time.Millisecond, AsOf: v.AsOf, Business: deref(v.Business)}
	switch str(v.State) {
	case "met":
		t.Status = StatusMet
	case "breached":
		t.Status = StatusBreached
	case "paused":
		t.Status = StatusPaused
	default:
		t.Status = StatusRunning
		if deref(v.AtRisk) || (t.Warn != nil && !now.Before(*t.Warn)) {
			t.Status = StatusAtRisk
		}
		if t.Due != nil && !now.Before(*t.Due) {
			t.Status, t.Overdue = StatusBreached, true
		}
	}
	if t.Open() {
		switch {
		case !t.Business && t.Due != nil:
			t.Left = t.Due.Sub(now)
		case !t.Business && t.AsOf != nil:
			t.Left -= now.Sub(*t.AsOf)
		case t.AsOf != nil && now.Sub(*t.AsOf) > freshFor:
			t.Stale = true
		}
		t.Left = max(t.Left, 0)
	}
	return t
}

// Targets are the case's targets as of now, first response first.
func Targets(vs *[]serviceapi.SLAView, now time.Time) []Target {
	var out []Target
	for _, v := range deref(vs) {
		out = append(out, targetOf(v, now))
	}
	slices.SortStableFunc(out, func(a, b Target) int { return rankName(a.Name) - rankName(b.Name) })
	return out
}

func rankName(n string) int {
	if n == "first_response" {
		return 0
	}
	return 1
}

// Worst is the target the list shows for a case: the worst status, and of
// two with the same status the one due first. ok is false without targets.
func Worst(ts []Target) (Target, bool) {
	if len(ts) == 0 {
		return Target{}, false
	}
	best := ts[0]
	for _, t := range ts[1:] {
		a, b := slices.Index(statusOrder, t.Status), slices.Index(statusOrder, best.Status)
		if a < b || (a == b && t.Due != nil && (best.Due == nil || t.Due.Before(*best.Due))) {
			best = t
		}
	}
	return best, true
}

// Class is the badge's class of the status (its words say the same: colour
// is never the only sign).
func (t Target) Class() string {
	switch t.Status {
	case StatusBreached:
		return "bad"
	case StatusAtRisk:
		return "warn"
	case StatusMet:
		return "good"
	}
	return ""
}

// Icon is a sign of the status beside its words (hidden from screen
// readers, which read the words).
func (t Target) Icon() string {
	switch t.Status {
	case StatusBreached:
		return "✗"
	case StatusAtRisk:
		return "⚠"
	case StatusPaused:
		return "‖"
	case StatusMet:
		return "✓"
	}
	return "•"
}

// Open reports whether the target still counts down (running or at risk).
func (t Target) Open() bool { return t.Status == StatusRunning || t.Status == StatusAtRisk }

// slaReaders is how many cases' targets the list reads at once.
const slaReaders = 8

// slaOfRows sets each row's worst target. The service's list answers no
// targets (a case's are read with the case), so a row without them is read
// on its own, a few at once; a case that does not answer shows none.
func slaOfRows(r *console.Request, rows []Row) {
	now := r.X.Now()
	sem := make(chan struct{}, slaReaders)
	var wg sync.WaitGroup
	for i := range rows {
		row := &rows[i]
		if len(deref(row.Sla)) > 0 {
			row.SLA, row.HasSLA = Worst(Targets(row.Sla, now))
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			res, err := r.API.Service.GetCasesByIdWithResponse(r.C.Request.Context(), str(row.Id))
			if apis.Check(res, err) == nil {
				row.SLA, row.HasSLA = Worst(Targets(res.JSON200.Sla, now))
			}
		})
	}
	wg.Wait()
}
