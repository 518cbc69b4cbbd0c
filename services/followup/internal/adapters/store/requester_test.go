package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// TestRequesterManagersSeeItAfterEscalateOriginator: a follow-up team south
// owes to team north (an info slip's recipient chased for its originator)
// stays off north's managers' board, lists and digest through the reminder
// and the escalation to south's managers, and is on them from the
// escalate_originator step on — while north's reps, and the managers of a
// team that asked for nothing, still see nothing. The board's query stays
// two ranges over the partial indexes of open rows (PostgreSQL's plan).
func TestRequesterManagersSeeItAfterEscalateOriginator(t *testing.T) {
	each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		r := store.NewFollowUps(gdb)
		due := t0.Add(time.Hour)
		opening := func(n int, team, requester string) domain.FollowUp {
			f, err := domain.Open(domain.Opening{ID: "0190d000-0000-7000-8000-00000000000" + string(rune('0'+n)), Kind: "slip_ack", CustomerID: "c1",
				OwnerID: "rep-bo", Team: team, RequesterTeam: requester, OpenedBy: "test", WorkflowID: "wf", AnchorAt: t0, DueAt: due}, t0)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Create(ctx, f); err != nil {
				t.Fatal(err)
			}
			return f
		}
		f := opening(1, "south", "north")
		g := opening(2, "east", "north") // escalated to its own managers only
		step := func(id string, level int, action string, at time.Time) {
			t.Helper()
			if err := r.Update(ctx, id, func(f *domain.FollowUp) error {
				f.RecordStep(domain.Step{Level: level, Action: action, ScheduledAt: at}, at)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		at := t0.Add(5 * time.Hour) // both overdue
		north, south, west := auth.Scope{Teams: []string{"north"}}, auth.Scope{Teams: []string{"south"}}, auth.Scope{Teams: []string{"west", "north"}}
		seen := func(scope auth.Scope) []string {
			t.Helper()
			overdue, err := r.Overdue(ctx, scope, domain.Filter{}, at, nil, 10)
			if err != nil {
				t.Fatal(err)
			}
			groups, err := r.OverdueGroups(ctx, scope, domain.Filter{}, at)
			if err != nil {
				t.Fatal(err)
			}
			listed, err := r.List(ctx, scope, domain.Filter{}, nil, 10)
			if err != nil {
				t.Fatal(err)
			}
			var digest []domain.FollowUp
			if len(scope.Teams) > 0 {
				if digest, _, err = r.OverdueIn(ctx, scope.Teams, at); err != nil {
					t.Fatal(err)
				}
			}
			var counted int64
			for _, gr := range groups {
				counted += gr.Overdue
			}
			got := ids(overdue)
			if !slices.Equal(ids(listed), got) || int(counted) != len(got) || (len(scope.Teams) > 0 && !slices.Equal(ids(digest), got)) {
				t.Fatalf("%+v: board %v, counts %+v, list %v, digest %v disagree", scope, got, groups, ids(listed), ids(digest))
			}
			return got
		}

		step(f.ID, 1, "remind", t0.Add(time.Hour))
		step(f.ID, 2, "escalate_manager", t0.Add(2*time.Hour))
		step(g.ID, 1, "escalate_manager", t0.Add(2*time.Hour))
		if got := seen(north); len(got) != 0 {
			t.Fatalf("north's managers see %v before any escalation to them", got)
		}
		if got := seen(south); !slices.Equal(got, []string{f.ID}) {
			t.Fatalf("south's managers see %v", got)
		}

		step(f.ID, 3, domain.ActionEscalateOriginator, t0.Add(3*time.Hour))
		stored, err := r.Get(ctx, f.ID)
		if err != nil || stored.RequesterTeam != "north" || stored.RequesterEscalatedAt == nil || !stored.RequesterEscalatedAt.Equal(t0.Add(3*time.Hour)) ||
			stored.State != domain.StateEscalated || stored.EscalatedTo() != "managers of team north" {
			t.Fatalf("stored %+v, %v", stored, err)
		}
		for _, c := range []struct {
			name  string
			scope auth.Scope
			want  []string
		}{
			{"north's managers", north, []string{f.ID}},
			{"the managers of north and another team", west, []string{f.ID}},
			{"south's managers", south, []string{f.ID}},
			{"a rep of north", auth.Scope{OwnerID: "rep-ana"}, nil},
			{"the owner", auth.Scope{OwnerID: "rep-bo"}, []string{f.ID, g.ID}},
			{"east's managers", auth.Scope{Teams: []string{"east"}}, []string{g.ID}},
		} {
			if got := seen(c.scope); !slices.Equal(got, c.want) {
				t.Errorf("%s see %v, want %v", c.name, got, c.want)
			}
		}
		// A later step keeps it on their board; a filter by team is by the
		// follow-up's own team.
		step(f.ID, 4, "remind", t0.Add(4*time.Hour))
		if got := seen(north); !slices.Equal(got, []string{f.ID}) {
			t.Errorf("after a later step north's managers see %v", got)
		}
		if got, _ := r.Overdue(ctx, north, domain.Filter{Team: "north"}, at, nil, 10); len(got) != 0 {
			t.Errorf("filtered to team north: %v", ids(got))
		}

		if gdb.Dialector.Name() == "postgres" {
			// A board's worth of other teams' open rows, all overdue: only
			// the team indexes narrow the query.
			if err := gdb.Exec(`INSERT INTO follow_ups (id, kind, customer_id, owner_id, team, territory, state, anchor_at, due_at, workflow_id, opened_by, created_at, updated_at)
				SELECT 'bulk-' || n, 'slip_ack', 'c1', 'rep-' || (n % 500), 'team-' || (n % 50), 'x', 'open', ?, ?, 'wf', 'test', ?, ?
				FROM generate_series(1, 20000) AS n`, t0, due, t0, t0).Error; err != nil {
				t.Fatal(err)
			}
			if err := gdb.Exec("ANALYZE follow_ups").Error; err != nil {
				t.Fatal(err)
			}
			plan := explainOverdue(t, gdb, north, at)
			t.Logf("the board's plan:\n%s", plan)
			for _, ix := range []string{"ix_follow_ups_open_team", "ix_follow_ups_open_requester"} {
				if !strings.Contains(plan, ix) {
					t.Errorf("the board's query does not use %s:\n%s", ix, plan)
				}
			}
		}

		if err := r.Update(ctx, f.ID, func(f *domain.FollowUp) error { return f.Close(domain.Closing{State: domain.StateDone}, at) }); err != nil {
			t.Fatal(err)
		}
		if got, err := r.Overdue(ctx, north, domain.Filter{}, at, nil, 10); err != nil || len(got) != 0 {
			t.Errorf("closed, north's managers still see %v open", got)
		}
	})
}

// explainOverdue is PostgreSQL's plan of the overdue board's query in scope.
func explainOverdue(t *testing.T, gdb *gorm.DB, scope auth.Scope, at time.Time) string {
	t.Helper()
	var query string
	var vars []any
	name := "test:capture-overdue"
	if err := gdb.Callback().Query().After("gorm:query").Register(name, func(db *gorm.DB) {
		if db.Statement.Table == "follow_ups" && query == "" {
			query, vars = db.Statement.SQL.String(), db.Statement.Vars
		}
	}); err != nil {
		t.Fatal(err)
	}
	defer gdb.Callback().Query().Remove(name)
	if _, err := store.NewFollowUps(gdb).Overdue(context.Background(), scope, domain.Filter{}, at, nil, 10); err != nil {
		t.Fatal(err)
	}
	if query == "" {
		t.Fatal("the board's query was not seen")
	}
	var lines []string
	err := gdb.Transaction(func(tx *gorm.DB) error {
		return tx.Raw("EXPLAIN "+query, vars...).Scan(&lines).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
