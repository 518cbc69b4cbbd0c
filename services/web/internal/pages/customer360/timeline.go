package customer360

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Entry is one line of the timeline: something a department did with the
// customer, from one source.
type Entry struct {
	At         time.Time
	Source     string // the source's name (customer, sales)
	Department string // sales, service, marketing
	Kind       string // what it is: a category of action, visit, lead, opportunity
	Status     string // the record's state (planned, done, booked …)
	Event      string // what happened to it (created, stage_changed, won …; a case's filed, resolved …)
	Team       string // a service case's team
	// StageFrom and StageTo: a stage change's stages (Kind stage_lifecycle
	// or stage_relationship).
	StageFrom, StageTo string
	Actor              string // who did it (a user id)
	Title              string
	Summary            string
	Link               string // the page of the record, "" when the console has none

	resume string // the source's position after this entry
}

// Run is what one source has in hand: its next entries, newest first (in
// the order the source's API lists them), whether it has more after them,
// and the position to read on from once they are used up.
type Run struct {
	Entries []Entry
	More    bool
	Next    string
}

// Merge takes up to n entries from runs, newest first. Entries of the same
// instant keep the order of their runs (the earlier run first) and, within
// a run, the source's own order, so the same data always reads the same.
//
// A run that has more than it holds cannot be passed: its next entry, not
// yet read, may be newer than everything else in hand. When such a run is
// used up before n entries are taken, Merge stops there and need is that
// run's index (read it on and merge again); otherwise need is -1. took
// counts the entries taken from each run.
func Merge(runs []Run, n int) (out []Entry, took []int, need int) {
	took = make([]int, len(runs))
	for len(out) < n {
		best := -1
		for i, r := range runs {
			if took[i] == len(r.Entries) {
				if r.More {
					return out, took, i
				}
				continue
			}
			if best < 0 || r.Entries[took[i]].At.After(runs[best].Entries[took[best]].At) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		out = append(out, runs[best].Entries[took[best]])
		took[best]++
	}
	return out, took, -1
}

// Cursor is where the timeline goes on: each source's position. A source
// not named starts from its newest entry; Done marks one that is used up.
type Cursor map[string]string

// Done is the position of a source with nothing more to read.
const Done = "-"

// errBadCursor is a cursor the console did not write.
var errBadCursor = errors.New("the timeline's cursor is not one this console wrote")

// Encode is the cursor as a URL-safe string; "" when every source is used
// up (there is nothing older).
func (c Cursor) Encode() string {
	left := false
	for _, p := range c {
		if p != Done {
			left = true
		}
	}
	if !left {
		return ""
	}
	raw, _ := json.Marshal(map[string]string(c))
	return base64.RawURLEncoding.EncodeToString(raw)
}

// ParseCursor reads an encoded cursor; "" is the start (every source from
// its newest entry).
func ParseCursor(s string) (Cursor, error) {
	c := Cursor{}
	if s == "" {
		return c, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) > 8<<10 {
		return nil, errBadCursor
	}
	if err := json.Unmarshal(raw, (*map[string]string)(&c)); err != nil {
		return nil, errBadCursor
	}
	return c, nil
}

// source is one kind of record the timeline shows, read a run at a time
// from a service's API.
type source interface {
	Name() string
	// Read returns the entries from position pos on ("" is the newest),
	// each with its resume position set; want is how many the page still
	// needs (a source may return fewer, with More, or more).
	Read(ctx context.Context, pos string, want int) (Run, error)
}

// sourceError names the source whose read failed.
type sourceError struct {
	Source string
	Err    error
}

func (e *sourceError) Error() string { return e.Source + ": " + e.Err.Error() }
func (e *sourceError) Unwrap() error { return e.Err }

// Page reads the n entries after cur, newest first, from sources: every
// source is read at once (concurrently); a source used up while it has more
// is read on and the merge goes on. next is the cursor of the entries after
// the page ("" when there are none).
func Page(ctx context.Context, sources []source, cur Cursor, n int) (entries []Entry, next string, err error) {
	type slot struct {
		src source
		pos string
		run Run
	}
	var slots []*slot
	nextCur := Cursor{}
	for _, s := range sources {
		pos := cur[s.Name()]
		if pos == Done {
			nextCur[s.Name()] = Done
			continue
		}
		slots = append(slots, &slot{src: s, pos: pos})
	}
	errs := make([]error, len(slots))
	var wg sync.WaitGroup
	for i, sl := range slots {
		wg.Go(func() {
			run, err := sl.src.Read(ctx, sl.pos, n)
			if err != nil {
				errs[i] = &sourceError{Source: sl.src.Name(), Err: err}
			}
			sl.run = run
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, "", err
	}
	runs := make([]Run, len(slots))
	// A source's run is read on at most maxReads times a page, so a source
	// that keeps answering nothing new cannot hold the page.
	for reads := 0; len(entries) < n && reads <= maxReads; reads++ {
		for i, sl := range slots {
			runs[i] = sl.run
		}
		got, took, need := Merge(runs, n-len(entries))
		entries = append(entries, got...)
		for i, sl := range slots {
			if took[i] > 0 {
				sl.pos = sl.run.Entries[took[i]-1].resume
				sl.run.Entries = sl.run.Entries[took[i]:]
			}
		}
		if need < 0 {
			break
		}
		sl := slots[need]
		sl.pos = sl.run.Next
		run, err := sl.src.Read(ctx, sl.pos, n-len(entries))
		if err != nil {
			return nil, "", &sourceError{Source: sl.src.Name(), Err: err}
		}
		sl.run = run
	}
	for _, sl := range slots {
		switch {
		case len(sl.run.Entries) == 0 && !sl.run.More:
			nextCur[sl.src.Name()] = Done
		case len(sl.run.Entries) == 0:
			nextCur[sl.src.Name()] = sl.run.Next
		default:
			nextCur[sl.src.Name()] = sl.pos
		}
	}
	return entries, nextCur.Encode(), nil
}

// maxReads bounds how often one page reads a source on.
const maxReads = 16

// Positions in the services' cursor-paged lists: the list's own cursor of a
// page and how many of its entries were already shown ("3:<cursor>"), so
// a page of the timeline may end in the middle of a page of a source.

// pagePos is a position in a cursor-paged list.
type pagePos struct {
	Cursor string // the page's cursor, "" for the first page
	Skip   int    // entries of that page already shown
}

func (p pagePos) String() string { return strconv.Itoa(p.Skip) + ":" + p.Cursor }

// parsePagePos reads a position ("" is the first page).
func parsePagePos(s string) (pagePos, error) {
	if s == "" {
		return pagePos{}, nil
	}
	n, c, ok := strings.Cut(s, ":")
	skip, err := strconv.Atoi(n)
	if !ok || err != nil || skip < 0 || skip >= maxListLimit {
		return pagePos{}, errBadCursor
	}
	return pagePos{Cursor: c, Skip: skip}, nil
}

// maxListLimit is the largest page the services' lists answer.
const maxListLimit = 200

// limit is the page size to read at p when want entries are wanted: the
// entries already shown of that page and want more, at most a whole list
// page. A page's cursor marks where it starts, whatever its size, so a
// position stays valid for any limit above its skip, which this one is.
func (p pagePos) limit(want int) int { return min(p.Skip+max(want, 1), maxListLimit) }

// pageRun turns one page of a list, read at p with its next cursor, into a
// run: the entries after p's skip, each knowing where the list goes on
// after it.
func pageRun(p pagePos, entries []Entry, nextCursor string) Run {
	run := Run{More: nextCursor != "", Next: Done}
	if run.More {
		run.Next = pagePos{Cursor: nextCursor}.String()
	}
	for i := p.Skip; i < len(entries); i++ {
		e := entries[i]
		if i+1 < len(entries) {
			e.resume = pagePos{Cursor: p.Cursor, Skip: i + 1}.String()
		} else {
			e.resume = run.Next
		}
		run.Entries = append(run.Entries, e)
	}
	return run
}
