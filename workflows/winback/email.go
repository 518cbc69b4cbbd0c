package winback

import (
	"time"

	"go.temporal.io/sdk/workflow"

	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/workflows/campaign"
)

// Email touches: a cadence step "email" emails the customer's contact the
// campaign's email through the follow-up service's mail delivery
// (campaign.SendEmails) instead of planning a touch for the owner. An
// email is made once it is in the follow-up service's outbox: nobody has
// to carry it out, so it is not chased. One that cannot go — no address,
// a campaign without an email, email not set up — falls back to the plan
// an offer is (campaign.FallbackPlan), planned and chased like every
// touch; a customer found opted out ends the cadence as an opt-out.

// email makes touch t, decided at the marketing service already, when it
// is an email touch: it returns nil when the email went (the touch is
// made, due at due), the touch to plan instead (t itself when it is no
// email touch; the fallback plan when the email cannot go), or
// OutcomeOptedOut.
func (w *winBack) email(ctx workflow.Context, t *marketingv1.Touch, due time.Time) (*marketingv1.Touch, string, error) {
	if t.GetAction() != campaign.ActionEmail {
		return t, "", nil
	}
	if workflow.GetVersion(ctx, campaign.EmailTouchesChange, workflow.DefaultVersion, campaign.EmailTouchesVersion) == workflow.DefaultVersion {
		return campaign.AsOffers([]*marketingv1.Touch{t})[0], "", nil
	}
	e, err := campaign.SendEmails(ctx, campaign.ServiceQueues, []*marketingv1.Touch{t}, 0)
	switch {
	case err != nil:
		return nil, "", err
	case len(e.OptedOut) > 0:
		return nil, OutcomeOptedOut, nil
	case len(e.Sent) > 0:
		w.made, w.notBefore, w.lastDue = w.made+1, time.Time{}, due
		return nil, "", nil
	}
	return e.Plans[0], "", nil
}
