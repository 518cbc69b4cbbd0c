package domain

import (
	"fmt"
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

// On-time statistics for managers: of the follow-ups closed in a range, how
// many per team and period were closed by their due time (closed_at <=
// due_at). Periods are weeks (Monday 00:00) or calendar months in a time zone
// the caller names, so a week in Shanghai starts at Monday midnight there,
// whatever the offset or daylight-saving time.

// Stats buckets.
const (
	BucketWeek  = "week"
	BucketMonth = "month"
)

// MaxStatsRange is how far apart from and to may be: three years, that is at
// most 158 weeks or 37 months.
const MaxStatsRange = 3 // years

// StatsQuery is a validated request for on-time statistics.
type StatsQuery struct {
	From, To time.Time // [From, To), instants
	Bucket   string
	Loc      *time.Location
	Team     string // "" = every team in scope
}

// StatsInput is the raw request, as the query string carries it.
type StatsInput struct {
	From, To, Bucket, TZ, Team string
}

// ParseStatsQuery validates in: from and to are required, each a date
// (YYYY-MM-DD: midnight in tz) or an RFC 3339 instant, from before to and at
// most three years apart; bucket is week (default) or month; tz an IANA time
// zone name (default UTC). Every problem is a field error (422).
func ParseStatsQuery(in StatsInput) (StatsQuery, error) {
	var v apperr.Validation
	q := StatsQuery{Bucket: in.Bucket, Team: in.Team, Loc: time.UTC}
	if q.Bucket == "" {
		q.Bucket = BucketWeek
	}
	v.Check(q.Bucket == BucketWeek || q.Bucket == BucketMonth, "bucket", "invalid", "use week or month")
	tzOK := true
	if in.TZ != "" {
		loc, err := loadZone(in.TZ)
		if tzOK = v.Check(err == nil, "tz", "invalid", "an IANA time zone name, such as Asia/Shanghai or UTC"); tzOK {
			q.Loc = loc
		}
	}
	v.Check(len(in.Team) <= maxTeam && !strings.Contains(in.Team, ","), "team", "invalid", "a team name of at most 100 characters")
	instant := func(field, raw string) (time.Time, bool) {
		if !v.Check(raw != "", field, "required", "a date (2026-04-01, midnight in tz) or an RFC 3339 instant") {
			return time.Time{}, false
		}
		if t, err := time.Parse(time.RFC3339, raw); err == nil {
			return t.UTC(), true
		}
		if d, err := time.ParseInLocation(time.DateOnly, raw, q.Loc); err == nil {
			return d.UTC(), tzOK // a date means nothing without its zone
		}
		v.Add(field, "invalid", "a date (2026-04-01, midnight in tz) or an RFC 3339 instant such as 2026-04-01T00:00:00+08:00")
		return time.Time{}, false
	}
	from, okFrom := instant("from", in.From)
	to, okTo := instant("to", in.To)
	if okFrom && okTo {
		if v.Check(from.Before(to), "to", "before_from", "to must be after from") {
			v.Check(!to.After(from.In(q.Loc).AddDate(MaxStatsRange, 0, 0)), "to", "out_of_range", "at most three years after from")
		}
	}
	q.From, q.To = from, to
	if err := v.Err(); err != nil {
		return StatsQuery{}, err
	}
	return q, nil
}

// loadZone loads an IANA zone. "Local" is refused: it would mean the
// server's zone, which a caller cannot know.
func loadZone(name string) (*time.Location, error) {
	if name == "Local" || len(name) > 64 {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	return time.LoadLocation(name)
}

// Period is one bucket of the statistics: its label (2026-W14, 2026-04) and
// the part of it within the query's range, [Start, End).
type Period struct {
	Label      string
	Start, End time.Time
}

// bucketStart is the start of the week (Monday 00:00) or month that holds t,
// in t's location.
func bucketStart(t time.Time, bucket string) time.Time {
	y, m, d := t.Date()
	if bucket == BucketMonth {
		return time.Date(y, m, 1, 0, 0, 0, 0, t.Location())
	}
	back := (int(t.Weekday()) + 6) % 7 // days since Monday
	return time.Date(y, m, d-back, 0, 0, 0, 0, t.Location())
}

// nextBucket is the start of the bucket after the one starting at s.
func nextBucket(s time.Time, bucket string) time.Time {
	y, m, d := s.Date()
	if bucket == BucketMonth {
		return time.Date(y, m+1, 1, 0, 0, 0, 0, s.Location())
	}
	return time.Date(y, m, d+7, 0, 0, 0, 0, s.Location())
}

func label(s time.Time, bucket string) string {
	if bucket == BucketMonth {
		return s.Format("2006-01")
	}
	y, w := s.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// Periods are the query's buckets in order, each cut to [From, To): the
// first starts at From, the last ends at To. Starts and ends are in the
// query's zone.
func (q StatsQuery) Periods() []Period {
	from, to := q.From.In(q.Loc), q.To.In(q.Loc)
	var out []Period
	for s := bucketStart(from, q.Bucket); s.Before(to); s = nextBucket(s, q.Bucket) {
		e := nextBucket(s, q.Bucket)
		p := Period{Label: label(s, q.Bucket), Start: s, End: e}
		if p.Start.Before(from) {
			p.Start = from
		}
		if p.End.After(to) {
			p.End = to
		}
		out = append(out, p)
	}
	return out
}

// PeriodOf is the index of the period holding instant t, -1 when none does.
// The store computes the same with a CASE over the periods' ends; this is
// its reference, for tests.
func PeriodOf(ps []Period, t time.Time) int {
	for i, p := range ps {
		if !t.Before(p.Start) && t.Before(p.End) {
			return i
		}
	}
	return -1
}

// OnTime counts closed follow-ups: all of them, those closed by their due
// time, and the same for those done (cancelled ones are closed without the
// obligation being met).
type OnTime struct {
	Closed, ClosedOnTime int64
	Done, DoneOnTime     int64
	Cancelled            int64
}

// Add adds o's counts.
func (c *OnTime) Add(o OnTime) {
	c.Closed += o.Closed
	c.ClosedOnTime += o.ClosedOnTime
	c.Done += o.Done
	c.DoneOnTime += o.DoneOnTime
	c.Cancelled += o.Cancelled
}

// Share is ClosedOnTime / Closed, nil when nothing closed (no share, rather
// than 0 % or 100 %).
func (c OnTime) Share() *float64 {
	if c.Closed == 0 {
		return nil
	}
	s := float64(c.ClosedOnTime) / float64(c.Closed)
	return &s
}

// OnTimeAt says whether a follow-up closed at closedAt and due at dueAt was
// closed on time: at or before its due time.
func OnTimeAt(closedAt, dueAt time.Time) bool { return !closedAt.After(dueAt) }
