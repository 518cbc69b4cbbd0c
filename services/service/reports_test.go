package service_test

import (
	"math"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// A service manager's report shows their teams' cases — opened, closed,
// SLA targets met and breached, the business time to first response and to
// resolution, satisfaction, the backlog — per team, priority, type or week;
// other teams' managers see none of it, and figures follow a case that
// moves to another team.
func TestServiceReport(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN)
			cust := s.customerOf(repAna)
			file := func(team, typ string) string {
				return s.file(repAna, complaint(cust, map[string]any{"team": team, "type": typ}))["id"].(string)
			}
			now := time.Now().UTC()
			min := func(n int) int64 { return int64(n) * 60_000 }
			// Team service: five cases.
			s1, s2, s3 := file("service", "complaint"), file("service", "repair"), file("service", "request")
			s4, s5 := file("service", "consultation"), file("service", "complaint")
			w1 := file("service-west", "returns")
			// First responses: s1 in 20 min, s2 in 40, s5 in 60; s3 breached,
			// then answered after 3 hours; w1 in 10.
			s.slaRow(s1, domain.TargetFirstResponse, domain.SLAMet, &now, nil, min(20))
			s.slaRow(s2, domain.TargetFirstResponse, domain.SLAMet, &now, nil, min(40))
			s.slaRow(s5, domain.TargetFirstResponse, domain.SLAMet, &now, nil, min(60))
			s.slaRow(s3, domain.TargetFirstResponse, domain.SLABreached, &now, &now, min(180))
			s.slaRow(w1, domain.TargetFirstResponse, domain.SLAMet, &now, nil, min(10))
			// Resolutions: s1 in 5 hours, s5 in 2; s2's is breached and runs on.
			s.slaRow(s1, domain.TargetResolution, domain.SLAMet, &now, nil, min(300))
			s.slaRow(s5, domain.TargetResolution, domain.SLAMet, &now, nil, min(120))
			s.slaRow(s2, domain.TargetResolution, domain.SLABreached, nil, &now, 0)
			s.slaRow(s4, domain.TargetFirstResponse, domain.SLARunning, nil, nil, 0)
			// s3 becomes P1; s1, s5 and w1 are resolved and closed.
			s.change(s3, func(c domain.Case) (domain.Case, []domain.Entry, error) {
				return domain.Reprioritize(c, domain.P1, "the only crane on site", svcSue, time.Now())
			})
			for _, id := range []string{s1, s5, w1} {
				s.change(id, func(c domain.Case) (domain.Case, []domain.Entry, error) {
					c, es, _, err := domain.Reply(c, domain.Message{Direction: domain.Outbound, Body: "Fixed on site.", Actor: svcSam}, time.Now())
					if err != nil {
						return c, nil, err
					}
					c, more, _, err := domain.ChangeState(c, domain.StateChange{To: domain.StateResolved, Reason: "fixed", Actor: svcSam}, time.Now())
					if err != nil {
						return c, nil, err
					}
					c, closing, err := domain.AutoClose(c, 0, time.Now())
					return c, slices.Concat(es, more, closing), err
				})
			}
			// Surveys: s1 5/10, s5 3/9, w1 2/5; s2's is not answered.
			s.surveyAnswer(s1, &now, valueRef(5), valueRef(10))
			s.surveyAnswer(s5, &now, valueRef(3), valueRef(9))
			s.surveyAnswer(w1, &now, valueRef(2), valueRef(5))
			s.surveyAnswer(s2, nil, nil, nil)

			day := func(d int) string { return now.AddDate(0, 0, d).Format(time.DateOnly) }
			span := "from=" + day(-14) + "&to=" + day(7)
			near := func(got *int64, want int64) bool {
				return got != nil && math.Abs(float64(*got-want)) <= domain.PercentileError*float64(want)
			}

			// Sue manages team service: her report is team service's.
			for _, who := range []string{svcSue, svcSam} {
				rep := s.serviceReport(who, span)
				if !slices.Equal(rowKeys(rep), []string{"service"}) || rep.Scope.AllTeams || !slices.Equal(rep.Scope.Teams, []string{"service"}) {
					t.Fatalf("%s: rows %v, scope %+v", who, rowKeys(rep), rep.Scope)
				}
				r := s.reportRow(rep, "service")
				if r.Opened != 5 || r.Closed != 2 {
					t.Errorf("%s: opened %d, closed %d; want 5, 2", who, r.Opened, r.Closed)
				}
				fr, res := r.FirstResponse, r.Resolution
				if fr.Met != 3 || fr.Breached != 1 || *fr.MetShare != 0.75 || fr.Timed != 4 || !near(fr.MedianMS, min(40)) || !near(fr.P90MS, min(180)) {
					t.Errorf("%s: first response %+v (median %v, p90 %v)", who, fr, *fr.MedianMS, *fr.P90MS)
				}
				if res.Met != 2 || res.Breached != 1 || math.Abs(*res.MetShare-2.0/3) > 1e-9 || res.Timed != 2 || !near(res.MedianMS, min(120)) || !near(res.P90MS, min(300)) {
					t.Errorf("%s: resolution %+v", who, res)
				}
				if r.CSAT.Answers != 2 || r.CSAT.Satisfied != 1 || *r.CSAT.Share != 0.5 || r.NPS.Answers != 2 || r.NPS.Promoters != 2 || *r.NPS.Score != 100 {
					t.Errorf("%s: csat %+v, nps %+v", who, r.CSAT, r.NPS)
				}
				if r.Backlog == nil || r.Backlog.Total != 3 || r.Backlog.Under1d != 3 {
					t.Errorf("%s: backlog %+v", who, r.Backlog)
				}
				if rep.Total.Opened != 5 || rep.Total.Backlog.Total != 3 || rep.Total.Label != "total" {
					t.Errorf("%s: total %+v", who, rep.Total)
				}
			}
			// Wes manages service-west: one case, a detractor's survey.
			west := s.reportRow(s.serviceReport(mgrWes, span), "service-west")
			if west.Opened != 1 || west.Closed != 1 || *west.CSAT.Share != 0 || *west.NPS.Score != -100 || west.Backlog.Total != 0 {
				t.Errorf("west: %+v", west)
			}
			// Another team's figures are not Wes's: empty, never 403 or 404.
			other := s.serviceReport(mgrWes, span+"&team=service")
			if len(other.Rows) != 0 || other.Total.Opened != 0 || other.Total.FirstResponse.MetShare != nil || other.Total.Backlog.Total != 0 {
				t.Errorf("service as Wes: %+v", other)
			}
			// Ana (a sales rep of north) reads these cases through their
			// customer, but they are not her team's: nothing to report.
			if ana := s.serviceReport(repAna, span); !slices.Equal(rowKeys(ana), []string{"north"}) || ana.Total.Opened != 0 {
				t.Errorf("Ana: %v %+v", rowKeys(ana), ana.Total)
			}
			// The analyst reads every team; the total is theirs together.
			all := s.serviceReport(analyst, span)
			if !slices.Equal(rowKeys(all), []string{"service", "service-west"}) || all.Total.Opened != 6 || all.Total.FirstResponse.Met != 4 ||
				all.Total.CSAT.Answers != 3 || math.Abs(*all.Total.NPS.Score-100.0/3) > 1e-9 || !all.Scope.AllTeams {
				t.Errorf("analyst: %v %+v", rowKeys(all), all.Total)
			}
			// By priority: every priority, s3 under P1 since it moved there.
			byPrio := s.serviceReport(svcSue, span+"&group=priority")
			if !slices.Equal(rowKeys(byPrio), domain.Priorities) || s.reportRow(byPrio, "P1").Opened != 1 || s.reportRow(byPrio, "P1").FirstResponse.Breached != 1 ||
				s.reportRow(byPrio, "P2").Opened != 3 || s.reportRow(byPrio, "P3").Opened != 0 || s.reportRow(byPrio, "P4").Backlog.Total != 1 {
				t.Errorf("by priority: %+v", byPrio.Rows)
			}
			// By type, complaints only.
			if byType := s.serviceReport(svcSue, span+"&group=type&type=complaint"); !slices.Equal(rowKeys(byType), []string{"complaint"}) ||
				byType.Rows[0].Opened != 2 || byType.Total.Opened != 2 {
				t.Errorf("complaints: %+v", byType.Rows)
			}
			// By week: every ISO week of the range, this one holding it all.
			byWeek := s.serviceReport(admin, span+"&group=week")
			if got, want := rowKeys(byWeek), domain.Weeks(domain.WeekOf(now.AddDate(0, 0, -14)), domain.WeekOf(now.AddDate(0, 0, 7))); !slices.Equal(got, want) {
				t.Errorf("weeks %v, want %v", got, want)
			}
			this := s.reportRow(byWeek, domain.WeekOf(now))
			if this.Opened != 6 || this.Backlog != nil || byWeek.Total.Backlog.Total != 3 || this.Label != domain.WeekLabel(domain.WeekOf(now)) {
				t.Errorf("this week %+v, total backlog %+v", this, byWeek.Total.Backlog)
			}
			if byWeek.CoversFrom != domain.WeekOf(now.AddDate(0, 0, -14)) || byWeek.From != day(-14) {
				t.Errorf("covers %s–%s for %s–%s", byWeek.CoversFrom, byWeek.CoversTo, byWeek.From, byWeek.To)
			}
			// A range before the cases: zeros.
			if past := s.serviceReport(svcSue, "from="+day(-60)+"&to="+day(-30)); s.reportRow(past, "service").Opened != 0 || s.reportRow(past, "service").Backlog.Total != 3 {
				t.Errorf("before the cases: %+v", past.Rows)
			}

			// s4 moves to service-west: its figures go with it.
			s.change(s4, func(c domain.Case) (domain.Case, []domain.Entry, error) {
				return domain.Assign(c, domain.Assignment{AssigneeID: svcOz, Team: "service-west"}, admin, time.Now())
			})
			if r := s.reportRow(s.serviceReport(svcSue, span), "service"); r.Opened != 4 || r.Backlog.Total != 2 {
				t.Errorf("service after the move: opened %d, backlog %+v", r.Opened, r.Backlog)
			}
			if r := s.reportRow(s.serviceReport(mgrWes, span), "service-west"); r.Opened != 2 || r.Backlog.Total != 1 {
				t.Errorf("west after the move: opened %d, backlog %+v", r.Opened, r.Backlog)
			}
		})
	}
}

// Bad parameters are 400 invalid_query naming the parameter; without a
// token nothing is answered.
func TestServiceReportBadQuery(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN)
			for _, q := range []struct{ query, field string }{
				{"to=2026-05-31", "from"},
				{"from=2026-05-01", "to"},
				{"from=2026-05-01&to=31.05.2026", "to"},
				{"from=2026-02-30&to=2026-05-31", "from"},
				{"from=2026-05-31&to=2026-05-01", "to"},
				{"from=2026-01-01&to=2027-01-02", "to"}, // 367 days
				{"from=2026-05-01&to=2026-05-31&group=month", "group"},
				{"from=2026-05-01&to=2026-05-31&priority=P9", "priority"},
				{"from=2026-05-01&to=2026-05-31&type=praise", "type"},
			} {
				r := s.api("GET", "/v1/reports/service?"+q.query, svcSue, nil)
				if _, ok := r.fields(t)[q.field]; r.status != http.StatusBadRequest || r.code(t) != "invalid_query" || !ok {
					t.Errorf("?%s: %d %s, want 400 invalid_query on %s", q.query, r.status, r.body, q.field)
				}
			}
			if r := s.api("GET", "/v1/reports/service?from=2026-01-01&to=2027-01-01", svcSue, nil); r.status != http.StatusOK {
				t.Errorf("366 days: %d %s", r.status, r.body)
			}
			if r := s.api("GET", "/v1/reports/service?from=2026-05-01&to=2026-05-31", "", nil); r.status != http.StatusUnauthorized {
				t.Errorf("no token: %d", r.status)
			}
		})
	}
}
