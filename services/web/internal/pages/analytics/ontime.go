package analytics

import (
	"fmt"
	"math"
	"time"

	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// Counts are the follow-ups closed in a period (or a whole range): all of
// them, those closed by their due time, done and cancelled; Share is
// OnTime/Closed (nil when nothing closed).
type Counts struct {
	Closed, OnTime, Done, DoneOnTime, Cancelled int
	Share                                       *float64
}

func countsOf(c *followupapi.OnTimeCounts) Counts {
	if c == nil {
		return Counts{}
	}
	return counts(c.Closed, c.ClosedOnTime, c.Done, c.DoneOnTime, c.Cancelled, c.OnTimeShare)
}

func counts(closed, onTime, done, doneOnTime, cancelled *int, share *float64) Counts {
	n := func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	}
	out := Counts{Closed: n(closed), OnTime: n(onTime), Done: n(done), DoneOnTime: n(doneOnTime), Cancelled: n(cancelled)}
	if share != nil && out.Closed > 0 {
		// The service rounds the share; the counts give it exactly.
		s := float64(out.OnTime) / float64(out.Closed)
		out.Share = &s
	}
	return out
}

// PeriodRow is one week or month of a team: its label, its first and last
// day in the user's time zone, and its counts.
type PeriodRow struct {
	Label       string
	First, Last time.Time
	// Days are the first and last day ("09-14 – 09-20") for a week, "" for a
	// month (its label says it).
	Days string
	Counts
}

// TeamOnTime is one team's chart and table.
type TeamOnTime struct {
	Team    string
	Chart   Chart
	Periods []PeriodRow
	Total   Counts
}

// OnTime is the page's on-time section: the range, one entry per team in
// the user's scope that closed a follow-up in it, and the sum.
type OnTime struct {
	Bucket   string
	From, To time.Time
	Last     time.Time // the range's last day (To is exclusive)
	Teams    []TeamOnTime
	Total    Counts
}

// onTimeOf turns the follow-up service's statistics into the section, its
// charts in x's language.
func onTimeOf(x *view.Ctx, st *followupapi.OnTimeStats, bucket string, from, to time.Time) *OnTime {
	out := &OnTime{Bucket: bucket, From: from, To: to, Last: to.Add(-time.Nanosecond)}
	if st == nil {
		return out
	}
	out.Total = countsOf(st.Total)
	if st.Teams == nil {
		return out
	}
	unit := x.T("analytics.bucket." + bucket)
	for i, tm := range *st.Teams {
		t := TeamOnTime{Team: view.Str(tm.Team), Total: countsOf(tm.Total)}
		var cats []Category
		if tm.Periods != nil {
			for _, p := range *tm.Periods {
				row := PeriodRow{Label: view.Str(p.Label), Counts: counts(p.Closed, p.ClosedOnTime, p.Done, p.DoneOnTime, p.Cancelled, p.OnTimeShare)}
				short := ""
				if p.Start != nil && p.End != nil {
					row.First, row.Last = p.Start.In(x.TZ), p.End.In(x.TZ).Add(-time.Nanosecond)
					if bucket == "week" {
						short = row.First.Format("01-02")
						row.Days = short + " – " + row.Last.Format("01-02")
					}
				}
				t.Periods = append(t.Periods, row)
				cats = append(cats, Category{Label: row.Label, Short: short, Values: []float64{float64(row.Closed), float64(row.OnTime)}, Share: row.Share})
			}
		}
		share := x.T("analytics.none")
		if t.Total.Share != nil {
			share = x.Percent(*t.Total.Share)
		}
		t.Chart = Bars(BarSpec{
			ID:    fmt.Sprintf("ontime-%d", i),
			Title: x.T("analytics.ontime.chart_title", "Team", t.Team, "Unit", unit),
			Desc: x.T("analytics.ontime.chart_desc", "Team", t.Team, "Count", t.Total.Closed, "Closed", x.Num(t.Total.Closed),
				"OnTime", x.Num(t.Total.OnTime), "Share", share, "Periods", len(cats), "Unit", unit),
			Empty:      x.T("analytics.ontime.empty_team", "Team", t.Team),
			Categories: cats,
			Series:     []Series{{Class: "bar2", Label: x.T("analytics.ontime.closed")}, {Class: "bar", Label: x.T("analytics.ontime.on_time")}},
			ShareLine:  &Series{Class: "line", Label: x.T("analytics.ontime.share")},
			Num:        func(v float64) string { return x.Num(v) },
			Pct:        x.Percent,
			AxisPct:    axisPercent(x),
		})
		out.Teams = append(out.Teams, t)
	}
	return out
}

// axisPercent formats an axis's round share (0, 25 %, …) without decimals.
func axisPercent(x *view.Ctx) Fmt {
	return func(v float64) string { return x.Num(math.Round(100*v)) + "%" }
}
