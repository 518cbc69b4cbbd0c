package domain_test

import (
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

func TestParseStatsQuery(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	for _, c := range []struct {
		name     string
		in       domain.StatsInput
		want     string
		from, to time.Time
		bucket   string
	}{
		{"dates in UTC, week by default", domain.StatsInput{From: "2026-03-02", To: "2026-04-01"}, "",
			time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), "week"},
		{"dates are midnight in tz", domain.StatsInput{From: "2026-03-02", To: "2026-04-01", TZ: "Asia/Shanghai", Bucket: "month"}, "",
			time.Date(2026, 3, 2, 0, 0, 0, 0, sh), time.Date(2026, 4, 1, 0, 0, 0, 0, sh), "month"},
		{"instants keep their offset", domain.StatsInput{From: "2026-03-02T00:00:00+08:00", To: "2026-03-09T12:00:00Z", TZ: "Europe/Berlin"}, "",
			time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC), "week"},
		{"three years exactly", domain.StatsInput{From: "2024-01-01", To: "2027-01-01"}, "",
			time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), "week"},
		{"nothing", domain.StatsInput{}, "from:required,to:required", time.Time{}, time.Time{}, ""},
		{"everything wrong", domain.StatsInput{From: "March", To: "2026-13-01", Bucket: "day", TZ: "Mars/Olympus"},
			"bucket:invalid,tz:invalid,from:invalid,to:invalid", time.Time{}, time.Time{}, ""},
		{"a bad zone makes dates meaningless, not invalid", domain.StatsInput{From: "2026-03-02", To: "2026-04-01", TZ: "Nowhere"}, "tz:invalid", time.Time{}, time.Time{}, ""},
		{"the server's zone is no zone", domain.StatsInput{From: "2026-03-02", To: "2026-04-01", TZ: "Local"}, "tz:invalid", time.Time{}, time.Time{}, ""},
		{"to before from", domain.StatsInput{From: "2026-04-01", To: "2026-03-01"}, "to:before_from", time.Time{}, time.Time{}, ""},
		{"an empty range", domain.StatsInput{From: "2026-04-01", To: "2026-04-01"}, "to:before_from", time.Time{}, time.Time{}, ""},
		{"over three years", domain.StatsInput{From: "2024-01-01", To: "2027-01-01T00:00:01Z"}, "to:out_of_range", time.Time{}, time.Time{}, ""},
		{"a list of teams", domain.StatsInput{From: "2026-03-02", To: "2026-04-01", Team: "north,south"}, "team:invalid", time.Time{}, time.Time{}, ""},
	} {
		q, err := domain.ParseStatsQuery(c.in)
		if got := fields(err); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
			continue
		}
		if err == nil && (!q.From.Equal(c.from) || !q.To.Equal(c.to) || q.Bucket != c.bucket) {
			t.Errorf("%s: %s – %s by %s", c.name, q.From, q.To, q.Bucket)
		}
	}
}

type span struct{ label, start, end string }

func periods(t *testing.T, in domain.StatsInput) []span {
	t.Helper()
	q, err := domain.ParseStatsQuery(in)
	if err != nil {
		t.Fatal(err)
	}
	var out []span
	for _, p := range q.Periods() {
		out = append(out, span{p.Label, p.Start.Format(time.RFC3339), p.End.Format(time.RFC3339)})
	}
	return out
}

func TestPeriods(t *testing.T) {
	for _, c := range []struct {
		name string
		in   domain.StatsInput
		want []span
	}{
		{"weeks start on Monday midnight in the zone; the first and last are cut to the range",
			domain.StatsInput{From: "2026-03-04", To: "2026-03-18T12:00:00+08:00", TZ: "Asia/Shanghai"}, []span{
				{"2026-W10", "2026-03-04T00:00:00+08:00", "2026-03-09T00:00:00+08:00"},
				{"2026-W11", "2026-03-09T00:00:00+08:00", "2026-03-16T00:00:00+08:00"},
				{"2026-W12", "2026-03-16T00:00:00+08:00", "2026-03-18T12:00:00+08:00"},
			}},
		{"a range starting on a Monday",
			domain.StatsInput{From: "2026-03-02", To: "2026-03-09"}, []span{
				{"2026-W10", "2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z"},
			}},
		{"ISO weeks across the new year",
			domain.StatsInput{From: "2025-12-29", To: "2026-01-12", Bucket: "week"}, []span{
				{"2026-W01", "2025-12-29T00:00:00Z", "2026-01-05T00:00:00Z"},
				{"2026-W02", "2026-01-05T00:00:00Z", "2026-01-12T00:00:00Z"},
			}},
		{"a week over the change to summer time is 167 hours long",
			domain.StatsInput{From: "2026-03-23", To: "2026-04-06", TZ: "Europe/Berlin"}, []span{
				{"2026-W13", "2026-03-23T00:00:00+01:00", "2026-03-30T00:00:00+02:00"},
				{"2026-W14", "2026-03-30T00:00:00+02:00", "2026-04-06T00:00:00+02:00"},
			}},
		{"months in the zone",
			domain.StatsInput{From: "2026-01-15", To: "2026-04-01", Bucket: "month", TZ: "America/New_York"}, []span{
				{"2026-01", "2026-01-15T00:00:00-05:00", "2026-02-01T00:00:00-05:00"},
				{"2026-02", "2026-02-01T00:00:00-05:00", "2026-03-01T00:00:00-05:00"},
				{"2026-03", "2026-03-01T00:00:00-05:00", "2026-04-01T00:00:00-04:00"},
			}},
		{"an instant range inside one month",
			domain.StatsInput{From: "2026-05-10T06:00:00Z", To: "2026-05-10T07:00:00Z", Bucket: "month"}, []span{
				{"2026-05", "2026-05-10T06:00:00Z", "2026-05-10T07:00:00Z"},
			}},
	} {
		got := periods(t, c.in)
		if len(got) != len(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: period %d is %v, want %v", c.name, i, got[i], c.want[i])
			}
		}
	}
	// Three years of weeks and of months: the most a query asks for.
	if n := len(periods(t, domain.StatsInput{From: "2024-01-03", To: "2027-01-03"})); n != 157 {
		t.Errorf("three years of weeks: %d periods", n)
	}
	if n := len(periods(t, domain.StatsInput{From: "2024-01-03", To: "2027-01-03", Bucket: "month"})); n != 37 {
		t.Errorf("three years of months: %d periods", n)
	}
}

func TestPeriodOf(t *testing.T) {
	q, _ := domain.ParseStatsQuery(domain.StatsInput{From: "2026-03-04", To: "2026-03-18", TZ: "Asia/Shanghai"})
	ps := q.Periods()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	monday := time.Date(2026, 3, 9, 0, 0, 0, 0, sh)
	for _, c := range []struct {
		at   time.Time
		want int
	}{
		{time.Date(2026, 3, 4, 0, 0, 0, 0, sh), 0},
		{time.Date(2026, 3, 3, 23, 59, 59, 0, sh), -1},
		{monday.Add(-time.Nanosecond), 0},
		{monday, 1},
		{monday.UTC(), 1}, // Sunday 16:00 in UTC is Monday in Shanghai
		{time.Date(2026, 3, 18, 0, 0, 0, 0, sh).Add(-time.Microsecond), 2},
		{time.Date(2026, 3, 18, 0, 0, 0, 0, sh), -1},
	} {
		if got := domain.PeriodOf(ps, c.at); got != c.want {
			t.Errorf("%s: period %d, want %d", c.at, got, c.want)
		}
	}
}

func TestOnTime(t *testing.T) {
	if !domain.OnTimeAt(due, due) || !domain.OnTimeAt(due.Add(-time.Microsecond), due) || domain.OnTimeAt(due.Add(time.Microsecond), due) {
		t.Fatal("on time means closed at or before the due time")
	}
	var c domain.OnTime
	if c.Share() != nil {
		t.Fatal("nothing closed has no share")
	}
	c.Add(domain.OnTime{Closed: 3, ClosedOnTime: 2, Done: 2, DoneOnTime: 2, Cancelled: 1})
	c.Add(domain.OnTime{Closed: 1, Done: 1})
	if s := c.Share(); s == nil || *s != 0.5 || c.Closed != 4 || c.Done != 3 || c.DoneOnTime != 2 || c.Cancelled != 1 {
		t.Fatalf("%+v share %v", c, s)
	}
}
