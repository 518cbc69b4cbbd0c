package ports

import (
	"strings"

	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// reportOps documents ReportsHTTP's routes: OpenAPI adds them with
// Add(reportOps()...).
func reportOps() []openapi.Op {
	return []openapi.Op{
		{Method: "GET", Path: "/v1/reports/service", Tag: "reports", Summary: "Service report: cases, SLA, satisfaction and backlog by team, priority, type or week",
			Description: "For service managers, over the cases of the teams you work (reps and managers: your teams; analysts and admins: " +
				"every team). Cases you read only through their customer, and your own cases in another team, count in that team's " +
				"report, not yours. A team filter outside your teams gives an empty report, as a list does.\n\n" +
				"Figures are kept per ISO week in UTC (Monday to Sunday), so the report covers the whole weeks holding from and to " +
				"(covers_from, covers_to). Each figure counts under the case's team, priority and type as they are now, in the week " +
				"it happened: opened (created_at), closed (closed_at), SLA targets met by their due time or breached (decided in the " +
				"week; met_share = met / (met + breached)), median and p90 business time to first response and to resolution (of " +
				"the targets met in the week, late ones too; nearest rank, estimated from log-spaced buckets, at most " +
				"percentile_error off), CSAT (share of answers scoring 4–5) and NPS (% promoters 9–10 − % detractors 0–6) of the " +
				"surveys answered in the week. backlog is today's cases not resolved or closed, by age (null in week rows).\n\n" +
				"A bad parameter is 400 invalid_query naming it (from and to are dates, to not before from, at most 366 days).",
			Params: []openapi.Param{
				{Name: "from", In: "query", Required: true, Description: "first day, YYYY-MM-DD (UTC)"},
				{Name: "to", In: "query", Required: true, Description: "last day, YYYY-MM-DD (UTC), at most 365 days after from"},
				{Name: "group", In: "query", Enum: domain.Groups, Description: "rows per " + strings.Join(domain.Groups, ", ") + " (default team)"},
				{Name: "team", In: "query", Description: "only this team's cases"},
				{Name: "priority", In: "query", Enum: domain.Priorities},
				{Name: "type", In: "query", Enum: domain.Types},
			},
			Response: app.ServiceReport{}, Errors: []int{400}},
	}
}
