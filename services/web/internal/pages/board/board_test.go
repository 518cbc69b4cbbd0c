package board_test

import (
	"net/url"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/pages/board"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	if err := view.SameKeys(os.DirFS("."), "locales"); err != nil {
		t.Fatal(err)
	}
}

func TestFilterFromDropsWhatTheServiceWouldRefuse(t *testing.T) {
	long := string(make([]byte, 101))
	q := url.Values{"team": {" north "}, "owner_id": {"rep-ana"}, "kind": {"nope"}, "lateness": {"over_7d"},
		"territory": {long}, "group": {"owner"}, "cursor": {"abc"}, "done": {"completed"}}
	f := board.FilterFrom(q)
	want := board.Filter{Team: "north", Owner: "rep-ana", Lateness: "over_7d", Group: "owner"}
	if f != want {
		t.Fatalf("filter %+v, want %+v", f, want)
	}
	if got := f.Query().Encode(); got != "group=owner&lateness=over_7d&owner_id=rep-ana&team=north" {
		t.Fatalf("query %q (the cursor and the notice are not filters)", got)
	}
	if !f.Active() || (board.Filter{Group: "team"}).Active() {
		t.Fatal("grouping alone is not a filter; a team is")
	}
	if g := board.FilterFrom(url.Values{"group": {"colour"}, "lateness": {"2d"}}); g != (board.Filter{}) {
		t.Fatalf("unknown group and bucket kept: %+v", g)
	}
	p := f.ListParams(50, "c1")
	if *p.Team != "north" || *p.OwnerId != "rep-ana" || string(*p.Lateness) != "over_7d" || p.Kind != nil || p.Territory != nil ||
		*p.Limit != 50 || *p.Cursor != "c1" {
		t.Fatalf("list params %+v", p)
	}
	if p := (board.Filter{}).ListParams(50, ""); p.Cursor != nil || p.Team != nil {
		t.Fatal("empty filters are sent as values")
	}
	c := board.Filter{Kind: "callback", Territory: "east"}.CountParams()
	if string(*c.Kind) != "callback" || *c.Territory != "east" || c.Lateness != nil {
		t.Fatalf("count params %+v", c)
	}
}

func TestSubjectOfWorkflowID(t *testing.T) {
	cases := []struct {
		id   string
		want *board.Subject
	}{
		{"Lead:5f0c-1", &board.Subject{Kind: "lead", ID: "5f0c-1", Href: "/leads/5f0c-1"}},
		{"Opportunity:o/1", &board.Subject{Kind: "opportunity", ID: "o/1", Href: "/opportunities/o%2F1"}},
		{"Visit:0190-cust:2026-03-04", &board.Subject{Kind: "visit", ID: "2026-03-04", Href: "/visits?week=2026-03-04"}},
		{"Visit:0190-cust:not-a-day", nil},
		{"ServiceCase:c-1", &board.Subject{Kind: "case", ID: "c-1", Href: "/cases/c-1"}},
		{"InfoSlip:s-1", &board.Subject{Kind: "slip", ID: "s-1", Href: "/slips/s-1"}},
		{"NoticeAck:n-1:auth0|rep:x", &board.Subject{Kind: "notice", ID: "n-1", Href: "/notices/n-1"}},
		{"NoticeAck:n-1", nil},
		{"followup:0190", nil},
		{"Lead:", nil},
		{"", nil},
	}
	for _, c := range cases {
		got, ok := board.SubjectOf(c.id)
		if (c.want == nil) == ok || (ok && got != *c.want) {
			t.Errorf("SubjectOf(%q) = %+v, %v; want %+v", c.id, got, ok, c.want)
		}
	}
}

func TestRowOfAndGroupRows(t *testing.T) {
	due := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	s := func(v string) *string { return &v }
	n := func(v int) *int { return &v }
	v := followupapi.View{Id: s("f1"), Title: s("call back"), Kind: s("callback"), CustomerId: s("c1"), OwnerId: s("rep-ana"),
		Team: s("north"), Territory: s("north"), DueAt: &due, OverdueSeconds: n(90061), Lateness: s("1d_3d"),
		EscalationLevel: n(2), LastAction: s("escalate_manager"), State: s("escalated"), WorkflowId: s("Lead:l1")}
	r := board.RowOf(v, func(id string) string { return "http://ui/" + id })
	if r.ID != "f1" || r.Late != 25*time.Hour+61*time.Second || r.Level != 2 || r.Bucket != "1d_3d" ||
		r.WorkflowURL != "http://ui/Lead:l1" || r.Subject == nil || r.Subject.Href != "/leads/l1" {
		t.Fatalf("row %+v", r)
	}
	if r := board.RowOf(followupapi.View{Id: s("f2")}, func(string) string { t.Fatal("no workflow, no link"); return "" }); r.Subject != nil || r.Late != 0 {
		t.Fatalf("row without workflow %+v", r)
	}

	rows := []board.Row{{ID: "1", Owner: "b", Team: "x"}, {ID: "2", Owner: "a", Team: "x"}, {ID: "3", Owner: "b", Team: "y"}, {ID: "4", Owner: "", Team: "y"}}
	ids := func(gs []board.Group) [][]string {
		var out [][]string
		for _, g := range gs {
			var l []string
			for _, r := range g.Rows {
				l = append(l, g.Key+":"+r.ID)
			}
			out = append(out, l)
		}
		return out
	}
	if got := ids(board.GroupRows(rows, "owner")); !reflect.DeepEqual(got, [][]string{{"b:1", "b:3"}, {"a:2"}, {":4"}}) {
		t.Fatalf("by owner: %v (groups in the order of their latest row, rows in their order)", got)
	}
	if got := ids(board.GroupRows(rows, "team")); !reflect.DeepEqual(got, [][]string{{"x:1", "x:2"}, {"y:3", "y:4"}}) {
		t.Fatalf("by team: %v", got)
	}
	if got := board.GroupRows(rows, ""); len(got) != 1 || len(got[0].Rows) != 4 {
		t.Fatalf("ungrouped: %v", got)
	}
	if got := board.GroupRows(nil, ""); got != nil {
		t.Fatalf("no rows, no groups: %v", got)
	}
}
