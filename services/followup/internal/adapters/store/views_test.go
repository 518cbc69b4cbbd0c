package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

func open(t *testing.T, r *store.FollowUps, n int, owner, team string, due time.Time) domain.FollowUp {
	t.Helper()
	f, err := domain.Open(domain.Opening{ID: fmt.Sprintf("0190b000-0000-7000-8000-%012d", n), Kind: "callback", CustomerID: "c1", OwnerID: owner,
		Team: team, OpenedBy: "test", WorkflowID: fmt.Sprintf("followup:%d", n), AnchorAt: due.Add(-time.Hour), DueAt: due}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Create(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	return f
}

func ids(fs []domain.FollowUp) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

// TestReassignIsStoredAndListed: a reassignment stores the new owner and
// team with its history entry, and the owner and team views follow at once.
func TestReassignIsStoredAndListed(t *testing.T) {
	each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		r := store.NewFollowUps(gdb)
		f := open(t, r, 1, "rep-ana", "north", t0.Add(time.Hour))
		at := t0.Add(3 * time.Hour)
		if err := r.Update(ctx, f.ID, func(f *domain.FollowUp) error {
			return f.Reassign(domain.Reassignment{OwnerID: "rep-bo", Team: "south", Reason: "moved", By: "admin-ada"}, at)
		}); err != nil {
			t.Fatal(err)
		}
		got, _ := r.Get(ctx, f.ID)
		if got.OwnerID != "rep-bo" || got.Team != "south" || !got.DueAt.Equal(f.DueAt) || !got.UpdatedAt.Equal(at) {
			t.Fatalf("stored %+v", got)
		}
		evs, _ := r.Events(ctx, f.ID)
		if len(evs) != 2 || evs[1].Action != "reassigned" || evs[1].Actor != "admin-ada" {
			t.Fatalf("history %+v", evs)
		}
		for _, c := range []struct {
			scope auth.Scope
			want  int
		}{
			{auth.Scope{OwnerID: "rep-ana"}, 0}, {auth.Scope{OwnerID: "rep-bo"}, 1}, {auth.Scope{Teams: []string{"north"}}, 0}, {auth.Scope{Teams: []string{"south"}}, 1},
		} {
			rows, err := r.Overdue(ctx, c.scope, domain.Filter{}, at, nil, 10)
			if err != nil || len(rows) != c.want {
				t.Errorf("overdue in %+v: %d, %v", c.scope, len(rows), err)
			}
			groups, err := r.OverdueGroups(ctx, c.scope, domain.Filter{}, at)
			if err != nil || len(groups) != c.want || (c.want == 1 && (groups[0].OwnerID != "rep-bo" || groups[0].Team != "south")) {
				t.Errorf("counts in %+v: %+v, %v", c.scope, groups, err)
			}
		}
	})
}

// TestListDueBeforeAndEscalated: a rep's day — open follow-ups due before an
// instant, soonest first, a page at a time — and the escalated ones alone.
func TestListDueBeforeAndEscalated(t *testing.T) {
	each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		r := store.NewFollowUps(gdb)
		var mine []domain.FollowUp
		for i := range 6 { // due t0-2h, t0-1h, …, t0+3h
			mine = append(mine, open(t, r, 10+i, "rep-ana", "north", t0.Add(time.Duration(i-2)*time.Hour)))
		}
		open(t, r, 20, "rep-cy", "north", t0.Add(-5*time.Hour)) // someone else's
		done := mine[1]
		if err := r.Update(ctx, done.ID, func(f *domain.FollowUp) error { return f.Close(domain.Closing{State: domain.StateDone}, t0) }); err != nil {
			t.Fatal(err)
		}
		esc := mine[3]
		if err := r.Update(ctx, esc.ID, func(f *domain.FollowUp) error {
			f.RecordStep(domain.Step{Level: 1, Action: "escalate_manager", ScheduledAt: t0}, t0)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		ana := auth.Scope{OwnerID: "rep-ana"}
		before := t0.Add(2 * time.Hour) // excludes the one due exactly then
		f := domain.Filter{DueBefore: &before}
		first, err := r.List(ctx, ana, f, nil, 2)
		if err != nil {
			t.Fatal(err)
		}
		last := first[len(first)-1]
		rest, err := r.List(ctx, ana, f, &store.Keyset{Due: last.DueAt, ID: last.ID}, 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{mine[0].ID, mine[2].ID, mine[3].ID}
		if got := append(ids(first), ids(rest)...); !slices.Equal(got, want) {
			t.Errorf("the day's list %v, want %v", got, want)
		}
		if got, _ := r.List(ctx, ana, domain.Filter{State: "escalated"}, nil, 10); !slices.Equal(ids(got), []string{esc.ID}) {
			t.Errorf("escalated %v", ids(got))
		}
		if got, _ := r.List(ctx, ana, domain.Filter{State: "closed", DueBefore: &before}, nil, 10); !slices.Equal(ids(got), []string{done.ID}) {
			t.Errorf("closed %v", ids(got))
		}
	})
}

// TestOnTimeGroupsMatchTheDomain closes follow-ups at random instants around
// their due times and week boundaries in Shanghai, then checks the grouped
// query against the domain's period of every row, in every scope, on both
// databases.
func TestOnTimeGroupsMatchTheDomain(t *testing.T) {
	each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		r := store.NewFollowUps(gdb)
		q, err := domain.ParseStatsQuery(domain.StatsInput{From: "2026-03-04", To: "2026-03-25T12:00:00+08:00", TZ: "Asia/Shanghai"})
		if err != nil {
			t.Fatal(err)
		}
		periods := q.Periods()
		rnd := rand.New(rand.NewPCG(1, 2))
		teams, owners := []string{"north", "south", "east"}, []string{"rep-a", "rep-b", "rep-c", "rep-d"}
		type closed struct {
			owner, team     string
			closedAt, dueAt time.Time
			state           string
			period          int
		}
		var all []closed
		edges := []time.Time{q.From, q.To}
		for _, p := range periods {
			edges = append(edges, p.End)
		}
		for i := range 240 {
			at := q.From.Add(time.Duration(rnd.Int64N(int64(q.To.Sub(q.From)+48*time.Hour))) - 24*time.Hour).Truncate(time.Microsecond)
			if i%6 == 0 { // exactly on a boundary, or a microsecond before it
				at = edges[rnd.IntN(len(edges))].Add(-time.Duration(rnd.IntN(2)) * time.Microsecond)
			}
			at = at.UTC() // as every writer stores instants (SQLite compares them as text)
			due := at.Add(time.Duration(rnd.Int64N(int64(96*time.Hour))) - 48*time.Hour).Truncate(time.Microsecond)
			if i%7 == 0 {
				due = at // closed exactly at the due time: on time
			}
			c := closed{owner: owners[rnd.IntN(len(owners))], team: teams[rnd.IntN(len(teams))], closedAt: at, dueAt: due, state: domain.StateDone}
			if i%5 == 0 {
				c.state = domain.StateCancelled
			}
			f := open(t, r, 100+i, c.owner, c.team, due)
			if err := r.Update(ctx, f.ID, func(f *domain.FollowUp) error {
				return f.Close(domain.Closing{State: c.state, At: &c.closedAt}, c.closedAt)
			}); err != nil {
				t.Fatal(err)
			}
			c.period = domain.PeriodOf(periods, at)
			all = append(all, c)
		}
		open(t, r, 999, "rep-a", "north", q.From.Add(time.Hour)) // open: never counted

		for _, c := range []struct {
			name  string
			scope auth.Scope
			team  string
		}{
			{"everything", auth.Scope{All: true}, ""},
			{"one team", auth.Scope{All: true}, "south"},
			{"a manager's teams", auth.Scope{Teams: []string{"north", "east"}}, ""},
			{"a manager's team filtered to another", auth.Scope{Teams: []string{"north"}}, "south"},
			{"a rep", auth.Scope{OwnerID: "rep-b"}, ""},
		} {
			want := map[string]domain.OnTime{}
			for _, x := range all {
				inScope := domain.InScope(c.scope, x.owner, x.team) && (c.team == "" || c.team == x.team)
				if x.period < 0 || !inScope {
					continue
				}
				k := fmt.Sprintf("%s/%d", x.team, x.period)
				o := want[k]
				onTime := domain.OnTimeAt(x.closedAt, x.dueAt)
				o.Add(domain.OnTime{Closed: 1, ClosedOnTime: b(onTime), Done: b(x.state == domain.StateDone),
					DoneOnTime: b(x.state == domain.StateDone && onTime), Cancelled: b(x.state == domain.StateCancelled)})
				want[k] = o
			}
			groups, err := r.OnTimeGroups(ctx, c.scope, c.team, periods)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]domain.OnTime{}
			for _, g := range groups {
				got[fmt.Sprintf("%s/%d", g.Team, g.Period)] = g.OnTime
			}
			if len(got) != len(want) {
				t.Errorf("%s: %d groups, want %d: %v vs %v", c.name, len(got), len(want), got, want)
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("%s: %s is %+v, want %+v", c.name, k, got[k], w)
				}
			}
		}
	})
}

func b(v bool) int64 {
	if v {
		return 1
	}
	return 0
}
