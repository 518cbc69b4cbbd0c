package customer360

import (
	"context"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/serviceapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// answersLimit is how many of the customer's newest survey answers the
// page shows.
const answersLimit = 5

// satisfactionData is the customer's satisfaction as the after-sales
// service answers it (GET /v1/customers/{id}/satisfaction): its summary
// and loyalty level, the customer's over all its cases, and its newest
// answers on the cases the user sees. A user who sees none of its cases is
// told as little as one whose customer was never surveyed.
type satisfactionData struct {
	Summary serviceapi.SatisfactionSummary
	Inputs  serviceapi.LoyaltyInputs
	Level   string
	// Why says, in the user's language, what decided the level.
	Why string
	// RecentCSAT, Tenure and NPSFrom are the inputs and the NPS score's
	// count in words ("" when there is none).
	RecentCSAT, Tenure, NPSFrom string
	Answers                     []serviceapi.AnswerView
	// More: there are older answers than the page shows.
	More bool
}

// Surveyed: the customer has been sent a survey the user may know of.
func (s *satisfactionData) Surveyed() bool { return deref(s.Summary.Sent) > 0 || len(s.Answers) > 0 }

// satisfaction reads the customer's satisfaction; a service that cannot
// answer leaves the section saying so (the rest of the page still shows).
func satisfaction(ctx context.Context, r *console.Request, id string) (*satisfactionData, error) {
	res, err := r.API.Service.GetCustomersByCustomerIdSatisfactionWithResponse(ctx, id,
		&serviceapi.GetCustomersByCustomerIdSatisfactionParams{Limit: ptr(answersLimit)})
	if err := apis.Check(res, err); err != nil {
		return nil, err
	}
	v := res.JSON200
	s := &satisfactionData{Summary: deref(v.Summary), Answers: deref(v.Items), More: view.Str(v.NextCursor) != ""}
	l := deref(v.Loyalty)
	s.Level, s.Inputs = view.Str(l.Level), deref(l.Inputs)
	if s.Level == "" {
		s.Level = "unknown"
	}
	s.Why = why(r.X, s.Level, s.Inputs, view.Str(l.Rule))
	x, in := r.X, s.Inputs
	if in.CsatAverage != nil {
		s.RecentCSAT = x.T("customer360.sat.csat_of", "Average", x.Num(in.CsatAverage), "Count", deref(in.CsatCount))
	}
	if in.Since != nil {
		s.Tenure = x.T("customer360.sat.tenure_since", "Count", deref(in.TenureMonths), "Since", x.Date(in.Since))
	}
	if s.Summary.NpsScore != nil {
		s.NPSFrom = x.T("customer360.sat.nps_answers", "Count", deref(s.Summary.NpsAnswers))
	}
	return s, nil
}

// why explains a loyalty level by its inputs, as the service's rule
// decides it (docs/satisfaction.md, "Loyalty level"): at risk names the
// low score that put the customer there; the other levels say what they
// ask for and what the customer has. A level this page does not know yet
// is explained in the service's words.
func why(x *view.Ctx, level string, in serviceapi.LoyaltyInputs, rule string) string {
	avg, latest, nps := in.CsatAverage, in.LatestCsat, in.LatestNps
	has := func(kv ...any) []any {
		return append(kv, "Average", x.Num(avg), "Answers", deref(in.CsatCount), "NPS", npsText(x, nps),
			"Months", deref(in.ActiveMonths), "Tenure", deref(in.TenureMonths))
	}
	switch level {
	case "unknown":
		return x.T("customer360.loyalty.why.unknown")
	case "at_risk":
		switch {
		case avg != nil && *avg < 3:
			return x.T("customer360.loyalty.why.at_risk_average", has()...)
		case latest != nil && *latest <= 2:
			return x.T("customer360.loyalty.why.at_risk_latest", has("Latest", *latest)...)
		case nps != nil && *nps <= 6:
			return x.T("customer360.loyalty.why.at_risk_nps", has()...)
		}
	case "neutral", "loyal", "advocate":
		return x.T("customer360.loyalty.why."+level, has()...)
	}
	return rule
}

// npsText is an NPS answer, or "none" when the customer gave none.
func npsText(x *view.Ctx, nps *int) string {
	if nps == nil {
		return x.T("customer360.sat.no_nps")
	}
	return x.Num(*nps)
}
