package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/workflows/policy"
)

// Bucket is a lateness bucket: follow-ups whose due time passed more than
// From and at most To ago (To 0: no upper bound).
type Bucket struct {
	Name     string
	From, To time.Duration
}

// Buckets are the lateness buckets, least late first.
var Buckets = []Bucket{
	{"under_1d", 0, 24 * time.Hour},
	{"1d_3d", 24 * time.Hour, 72 * time.Hour},
	{"3d_7d", 72 * time.Hour, 168 * time.Hour},
	{"over_7d", 168 * time.Hour, 0},
}

// LatenessBuckets returns the bucket names, least late first.
func LatenessBuckets() []string {
	out := make([]string, len(Buckets))
	for i, b := range Buckets {
		out[i] = b.Name
	}
	return out
}

// BucketNamed returns the bucket of that name.
func BucketNamed(name string) (Bucket, bool) {
	for _, b := range Buckets {
		if b.Name == name {
			return b, true
		}
	}
	return Bucket{}, false
}

// BucketOf names the bucket of a lateness ("" when not late).
func BucketOf(late time.Duration) string {
	for _, b := range Buckets {
		if late > b.From && (b.To == 0 || late <= b.To) {
			return b.Name
		}
	}
	return ""
}

// Lateness is how overdue a follow-up is at an instant.
type Lateness struct {
	Overdue bool
	Seconds int64  // whole seconds past the due time
	Bucket  string // "" when not overdue
}

// LatenessAt says whether the follow-up is overdue at the instant: open and
// due before it.
func (f *FollowUp) LatenessAt(at time.Time) Lateness {
	if f.Closed() || !f.DueAt.Before(at) {
		return Lateness{}
	}
	late := at.Sub(f.DueAt)
	return Lateness{Overdue: true, Seconds: int64(late / time.Second), Bucket: BucketOf(late)}
}

// EscalatedTo is who an escalated follow-up went to ("" when it did not).
func (f *FollowUp) EscalatedTo() string {
	if f.State != StateEscalated || !Escalating(f.LastAction) {
		return ""
	}
	if f.LastAction == ActionEscalateOriginator {
		return "managers of team " + f.RequesterManagersOf()
	}
	return "managers of team " + f.Team
}

// InScope reports whether a follow-up with this owner and team is visible to s.
// It is who may act on a follow-up; VisibleTo is who may see it.
func InScope(s auth.Scope, ownerID, team string) bool {
	if s.All {
		return true
	}
	if s.OwnerID != "" {
		return s.OwnerID == ownerID
	}
	return slices.Contains(s.Teams, team)
}

// VisibleTo reports whether s may see f: in scope (InScope), or — a manager
// — of a team that asked for the work once the ladder escalated to its
// managers. Those managers see it to chase it, not to act on it: closing and
// reassigning stay with InScope.
func (f *FollowUp) VisibleTo(s auth.Scope) bool {
	if InScope(s, f.OwnerID, f.Team) {
		return true
	}
	return !s.All && s.OwnerID == "" && f.RequesterTeam != "" && f.RequesterEscalatedAt != nil && slices.Contains(s.Teams, f.RequesterTeam)
}

// Filter narrows follow-up lists.
type Filter struct {
	Team, OwnerID, Kind, Territory, CustomerID string
	Lateness                                   string // overdue lists only
	// State selects by state, on plain lists only: "open" (the default: not
	// closed, escalated ones included), "escalated" (open and escalated
	// only), "closed" (done or cancelled) or "all".
	State string
	// DueBefore keeps the follow-ups due strictly before the instant (a rep's
	// day: everything due before tonight, overdue ones included); nil: any.
	DueBefore *time.Time
}

// ListStates are the values of Filter.State on plain lists.
var ListStates = []string{"open", StateEscalated, "closed", "all"}

// Check validates a filter of an overdue list (overdue) or a plain one.
func (f Filter) Check(overdue bool) error {
	var v apperr.Validation
	if f.Kind != "" {
		_, ok := policy.LookupKind(f.Kind)
		v.Check(ok, "kind", "invalid", "unknown follow-up kind")
	}
	if overdue && f.Lateness != "" {
		v.Check(slices.Contains(LatenessBuckets(), f.Lateness), "lateness", "invalid", "use one of "+strings.Join(LatenessBuckets(), ", "))
	}
	if !overdue {
		v.Check(f.State == "" || slices.Contains(ListStates, f.State), "state", "invalid", "use open, escalated, closed or all")
	}
	for _, c := range []struct{ name, val string }{{"team", f.Team}, {"owner_id", f.OwnerID}, {"territory", f.Territory}, {"customer_id", f.CustomerID}} {
		v.Check(len(c.val) <= 200, c.name, "too_long", "at most 200 characters")
	}
	return v.Err()
}
