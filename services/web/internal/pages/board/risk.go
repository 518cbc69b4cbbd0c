package board

import (
	"time"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/serviceapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// riskSize is how many at-risk cases the board lists.
const riskSize = 20

// Risk is a service case at risk: still being worked, a target past its
// warning point and not met yet — not overdue (the list shows those, as the
// follow-ups chasing them), but about to be.
type Risk struct {
	ID, Subject, Team, Assignee, Priority string
	// Target: first_response or resolution; Due: its deadline.
	Target string
	Due    *time.Time
}

// loadRisk fills the at-risk cases in the caller's sight (the service's
// scope), of the board's team when it filters one, soonest due first. A
// failure shows its problem in place: the overdue list does not depend on it.
func (h *handler) loadRisk(r *console.Request, b *boardData) {
	limit, sla := 200, serviceapi.AtRisk
	params := &serviceapi.GetCasesParams{Sla: &sla, Limit: &limit}
	if b.Filter.Team != "" {
		params.Team = &b.Filter.Team
	}
	res, err := r.API.Service.GetCasesWithResponse(r.Ctx(), params)
	if err := apis.Check(res, err); err != nil {
		b.RiskProblem = r.X.ProblemOf(err)
		return
	}
	var out []Risk
	for _, c := range list(res.JSON200.Items) {
		rk := Risk{ID: str(c.Id), Subject: str(c.Subject), Team: str(c.Team), Assignee: str(c.AssigneeId), Priority: str(c.Priority)}
		for _, s := range list(c.Sla) {
			if s.AtRisk != nil && *s.AtRisk && s.DueAt != nil && (rk.Due == nil || s.DueAt.Before(*rk.Due)) {
				rk.Target, rk.Due = str(s.Target), s.DueAt
			}
		}
		if rk.Due != nil {
			out = append(out, rk)
		}
	}
	sortRisks(out)
	if len(out) > riskSize {
		b.MoreRisks, out = len(out)-riskSize, out[:riskSize]
	}
	b.Risks = out
}

func sortRisks(rs []Risk) {
	for i := 1; i < len(rs); i++ { // few items: insertion sort keeps equal dues in list order
		for j := i; j > 0 && rs[j].Due.Before(*rs[j-1].Due); j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func list[T any](p *[]T) []T {
	if p == nil {
		return nil
	}
	return *p
}

// riskData is what the at-risk part needs besides the page's context.
type riskData struct {
	Risks       []Risk
	MoreRisks   int
	RiskProblem *view.Problem
}
