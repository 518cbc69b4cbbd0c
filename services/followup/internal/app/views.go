// The managers' views of follow-ups: keyset pages of overdue and open
// follow-ups, and the overdue counts per owner, team and lateness bucket.

package app

import (
	"context"
	"sort"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// Cursor is a keyset position in a follow-up list.
type Cursor struct {
	Due time.Time `json:"d"`
	ID  string    `json:"i"`
	At  time.Time `json:"a,omitzero"` // overdue lists: the instant lateness is measured at
}

// Page is a page of follow-ups.
type Page struct {
	Items      []View `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func keyset(c *Cursor) *store.Keyset {
	if c == nil {
		return nil
	}
	return &store.Keyset{Due: c.Due, ID: c.ID}
}

// Overdue lists overdue follow-ups, most late first. Pages measure lateness
// at the instant of the first page, so paging never skips or repeats.
func (s *FollowUps) Overdue(ctx context.Context, f domain.Filter, after *Cursor, limit int, encode func(any) string) (Page, error) {
	p, err := auth.Authorize(ctx, auth.PermFollowupsRead)
	if err != nil {
		return Page{}, err
	}
	if err := f.Check(true); err != nil {
		return Page{}, err
	}
	at := now()
	if after != nil && !after.At.IsZero() {
		at = after.At
	}
	rows, err := s.store.Overdue(ctx, p.Scope(), f, at, keyset(after), limit+1)
	if err != nil {
		return Page{}, err
	}
	return s.page(rows, limit, at, encode), nil
}

// List lists follow-ups in scope (open ones by default), soonest due first.
func (s *FollowUps) List(ctx context.Context, f domain.Filter, after *Cursor, limit int, encode func(any) string) (Page, error) {
	p, err := auth.Authorize(ctx, auth.PermFollowupsRead)
	if err != nil {
		return Page{}, err
	}
	if err := f.Check(false); err != nil {
		return Page{}, err
	}
	rows, err := s.store.List(ctx, p.Scope(), f, keyset(after), limit+1)
	if err != nil {
		return Page{}, err
	}
	return s.page(rows, limit, now(), encode), nil
}

// page turns up to limit+1 rows into a page of views (lateness measured at
// at) with the cursor of the last one shown when more follow.
func (s *FollowUps) page(rows []domain.FollowUp, limit int, at time.Time, encode func(any) string) Page {
	out := Page{Items: make([]View, 0, min(len(rows), limit))}
	for i, r := range rows {
		if i == limit {
			last := rows[limit-1]
			out.NextCursor = encode(Cursor{Due: last.DueAt, ID: last.ID, At: at})
			break
		}
		out.Items = append(out.Items, s.view(r, at))
	}
	return out
}

// Count is a number of overdue follow-ups with the oldest due time.
type Count struct {
	Team        string    `json:"team,omitempty"`
	OwnerID     string    `json:"owner_id,omitempty"`
	Overdue     int64     `json:"overdue"`
	Escalated   int64     `json:"escalated"`
	OldestDueAt time.Time `json:"oldest_due_at"`
}

// Counts summarises overdue follow-ups per owner, per team and per lateness bucket.
type Counts struct {
	At         time.Time        `json:"at"`
	Total      int64            `json:"total"`
	ByTeam     []Count          `json:"by_team"`
	ByOwner    []Count          `json:"by_owner"`
	ByLateness map[string]int64 `json:"by_lateness"`
}

// OverdueCounts counts overdue follow-ups in scope matching f.
func (s *FollowUps) OverdueCounts(ctx context.Context, f domain.Filter) (Counts, error) {
	p, err := auth.Authorize(ctx, auth.PermFollowupsRead)
	if err != nil {
		return Counts{}, err
	}
	if err := f.Check(true); err != nil {
		return Counts{}, err
	}
	at := now()
	groups, err := s.store.OverdueGroups(ctx, p.Scope(), f, at)
	if err != nil {
		return Counts{}, err
	}
	c := Counts{At: at, ByTeam: []Count{}, ByOwner: []Count{}, ByLateness: map[string]int64{}}
	for _, b := range domain.LatenessBuckets() {
		c.ByLateness[b] = 0
	}
	teams := map[string]*Count{}
	for _, g := range groups {
		c.Total += g.Overdue
		c.ByOwner = append(c.ByOwner, Count{Team: g.Team, OwnerID: g.OwnerID, Overdue: g.Overdue, Escalated: g.Escalated, OldestDueAt: g.Oldest})
		t := teams[g.Team]
		if t == nil {
			t = &Count{Team: g.Team, OldestDueAt: g.Oldest}
			teams[g.Team] = t
		}
		t.Overdue += g.Overdue
		t.Escalated += g.Escalated
		if g.Oldest.Before(t.OldestDueAt) {
			t.OldestDueAt = g.Oldest
		}
		for b, n := range g.ByLateness {
			c.ByLateness[b] += n
		}
	}
	for _, t := range teams {
		c.ByTeam = append(c.ByTeam, *t)
	}
	sort.Slice(c.ByTeam, func(i, j int) bool {
		if c.ByTeam[i].Overdue != c.ByTeam[j].Overdue {
			return c.ByTeam[i].Overdue > c.ByTeam[j].Overdue
		}
		return c.ByTeam[i].Team < c.ByTeam[j].Team
	})
	sort.Slice(c.ByOwner, func(i, j int) bool {
		if c.ByOwner[i].Overdue != c.ByOwner[j].Overdue {
			return c.ByOwner[i].Overdue > c.ByOwner[j].Overdue
		}
		return c.ByOwner[i].OwnerID < c.ByOwner[j].OwnerID
	})
	return c, nil
}
