package domain

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

// randomEntries makes n entries of every source on few distinct instants,
// so that many share one.
func randomEntries(r *rand.Rand, n int) map[string][]Entry {
	out := map[string][]Entry{}
	for i := range n {
		src := Sources[r.IntN(len(Sources))]
		out[src] = append(out[src], Entry{Source: src, ID: fmt.Sprintf("%04d", r.IntN(10_000)) + fmt.Sprint(i), At: t0.Add(time.Duration(r.IntN(6)) * time.Minute)})
	}
	return out
}

// in reports whether e is within b (the rule the adapters write in SQL).
func (b Bound) in(e Entry) bool {
	switch {
	case e.At.Before(b.Before):
		return true
	case e.At.Equal(b.Before):
		return b.AtToo || (b.IDBelow != "" && e.ID < b.IDBelow)
	}
	return false
}

// source reads up to limit+1 entries of one source after the cursor, newest
// first, as an adapter does.
func source(entries []Entry, after *Cursor, limit int, src string) []Entry {
	var out []Entry
	for _, e := range entries {
		if after == nil || after.BoundIn(src).in(e) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, compare)
	return out[:min(limit+1, len(out))]
}

func TestOrderIsNewestFirstThenSourceThenID(t *testing.T) {
	es := []Entry{
		{Source: SourceStage, ID: "b", At: t0},
		{Source: SourceAction, ID: "a", At: t0},
		{Source: SourceVisit, ID: "z", At: t0.Add(time.Second)},
		{Source: SourceAction, ID: "c", At: t0},
		{Source: SourceVisit, ID: "a", At: t0},
	}
	slices.SortFunc(es, compare)
	var got []string
	for _, e := range es {
		got = append(got, e.Source+"/"+e.ID)
	}
	if want := "[visit/z action/c action/a visit/a stage/b]"; fmt.Sprint(got) != want {
		t.Errorf("order %v; want %s", got, want)
	}
}

// TestBoundsSplitTheTimelineAtTheCursor: for every entry taken as a cursor,
// the entries each source's bound admits are exactly those after it in the
// timeline's order.
func TestBoundsSplitTheTimelineAtTheCursor(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		bySource := randomEntries(r, 40)
		var all []Entry
		for _, es := range bySource {
			all = append(all, es...)
		}
		slices.SortFunc(all, compare)
		for i, c := range all {
			cur := Cursor{At: c.At, Source: c.Source, ID: c.ID}
			for _, e := range all {
				after := compare(c, e) < 0
				if got := cur.BoundIn(e.Source).in(e); got != after {
					t.Fatalf("cursor %d %+v, entry %+v: admitted %v, after it %v", i, cur, e, got, after)
				}
			}
		}
	}
}

// TestPagesReadTheWholeTimelineOnce merges the sources' pages with every
// page size, following the cursors, and reads every entry once, in order.
func TestPagesReadTheWholeTimelineOnce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := range 20 {
		bySource := randomEntries(r, 1+r.IntN(60))
		var want []Entry
		for _, es := range bySource {
			want = append(want, es...)
		}
		slices.SortFunc(want, compare)
		for limit := 1; limit <= 9; limit++ {
			var got []Entry
			var after *Cursor
			for pages := 0; ; pages++ {
				if pages > len(want)+1 {
					t.Fatalf("round %d limit %d: the cursors never end", round, limit)
				}
				var lists [][]Entry
				for _, src := range Sources {
					lists = append(lists, source(bySource[src], after, limit, src))
				}
				p := Merge(limit, lists...)
				if len(p.Items) > limit {
					t.Fatalf("a page of %d with limit %d", len(p.Items), limit)
				}
				got = append(got, p.Items...)
				if p.Next == nil {
					break
				}
				after = p.Next
			}
			if !slices.EqualFunc(got, want, func(a, b Entry) bool { return a.Source == b.Source && a.ID == b.ID }) {
				t.Fatalf("round %d limit %d: read %d entries, want %d in order", round, limit, len(got), len(want))
			}
		}
	}
	if p := Merge(5); p.Items == nil || len(p.Items) != 0 || p.Next != nil {
		t.Errorf("an empty timeline: %+v", p)
	}
}

func TestQueryValidate(t *testing.T) {
	q := Query{CustomerID: "c", Limit: 50}
	if err := q.Validate(); err != nil || len(q.Sources) != len(Sources) {
		t.Errorf("no sources: %v, %v; want every source", err, q.Sources)
	}
	q = Query{Sources: []string{SourceVisit, "email"}}
	if err := q.Validate(); err == nil {
		t.Error("an unknown source was accepted")
	}
	for _, c := range []*Cursor{{At: t0, Source: "x", ID: "1"}, {At: t0, Source: SourceVisit}, {Source: SourceVisit, ID: "1"}} {
		q := Query{After: c}
		if err := q.Validate(); err == nil {
			t.Errorf("cursor %+v was accepted", c)
		}
	}
}
