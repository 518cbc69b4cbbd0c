// Package ports is the win-back context's door to the outside: the
// Temporal activities the WinBack workflow calls on the customer task
// queue (customer.MarkWinBack, customer.WinBackResponses,
// customer.WinBackReturned) and the Temporal client that signals WinBack
// workflows (temporal.go). They only translate payloads to the use cases
// in package app and back; no rule or storage lives here.
package ports

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/services/customer/internal/activityerr"
	"github.com/closeloop/closeloop/services/customer/internal/winback/app"
	"github.com/closeloop/closeloop/services/customer/internal/winback/domain"
)

// Activities are the win-back activities, run by the customer service's
// worker. A malformed input fails as non-retryable "invalid", an unknown
// customer as non-retryable "not_found"; a failure of the database is
// returned as it is, so Temporal retries it.
type Activities struct{ Svc *app.Service }

// Register adds the activities under their contract names.
func (a *Activities) Register(r worker.Registry) {
	r.RegisterActivityWithOptions(a.MarkWinBack, activity.RegisterOptions{Name: customerc.ActivityMarkWinBack})
	r.RegisterActivityWithOptions(a.WinBackResponses, activity.RegisterOptions{Name: customerc.ActivityWinBackResponses})
	r.RegisterActivityWithOptions(a.WinBackReturned, activity.RegisterOptions{Name: customerc.ActivityWinBackReturned})
}

// MarkWinBack sets the customer's win-back mark to in.campaign_id, or —
// campaign_id empty — clears it if it names in.clear_campaign_id.
func (a *Activities) MarkWinBack(ctx context.Context, in *marketingv1.WinBackMarkInput) error {
	return activityerr.NonRetryable(a.Svc.MarkWinBack(ctx, domain.Mark{CustomerID: in.GetCustomerId(), CampaignID: in.GetCampaignId(),
		ClearCampaignID: in.GetClearCampaignId()}))
}

// WinBackResponses returns the customer's first response recorded after
// in.since (required); an empty result when there is none.
func (a *Activities) WinBackResponses(ctx context.Context, in *marketingv1.WinBackResponsesInput) (*marketingv1.WinBackResponsesResult, error) {
	if in.GetSince() == nil || in.GetSince().CheckValid() != nil {
		return nil, activityerr.Invalid("since", "the instant responses count from, in range")
	}
	r, ok, err := a.Svc.Responses(ctx, in.GetCustomerId(), in.GetSince().AsTime())
	if err != nil {
		return nil, activityerr.NonRetryable(err)
	}
	if !ok {
		return &marketingv1.WinBackResponsesResult{}, nil
	}
	return &marketingv1.WinBackResponsesResult{Response: Response(r)}, nil
}

// WinBackReturned returns a customer that responded to a win-back to the
// prospect list (if it is still lost), puts the response on its history
// and clears the campaign's mark.
func (a *Activities) WinBackReturned(ctx context.Context, in *marketingv1.WinBackEndInput) error {
	r := domain.Return{CampaignID: in.GetCampaignId(), CustomerID: in.GetCustomerId(), Outcome: in.GetOutcome(), LeadID: in.GetLeadId()}
	if res := in.GetResponse(); res != nil {
		r.Response = domain.Response{Kind: res.GetKind(), Ref: res.GetRef(), By: res.GetBy()}
		if res.GetAt() != nil {
			if res.GetAt().CheckValid() != nil {
				return activityerr.Invalid("response.at", "an instant in range")
			}
			r.Response.At = res.GetAt().AsTime()
		}
	}
	return activityerr.NonRetryable(a.Svc.Returned(ctx, r))
}

// Response is a response as the WinBack workflow reads it.
func Response(r domain.Response) *marketingv1.WinBackResponse {
	out := &marketingv1.WinBackResponse{Kind: r.Kind, Ref: r.Ref, By: r.By}
	if !r.At.IsZero() {
		out.At = timestamppb.New(r.At.UTC().Truncate(time.Microsecond))
	}
	return out
}
