package campaign

import (
	"time"

	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	marketingc "github.com/closeloop/closeloop/proto/contract/marketing"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// Email touches. A touch whose action is ActionEmail — a one-touch
// campaign's whose first channel is email, a win-back cadence step "email"
// — is an email to the customer's contact, not a plan for a person:
// SendEmails asks the customer service where each customer's email goes
// (customer.TouchAddresses), the marketing service for the email and what
// cannot be emailed (marketing.EmailTouches: opted out, no address, no
// email, not set up), hands the emails to the follow-up service's outbox
// (followup.QueueTouchEmails: one delivery per touch id, so a retried
// activity, a replayed workflow or a restarted worker emails a touch
// once) and puts each on the customer's history (customer.RecordTouchEmails).
// A touch that cannot be emailed falls back to an action plan for the owner
// (FallbackPlan), so nothing is dropped silently; only an opted-out
// customer's is.
//
// Executions that started before email touches existed never met one (the
// marketing service made an email channel's touch an offer then), so the
// change adds no command to their histories; it still goes behind
// workflow.GetVersion (EmailTouchesChange), whose old branch plans an
// email touch as the offer it used to be (AsOffers).

// Touch actions the workflows tell apart.
const (
	ActionEmail = "email"
	ActionOffer = "offer"
)

// EmailTouchesChange is the workflow.GetVersion change id of email
// touches, in CampaignLaunch and WinBack.
const EmailTouchesChange = "email-touches"

// EmailTouchesVersion is the version of EmailTouchesChange that emails.
const EmailTouchesVersion = 1

// Emailed is what became of the email touches among some touches.
type Emailed struct {
	// Plans are the touches to put on the owners' lists: those that are
	// not emails, then the email touches that fell back to a plan.
	Plans []*marketingv1.Touch
	// Sent are the email touches emailed (in the outbox).
	Sent []*marketingv1.Touch
	// OptedOut are the email touches dropped: the customer opted out.
	OptedOut []string
}

// HasEmail says whether any of touches is an email touch.
func HasEmail(touches []*marketingv1.Touch) bool {
	for _, t := range touches {
		if t.GetAction() == ActionEmail {
			return true
		}
	}
	return false
}

// SendEmails emails the email touches among touches (all of one campaign)
// and says what became of each; see above. timeout bounds one attempt of
// each activity (0: wfx's default); q are the customer and marketing
// services' queues to call (the follow-up service has one).
func SendEmails(ctx workflow.Context, q Queues, touches []*marketingv1.Touch, timeout time.Duration) (Emailed, error) {
	var out Emailed
	var emails []*marketingv1.Touch
	byID := map[string]*marketingv1.Touch{}
	for _, t := range touches {
		if t.GetAction() != ActionEmail {
			out.Plans = append(out.Plans, t)
			continue
		}
		emails = append(emails, t)
		byID[t.GetTouchId()] = t
	}
	if len(emails) == 0 {
		return out, nil
	}
	cust := wfx.Activities(ctx, wfx.Call{Queue: q.Customer, Timeout: timeout, NonRetryable: NonRetryable})
	mkt := wfx.Activities(ctx, wfx.Call{Queue: q.Marketing, Timeout: timeout, NonRetryable: NonRetryable})
	fu := wfx.Activities(ctx, wfx.Call{Queue: followupc.TaskQueue, Timeout: timeout, NonRetryable: NonRetryable})

	ids := make([]string, len(emails))
	for i, t := range emails {
		ids[i] = t.GetCustomerId()
	}
	var addresses marketingv1.TouchAddressesResult
	if err := workflow.ExecuteActivity(cust, customerc.ActivityTouchAddresses, &marketingv1.TouchAddressesInput{CustomerIds: ids}).
		Get(ctx, &addresses); err != nil {
		return out, err
	}
	var decided marketingv1.EmailTouchesResult
	if err := workflow.ExecuteActivity(mkt, marketingc.ActivityEmailTouches, &marketingv1.EmailTouchesInput{Touches: emails,
		Addresses: addresses.GetAddresses()}).Get(ctx, &decided); err != nil {
		return out, err
	}
	fallbacks := decided.GetFallbacks()
	if len(decided.GetEmails()) > 0 {
		var queued marketingv1.QueueTouchEmailsResult
		if err := workflow.ExecuteActivity(fu, followupc.ActivityQueueTouchEmails, &marketingv1.QueueTouchEmailsInput{
			Content: decided.GetContent(), Emails: decided.GetEmails()}).Get(ctx, &queued); err != nil {
			return out, err
		}
		if reason := queued.GetSkipReason(); reason != "" {
			for _, e := range decided.GetEmails() { // the follow-up service sends no email: plans instead
				fallbacks = append(fallbacks, &marketingv1.EmailFallback{TouchId: e.GetTouchId(), Reason: reason})
			}
		} else {
			if err := workflow.ExecuteActivity(cust, customerc.ActivityRecordTouchEmails, &marketingv1.RecordTouchEmailsInput{
				Content: decided.GetContent(), Emails: decided.GetEmails(), At: timestamppb.New(workflow.Now(ctx))}).Get(ctx, nil); err != nil {
				return out, err
			}
			for _, e := range decided.GetEmails() {
				out.Sent = append(out.Sent, byID[e.GetTouchId()])
			}
		}
	}
	for _, f := range fallbacks {
		if t, ok := byID[f.GetTouchId()]; ok {
			out.Plans = append(out.Plans, FallbackPlan(t, f.GetReason()))
		}
	}
	out.OptedOut = decided.GetOptedOut()
	return out, nil
}

// fallbackWords say, in a fallback plan's title, why no email went.
var fallbackWords = map[string]string{
	"no_address": "no email address",
	"no_email":   "the campaign has no email",
	"email_off":  "email is not set up",
}

// FallbackPlan is the action plan an email touch falls back to: the same
// touch (its id, so it is planned once), for the owner to send the offer
// as before there was an email channel, its campaign name saying why no
// email went — the plan reads "<campaign> (no email address): send the
// offer".
func FallbackPlan(t *marketingv1.Touch, reason string) *marketingv1.Touch {
	p := proto.Clone(t).(*marketingv1.Touch)
	p.Action = ActionOffer
	words, ok := fallbackWords[reason]
	if !ok {
		words = "not emailed: " + reason
	}
	p.CampaignName = t.GetCampaignName() + " (" + words + ")"
	return p
}

// AsOffers is touches with every email touch an offer for the owner: what
// an execution recorded before email touches did (EmailTouchesChange's
// default version).
func AsOffers(touches []*marketingv1.Touch) []*marketingv1.Touch {
	out := make([]*marketingv1.Touch, len(touches))
	for i, t := range touches {
		if t.GetAction() == ActionEmail {
			t = proto.Clone(t).(*marketingv1.Touch)
			t.Action = ActionOffer
		}
		out[i] = t
	}
	return out
}
