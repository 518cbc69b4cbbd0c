package ports

import (
	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/services/service/internal/app"
)

// surveyOps are the surveys' authenticated operations, for the service's
// OpenAPI document: OpenAPI() adds them with Add(surveyOps()...). The public
// survey link (/surveys/{token}, /public/v1/surveys/{token}) needs no token
// and is described in docs/satisfaction.md.
func surveyOps() []openapi.Op {
	return []openapi.Op{
		{Method: "GET", Path: "/v1/cases/:id/survey", Tag: "surveys", Summary: "A case's satisfaction survey",
			Description: "For whoever sees the case (404 case_not_found otherwise, as for the case). state: not_closed, pending (closed; " +
				"the survey delay runs), skipped (skip_reason: closed_by_customer, follow_on_surveyed, not_sampled), open (sent, not " +
				"answered), answered or expired. With the scores and comment once answered, and the recovery call a low score opened. " +
				"Never the survey's link.",
			Params: []openapi.Param{caseParam}, Response: app.CaseSurveyView{}, Errors: []int{404}},
		{Method: "GET", Path: "/v1/customers/:customerId/satisfaction", Tag: "surveys", Summary: "A customer's satisfaction history and loyalty level",
			Description: "items: the answered surveys of the customer's cases you see, newest answer first (pages follow next_cursor). " +
				"summary and loyalty: the customer's, over all its cases — shown when you see at least one of its cases, else empty " +
				"(level unknown), as the customer's case list is. The loyalty level (unknown, at_risk, neutral, loyal, advocate) comes " +
				"with the rule that decided it and its inputs (docs/satisfaction.md). 400 invalid_customer_id for an id of another shape.",
			Params:   []openapi.Param{{Name: "customerId", In: "path", Description: "customer id"}, limitParam, cursorParam},
			Response: app.SatisfactionView{}, Errors: []int{400}},
	}
}
