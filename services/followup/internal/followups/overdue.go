// The managers' views of follow-ups: filters, keyset pages of overdue and open
// follow-ups, and the overdue counts per owner, team and lateness bucket.

package followups

import (
	"context"
	"database/sql/driver"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/followup/internal/adapters"
	"github.com/closeloop/closeloop/workflows/policy"
)

// Filter narrows follow-up lists.
type Filter struct {
	Team, OwnerID, Kind, Territory, CustomerID string
	Lateness                                   string // overdue lists only
	State                                      string // "open" (default), "closed", "all"; plain lists only
}

func (f Filter) check(overdue bool) error {
	var v apperr.Validation
	if f.Kind != "" {
		_, ok := policy.LookupKind(f.Kind)
		v.Check(ok, "kind", "invalid", "unknown follow-up kind")
	}
	if overdue && f.Lateness != "" {
		v.Check(slices.Contains(LatenessBuckets(), f.Lateness), "lateness", "invalid", "use one of "+strings.Join(LatenessBuckets(), ", "))
	}
	if !overdue {
		v.Check(f.State == "" || f.State == "open" || f.State == "closed" || f.State == "all", "state", "invalid", "use open, closed or all")
	}
	for name, val := range map[string]string{"team": f.Team, "owner_id": f.OwnerID, "territory": f.Territory, "customer_id": f.CustomerID} {
		v.Check(len(val) <= 200, name, "too_long", "at most 200 characters")
	}
	return v.Err()
}

func (f Filter) apply(q *gorm.DB) *gorm.DB {
	if f.Team != "" {
		q = q.Where("team = ?", f.Team)
	}
	if f.OwnerID != "" {
		q = q.Where("owner_id = ?", f.OwnerID)
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if f.Territory != "" {
		q = q.Where("territory = ?", f.Territory)
	}
	if f.CustomerID != "" {
		q = q.Where("customer_id = ?", f.CustomerID)
	}
	return q
}

// overdueQuery is the open, overdue follow-ups in the caller's scope that
// match f at instant at: a range over the partial index of open rows.
func (s *Service) overdueQuery(ctx context.Context, scope auth.Scope, f Filter, at time.Time) *gorm.DB {
	q := s.db.WithContext(ctx).Model(&Row{}).Where("closed_at IS NULL AND due_at < ?", at)
	q = f.apply(adapters.Scoped(q, scope, ""))
	for _, b := range buckets {
		if b.Name == f.Lateness {
			q = q.Where("due_at < ?", at.Add(-b.From))
			if b.To != 0 {
				q = q.Where("due_at >= ?", at.Add(-b.To))
			}
		}
	}
	return q
}

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

// Overdue lists overdue follow-ups, most late first. Pages measure lateness
// at the instant of the first page, so paging never skips or repeats.
func (s *Service) Overdue(ctx context.Context, f Filter, after *Cursor, limit int, encode func(any) string) (Page, error) {
	p, err := auth.Authorize(ctx, auth.PermFollowupsRead)
	if err != nil {
		return Page{}, err
	}
	if err := f.check(true); err != nil {
		return Page{}, err
	}
	at := now()
	q := s.overdueQuery(ctx, p.Scope(), f, at)
	if after != nil {
		if !after.At.IsZero() {
			at = after.At
			q = s.overdueQuery(ctx, p.Scope(), f, at)
		}
		q = q.Where("(due_at, id) > (?, ?)", after.Due, after.ID)
	}
	return s.page(q, limit, at, encode)
}

func (s *Service) page(q *gorm.DB, limit int, at time.Time, encode func(any) string) (Page, error) {
	var rows []Row
	if err := q.Order("due_at, id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return Page{}, err
	}
	out := Page{Items: make([]View, 0, min(len(rows), limit))}
	for i, r := range rows {
		if i == limit {
			last := rows[limit-1]
			out.NextCursor = encode(Cursor{Due: last.DueAt, ID: last.ID, At: at})
			break
		}
		out.Items = append(out.Items, s.view(r, at))
	}
	return out, nil
}

// List lists follow-ups in scope (open ones by default), soonest due first.
func (s *Service) List(ctx context.Context, f Filter, after *Cursor, limit int, encode func(any) string) (Page, error) {
	p, err := auth.Authorize(ctx, auth.PermFollowupsRead)
	if err != nil {
		return Page{}, err
	}
	if err := f.check(false); err != nil {
		return Page{}, err
	}
	q := f.apply(adapters.Scoped(s.db.WithContext(ctx).Model(&Row{}), p.Scope(), ""))
	switch f.State {
	case "", "open":
		q = q.Where("closed_at IS NULL")
	case "closed":
		q = q.Where("closed_at IS NOT NULL")
	}
	if after != nil {
		q = q.Where("(due_at, id) > (?, ?)", after.Due, after.ID)
	}
	return s.page(q, limit, now(), encode)
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
func (s *Service) OverdueCounts(ctx context.Context, f Filter) (Counts, error) {
	p, err := auth.Authorize(ctx, auth.PermFollowupsRead)
	if err != nil {
		return Counts{}, err
	}
	if err := f.check(true); err != nil {
		return Counts{}, err
	}
	at := now()
	var rows []struct {
		Team, OwnerID string
		N, Escalated  int64
		Oldest        dbTime
		B1, B2, B3    int64
	}
	d1, d3, d7 := at.Add(-24*time.Hour), at.Add(-72*time.Hour), at.Add(-168*time.Hour)
	err = s.overdueQuery(ctx, p.Scope(), f, at).
		Select(`team, owner_id, COUNT(*) AS n, SUM(CASE WHEN state = 'escalated' THEN 1 ELSE 0 END) AS escalated, MIN(due_at) AS oldest,
			SUM(CASE WHEN due_at >= ? THEN 1 ELSE 0 END) AS b1,
			SUM(CASE WHEN due_at < ? AND due_at >= ? THEN 1 ELSE 0 END) AS b2,
			SUM(CASE WHEN due_at < ? AND due_at >= ? THEN 1 ELSE 0 END) AS b3`, d1, d1, d3, d3, d7).
		Group("team, owner_id").Scan(&rows).Error
	if err != nil {
		return Counts{}, err
	}
	c := Counts{At: at, ByTeam: []Count{}, ByOwner: []Count{}, ByLateness: map[string]int64{}}
	for _, b := range LatenessBuckets() {
		c.ByLateness[b] = 0
	}
	teams := map[string]*Count{}
	for _, r := range rows {
		c.Total += r.N
		c.ByOwner = append(c.ByOwner, Count{Team: r.Team, OwnerID: r.OwnerID, Overdue: r.N, Escalated: r.Escalated, OldestDueAt: r.Oldest.T})
		t := teams[r.Team]
		if t == nil {
			t = &Count{Team: r.Team, OldestDueAt: r.Oldest.T}
			teams[r.Team] = t
		}
		t.Overdue += r.N
		t.Escalated += r.Escalated
		if r.Oldest.T.Before(t.OldestDueAt) {
			t.OldestDueAt = r.Oldest.T
		}
		c.ByLateness["under_1d"] += r.B1
		c.ByLateness["1d_3d"] += r.B2
		c.ByLateness["3d_7d"] += r.B3
		c.ByLateness["over_7d"] += r.N - r.B1 - r.B2 - r.B3
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

// dbTime scans an aggregate over a timestamp column: a time on PostgreSQL,
// text on SQLite.
type dbTime struct{ T time.Time }

// Scan implements sql.Scanner.
func (d *dbTime) Scan(v any) error {
	switch x := v.(type) {
	case time.Time:
		d.T = x.UTC()
		return nil
	case string:
		return d.parse(x)
	case []byte:
		return d.parse(string(x))
	case nil:
		d.T = time.Time{}
		return nil
	}
	return fmt.Errorf("followups: cannot scan %T as a time", v)
}

func (d *dbTime) parse(s string) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			d.T = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("followups: cannot parse time %q", s)
}

// Value implements driver.Valuer (gorm needs both halves).
func (d dbTime) Value() (driver.Value, error) { return d.T, nil }
