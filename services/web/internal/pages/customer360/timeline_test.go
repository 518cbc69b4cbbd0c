package customer360

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// at is an entry of source src, minutes after t0.
func at(src string, minutes int, title string) Entry {
	return Entry{Source: src, At: t0.Add(time.Duration(minutes) * time.Minute), Title: title}
}

func titles(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Title
	}
	return out
}

func TestMergeNewestFirstAndStable(t *testing.T) {
	runs := []Run{
		{Entries: []Entry{at("a", 50, "a50"), at("a", 30, "a30"), at("a", 30, "a30b"), at("a", 10, "a10")}},
		{Entries: []Entry{at("b", 40, "b40"), at("b", 30, "b30"), at("b", 5, "b5")}},
		{},
	}
	out, took, need := Merge(runs, 10)
	// Same instant: run a before run b, and a's own order kept.
	want := []string{"a50", "b40", "a30", "a30b", "b30", "a10", "b5"}
	if !slices.Equal(titles(out), want) || need != -1 || !slices.Equal(took, []int{4, 3, 0}) {
		t.Fatalf("merge: %v took %v need %d, want %v", titles(out), took, need, want)
	}
	out, took, need = Merge(runs, 3)
	if !slices.Equal(titles(out), want[:3]) || !slices.Equal(took, []int{2, 1, 0}) || need != -1 {
		t.Fatalf("merge of 3: %v took %v need %d", titles(out), took, need)
	}
}

// A run that has more than it holds is never passed: its next entry may be
// newer than what the other runs hold.
func TestMergeStopsWhereARunMustBeReadOn(t *testing.T) {
	runs := []Run{
		{Entries: []Entry{at("a", 50, "a50"), at("a", 40, "a40")}, More: true},
		{Entries: []Entry{at("b", 45, "b45"), at("b", 10, "b10")}},
	}
	out, took, need := Merge(runs, 10)
	if !slices.Equal(titles(out), []string{"a50", "b45", "a40"}) || need != 0 || !slices.Equal(took, []int{2, 1}) {
		t.Fatalf("merge: %v took %v need %d", titles(out), took, need)
	}
	// A used-up run without more is simply done.
	runs[0].More = false
	out, _, need = Merge(runs, 10)
	if len(out) != 4 || need != -1 {
		t.Fatalf("merge without more: %v need %d", titles(out), need)
	}
	// Reaching n first does not ask for a read.
	if _, _, need := Merge([]Run{{Entries: []Entry{at("a", 1, "x")}, More: true}}, 1); need != -1 {
		t.Fatalf("n reached, need %d", need)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	c := Cursor{"history": "3:abc==", "visits": "2026-11-25 1764000000000000000 v1", "leads": Done}
	got, err := ParseCursor(c.Encode())
	if err != nil || len(got) != 3 || got["history"] != "3:abc==" || got["visits"] != c["visits"] || got["leads"] != Done {
		t.Fatalf("round trip: %v %v", got, err)
	}
	if s := (Cursor{"history": Done, "visits": Done}).Encode(); s != "" {
		t.Fatalf("a cursor with every source used up is %q, want none", s)
	}
	if c, err := ParseCursor(""); err != nil || len(c) != 0 {
		t.Fatalf("the empty cursor: %v %v", c, err)
	}
	for _, bad := range []string{"%%%", "bm90IGpzb24", "WzEsMl0"} { // not base64, "not json", "[1,2]"
		if _, err := ParseCursor(bad); !errors.Is(err, errBadCursor) {
			t.Errorf("ParseCursor(%q) = %v, want errBadCursor", bad, err)
		}
	}
}

func TestPagePositions(t *testing.T) {
	for _, bad := range []string{"x:abc", "-1:abc", "200:abc", "7"} {
		if _, err := parsePagePos(bad); err == nil {
			t.Errorf("parsePagePos(%q) accepted", bad)
		}
	}
	p, err := parsePagePos("2:c1")
	if err != nil || p != (pagePos{Cursor: "c1", Skip: 2}) {
		t.Fatalf("parse: %v %v", p, err)
	}
	page := []Entry{at("h", 4, "e0"), at("h", 3, "e1"), at("h", 2, "e2"), at("h", 1, "e3")}
	run := pageRun(p, page, "c2")
	if !slices.Equal(titles(run.Entries), []string{"e2", "e3"}) || !run.More || run.Next != "0:c2" {
		t.Fatalf("run: %v more %v next %q", titles(run.Entries), run.More, run.Next)
	}
	// After e2 the list goes on at e3 of the same page; after e3, at the next page.
	if run.Entries[0].resume != "3:c1" || run.Entries[1].resume != "0:c2" {
		t.Fatalf("resume positions %q %q", run.Entries[0].resume, run.Entries[1].resume)
	}
	// A position's page is read as large as wanted, never beyond a list's largest page.
	if p.limit(50) != 52 || (pagePos{Skip: 190}).limit(50) != 200 || (pagePos{}).limit(0) != 1 {
		t.Fatal("limit")
	}
	last := pageRun(pagePos{}, page[:2], "")
	if last.More || last.Next != Done || last.Entries[1].resume != Done || last.Entries[0].resume != "1:" {
		t.Fatalf("last page: %+v", last)
	}
}

// fakeList is a cursor-paged list as the services serve one: pages of
// size entries (0: the size the position asks for, as the sources do);
// the cursor is the index of the page's first entry.
type fakeList struct {
	name    string
	entries []Entry // newest first
	size    int
	reads   int
	fail    error
}

func (f *fakeList) Name() string { return f.name }

func (f *fakeList) Read(_ context.Context, pos string, want int) (Run, error) {
	f.reads++
	if f.fail != nil {
		return Run{}, f.fail
	}
	p, err := parsePagePos(pos)
	if err != nil {
		return Run{}, err
	}
	start := 0
	if p.Cursor != "" {
		start, _ = strconv.Atoi(p.Cursor)
	}
	size := f.size
	if size == 0 {
		size = p.limit(want)
	}
	end := min(start+size, len(f.entries))
	next := ""
	if end < len(f.entries) {
		next = strconv.Itoa(end)
	}
	return pageRun(p, f.entries[start:end], next), nil
}

// list makes n entries of source name, every step minutes apart from
// offset, newest first.
func list(name string, n, offset, step, size int) *fakeList {
	f := &fakeList{name: name, size: size}
	for i := n - 1; i >= 0; i-- {
		f.entries = append(f.entries, at(name, offset+i*step, fmt.Sprintf("%s%03d", name, i)))
	}
	return f
}

// Paging through the whole timeline shows every entry once, newest first,
// equal instants in source order, whatever the page and read sizes; each
// page reads each source once unless one runs out of what it read.
func TestPageWalksEveryEntryOnceInOrder(t *testing.T) {
	for _, tc := range []struct{ page, size int }{{50, 0}, {7, 0}, {1, 0}, {50, 100}, {50, 50}, {7, 3}, {10, 200}, {3, 1}} {
		t.Run(fmt.Sprintf("page=%d,read=%d", tc.page, tc.size), func(t *testing.T) {
			// history is dense, visits every 7 minutes (some at the same instant as
			// history entries), leads few, one source empty.
			sources := []*fakeList{list("history", 700, 0, 1, tc.size), list("visits", 100, 3, 7, tc.size),
				list("leads", 5, 2, 100, tc.size), list("empty", 0, 0, 1, tc.size)}
			var want []Entry
			for _, s := range sources {
				want = append(want, s.entries...)
			}
			// Expected: newest first, ties in source order (stable sort).
			slices.SortStableFunc(want, func(a, b Entry) int { return b.At.Compare(a.At) })
			srcs := make([]source, len(sources))
			for i, s := range sources {
				srcs[i] = s
			}
			var got []Entry
			cursor, pages := "", 0
			for {
				cur, err := ParseCursor(cursor)
				if err != nil {
					t.Fatal(err)
				}
				before := 0
				for _, s := range sources {
					before += s.reads
				}
				entries, next, err := Page(context.Background(), srcs, cur, tc.page)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				reads := -before
				for _, s := range sources {
					reads += s.reads
				}
				if len(entries) == 0 && next != "" {
					t.Fatalf("page %d is empty but has an older link", pages)
				}
				if next != "" && len(entries) != tc.page {
					t.Fatalf("page %d has %d entries, want %d", pages, len(entries), tc.page)
				}
				limit := len(sources) + 2 // read to the size wanted: a second read only past a list's largest page
				if tc.size > 0 {
					limit += tc.page / tc.size
				}
				if reads > limit {
					t.Fatalf("page %d read the sources %d times", pages, reads)
				}
				got = append(got, entries...)
				if next == "" {
					break
				}
				cursor = next
			}
			if !slices.Equal(titles(got), titles(want)) {
				t.Fatalf("the pages together differ from the sorted entries (%d vs %d entries)", len(got), len(want))
			}
			if pages != (len(want)+tc.page-1)/tc.page {
				t.Fatalf("%d pages for %d entries", pages, len(want))
			}
		})
	}
}

func TestPageNamesTheSourceThatFailed(t *testing.T) {
	down := errors.New("connection refused")
	srcs := []source{list("history", 3, 0, 1, 10), &fakeList{name: "visits", fail: down}}
	_, _, err := Page(context.Background(), srcs, Cursor{}, 50)
	var se *sourceError
	if !errors.As(err, &se) || se.Source != "visits" || !errors.Is(err, down) {
		t.Fatalf("error %v does not name the visits", err)
	}
	// A used-up source is not read again.
	f := list("history", 3, 0, 1, 10)
	if _, next, err := Page(context.Background(), []source{f}, Cursor{"history": Done}, 50); err != nil || next != "" || f.reads != 0 {
		t.Fatalf("a used-up source was read (%d reads, next %q, %v)", f.reads, next, err)
	}
}
