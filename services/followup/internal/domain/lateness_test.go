package domain_test

import (
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

func TestBucketOf(t *testing.T) {
	for _, c := range []struct {
		late time.Duration
		want string
	}{
		{-time.Hour, ""}, {0, ""}, {time.Second, "under_1d"}, {24 * time.Hour, "under_1d"}, {24*time.Hour + 1, "1d_3d"},
		{72 * time.Hour, "1d_3d"}, {100 * time.Hour, "3d_7d"}, {168 * time.Hour, "3d_7d"}, {169 * time.Hour, "over_7d"}, {9000 * time.Hour, "over_7d"},
	} {
		if got := domain.BucketOf(c.late); got != c.want {
			t.Errorf("BucketOf(%s) = %q, want %q", c.late, got, c.want)
		}
	}
	if got := domain.LatenessBuckets(); len(got) != 4 || got[0] != "under_1d" || got[3] != "over_7d" {
		t.Errorf("buckets %v", got)
	}
	if b, ok := domain.BucketNamed("3d_7d"); !ok || b.From != 72*time.Hour || b.To != 168*time.Hour {
		t.Errorf("3d_7d: %+v %v", b, ok)
	}
	if _, ok := domain.BucketNamed("soon"); ok {
		t.Error("an unknown bucket was found")
	}
}

func TestLatenessAt(t *testing.T) {
	at := due.Add(30 * time.Hour)
	for _, c := range []struct {
		name   string
		due    time.Time
		closed bool
		want   domain.Lateness
	}{
		{"not yet due", at.Add(time.Minute), false, domain.Lateness{}},
		{"due this instant is not overdue", at, false, domain.Lateness{}},
		{"30 hours late", due, false, domain.Lateness{Overdue: true, Seconds: 30 * 3600, Bucket: "1d_3d"}},
		{"a second and a half late", at.Add(-1500 * time.Millisecond), false, domain.Lateness{Overdue: true, Seconds: 1, Bucket: "under_1d"}},
		{"closed late is not overdue", due, true, domain.Lateness{}},
	} {
		f := domain.FollowUp{DueAt: c.due}
		if c.closed {
			f.ClosedAt = &due
		}
		if got := f.LatenessAt(at); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestEscalatedTo(t *testing.T) {
	for _, c := range []struct {
		state, action, want string
	}{
		{domain.StateEscalated, "escalate_manager", "managers of team north"},
		{domain.StateEscalated, "reassign", "managers of team north"},
		{domain.StateEscalated, "return_to_pool", "managers of team north"},
		{domain.StateEscalated, "remind", ""},
		{domain.StateOpen, "remind", ""},
		{domain.StateDone, "escalate_manager", ""},
	} {
		f := domain.FollowUp{State: c.state, LastAction: c.action, Team: "north"}
		if got := f.EscalatedTo(); got != c.want {
			t.Errorf("%s after %s: %q, want %q", c.state, c.action, got, c.want)
		}
	}
}

func TestInScope(t *testing.T) {
	for _, c := range []struct {
		name  string
		scope auth.Scope
		want  bool
	}{
		{"all", auth.Scope{All: true}, true},
		{"the owner", auth.Scope{OwnerID: "rep-ana"}, true},
		{"another rep", auth.Scope{OwnerID: "rep-bo"}, false},
		{"a manager of the team", auth.Scope{Teams: []string{"south", "north"}}, true},
		{"a manager of another team", auth.Scope{Teams: []string{"south"}}, false},
		{"nothing", auth.Scope{}, false},
	} {
		if got := domain.InScope(c.scope, "rep-ana", "north"); got != c.want {
			t.Errorf("%s: %v", c.name, got)
		}
	}
}

func TestFilterCheck(t *testing.T) {
	long := string(make([]byte, 201))
	for _, c := range []struct {
		name    string
		f       domain.Filter
		overdue bool
		want    string
	}{
		{"empty", domain.Filter{}, true, ""},
		{"a known kind and bucket", domain.Filter{Kind: "callback", Lateness: "1d_3d"}, true, ""},
		{"an unknown kind", domain.Filter{Kind: "lunch"}, false, "kind:invalid"},
		{"an unknown bucket", domain.Filter{Lateness: "late"}, true, "lateness:invalid"},
		{"lateness is not checked on plain lists", domain.Filter{Lateness: "late"}, false, ""},
		{"states of plain lists", domain.Filter{State: "closed"}, false, ""},
		{"escalated ones only", domain.Filter{State: "escalated"}, false, ""},
		{"an unknown state", domain.Filter{State: "done"}, false, "state:invalid"},
		{"a list of states", domain.Filter{State: "open,escalated"}, false, "state:invalid"},
		{"state is not checked on overdue lists", domain.Filter{State: "escalated"}, true, ""},
		{"too long", domain.Filter{Team: long, CustomerID: long}, true, "team:too_long,customer_id:too_long"},
	} {
		if got := fields(c.f.Check(c.overdue)); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
