package campaign_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	marketingc "github.com/closeloop/closeloop/proto/contract/marketing"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/workflows/campaign"
)

// mail fakes the email touches' activities: the customer service knows an
// address for every customer but noAddress, the marketing service finds
// optedOut opted out and writes one email per other customer with an
// address, the follow-up service queues them (or, with skip, queues
// nothing and says why); every call is recorded.
type mail struct {
	mu                  sync.Mutex
	noAddress, optedOut []string
	skip                string
	asked               []*marketingv1.TouchAddressesInput
	decided             []*marketingv1.EmailTouchesInput
	queued              []*marketingv1.QueueTouchEmailsInput
	histories           []*marketingv1.RecordTouchEmailsInput
}

func (m *mail) register(env *testsuite.TestWorkflowEnvironment) {
	env.RegisterActivityWithOptions(func(_ context.Context, in *marketingv1.TouchAddressesInput) (*marketingv1.TouchAddressesResult, error) {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.asked = append(m.asked, in)
		out := &marketingv1.TouchAddressesResult{}
		for _, c := range in.GetCustomerIds() {
			if !slices.Contains(m.noAddress, c) {
				out.Addresses = append(out.Addresses, &marketingv1.ContactAddress{CustomerId: c, Address: c + "@example.com", Name: "Contact " + c})
			}
		}
		return out, nil
	}, activity.RegisterOptions{Name: customerc.ActivityTouchAddresses})
	env.RegisterActivityWithOptions(func(_ context.Context, in *marketingv1.EmailTouchesInput) (*marketingv1.EmailTouchesResult, error) {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.decided = append(m.decided, in)
		has := map[string]string{}
		for _, a := range in.GetAddresses() {
			has[a.GetCustomerId()] = a.GetAddress()
		}
		out := &marketingv1.EmailTouchesResult{}
		for _, t := range in.GetTouches() {
			switch c := t.GetCustomerId(); {
			case slices.Contains(m.optedOut, c):
				out.OptedOut = append(out.OptedOut, t.GetTouchId())
			case has[c] == "":
				out.Fallbacks = append(out.Fallbacks, &marketingv1.EmailFallback{TouchId: t.GetTouchId(), Reason: "no_address"})
			default:
				out.Emails = append(out.Emails, &marketingv1.TouchEmail{TouchId: t.GetTouchId(), CustomerId: c, Step: t.GetStep(), Address: has[c],
					UnsubscribeUrl: "https://crm.test/unsubscribe/" + c})
			}
		}
		if len(out.Emails) > 0 {
			out.Content = &marketingv1.EmailContent{CampaignId: "camp-1", CampaignName: "Spring mailing", Subject: "Spring offer", Body: "Dear customer", Language: "en"}
		}
		return out, nil
	}, activity.RegisterOptions{Name: marketingc.ActivityEmailTouches})
	env.RegisterActivityWithOptions(func(_ context.Context, in *marketingv1.QueueTouchEmailsInput) (*marketingv1.QueueTouchEmailsResult, error) {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.queued = append(m.queued, in)
		if m.skip != "" {
			return &marketingv1.QueueTouchEmailsResult{SkipReason: m.skip}, nil
		}
		out := &marketingv1.QueueTouchEmailsResult{}
		for _, e := range in.GetEmails() {
			out.DeliveryIds = append(out.DeliveryIds, "d-"+e.GetTouchId())
		}
		return out, nil
	}, activity.RegisterOptions{Name: followupc.ActivityQueueTouchEmails})
	env.RegisterActivityWithOptions(func(_ context.Context, in *marketingv1.RecordTouchEmailsInput) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.histories = append(m.histories, in)
		return nil
	}, activity.RegisterOptions{Name: customerc.ActivityRecordTouchEmails})
}

// touchesOf lists touches as "id action campaign-name".
func touchesOf(ts []*marketingv1.Touch) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.GetTouchId()+" "+t.GetAction()+" "+t.GetCampaignName())
	}
	return out
}

func emailsOf(es []*marketingv1.TouchEmail) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.GetTouchId()+" "+e.GetAddress())
	}
	return out
}

// TestLaunchEmailsItsTouches: a mailing (first channel email) over seven
// customers in pages of four, c005 held out. Each page's email touches go
// to the follow-up service's outbox and on the customers' histories, and
// are recorded with the page's touches; c003, opted out meanwhile, gets
// nothing; c007, without an address, gets the offer as an action plan for
// its owner, titled with why. Nothing else is planned.
func TestLaunchEmailsItsTouches(t *testing.T) {
	s := &services{n: 7, per: 4, action: campaign.ActionEmail}
	m := &mail{noAddress: []string{"c007"}, optedOut: []string{"c003"}}
	env, _ := newEnv(t, s, launched.Add(time.Minute))
	m.register(env)
	env.ExecuteWorkflow(wfc.WorkflowCampaignLaunch, launchInput())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(m.asked) != 2 || !slices.Equal(m.asked[0].GetCustomerIds(), []string{"c001", "c002", "c003", "c004"}) ||
		!slices.Equal(m.asked[1].GetCustomerIds(), []string{"c006", "c007"}) {
		t.Fatalf("addresses asked %v", m.asked)
	}
	if len(m.queued) != 2 || !slices.Equal(emailsOf(m.queued[0].GetEmails()), []string{"t-c001 c001@example.com", "t-c002 c002@example.com", "t-c004 c004@example.com"}) ||
		!slices.Equal(emailsOf(m.queued[1].GetEmails()), []string{"t-c006 c006@example.com"}) || m.queued[0].GetContent().GetSubject() != "Spring offer" {
		t.Fatalf("queued %v", m.queued)
	}
	if len(m.histories) != 2 || len(m.histories[0].GetEmails()) != 3 || m.histories[1].GetEmails()[0].GetTouchId() != "t-c006" ||
		!m.histories[0].GetAt().AsTime().Equal(launched.Add(time.Minute)) {
		t.Errorf("on the histories %v", m.histories)
	}
	// Page one has nothing to plan; page two the fallback of c007.
	if len(s.planned) != 1 || !slices.Equal(touchesOf(s.planned[0].GetTouches()), []string{"t-c007 offer Spring mailing (no email address)"}) {
		t.Fatalf("planned %v", s.planned)
	}
	if len(s.recorded) != 2 ||
		!slices.Equal(touchesOf(s.recorded[0].GetTouches()), []string{"t-c001 email Spring mailing", "t-c002 email Spring mailing", "t-c004 email Spring mailing"}) ||
		len(s.recorded[0].GetActionIds()) != 0 ||
		!slices.Equal(touchesOf(s.recorded[1].GetTouches()), []string{"t-c007 offer Spring mailing (no email address)", "t-c006 email Spring mailing"}) ||
		!slices.Equal(s.recorded[1].GetActionIds(), []string{"a-c007"}) {
		t.Errorf("recorded %v", s.recorded)
	}
}

// TestLaunchWithoutAnSMTPRelayPlansItsEmailTouches: the follow-up service
// sends no email (no SMTP relay): every email touch becomes the owner's
// offer, titled "email is not set up", and nothing goes on the histories
// as an email.
func TestLaunchWithoutAnSMTPRelayPlansItsEmailTouches(t *testing.T) {
	s := &services{n: 3, per: 4, action: campaign.ActionEmail}
	m := &mail{skip: "email_off"}
	env, _ := newEnv(t, s, launched)
	m.register(env)
	env.ExecuteWorkflow(wfc.WorkflowCampaignLaunch, launchInput())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(m.queued) != 1 || len(m.histories) != 0 {
		t.Fatalf("queued %v, on the histories %v", m.queued, m.histories)
	}
	want := []string{"t-c001 offer Spring mailing (email is not set up)", "t-c002 offer Spring mailing (email is not set up)",
		"t-c003 offer Spring mailing (email is not set up)"}
	if len(s.planned) != 1 || !slices.Equal(touchesOf(s.planned[0].GetTouches()), want) {
		t.Fatalf("planned %v", s.planned)
	}
	if len(s.recorded) != 1 || !slices.Equal(s.recorded[0].GetActionIds(), []string{"a-c001", "a-c002", "a-c003"}) {
		t.Errorf("recorded %v", s.recorded)
	}
}

// TestLaunchOfCallsAsksNothingOfEmail: a page without email touches is
// planned as before, without a word to the email activities.
func TestLaunchOfCallsAsksNothingOfEmail(t *testing.T) {
	s := &services{n: 2, per: 4}
	m := &mail{}
	env, _ := newEnv(t, s, launched)
	m.register(env)
	env.ExecuteWorkflow(wfc.WorkflowCampaignLaunch, launchInput())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(m.asked)+len(m.decided)+len(m.queued)+len(m.histories) != 0 || len(s.planned) != 1 {
		t.Fatalf("email activities called %d %d %d %d; planned %v", len(m.asked), len(m.decided), len(m.queued), len(m.histories), s.planned)
	}
}

func TestFallbackPlan(t *testing.T) {
	in := &marketingv1.Touch{TouchId: "t1", CampaignName: "Spring", Action: campaign.ActionEmail, CustomerId: "c1", Step: 2}
	p := campaign.FallbackPlan(in, "no_email")
	if p.GetAction() != "offer" || p.GetCampaignName() != "Spring (the campaign has no email)" || p.GetTouchId() != "t1" || p.GetStep() != 2 ||
		in.GetAction() != campaign.ActionEmail {
		t.Errorf("fallback %v of %v", p, in)
	}
	if p := campaign.FallbackPlan(in, "bounced"); !strings.HasSuffix(p.GetCampaignName(), "(not emailed: bounced)") {
		t.Errorf("an unknown reason: %v", p)
	}
	if got := campaign.AsOffers([]*marketingv1.Touch{in, {Action: "call"}}); got[0].GetAction() != "offer" || got[1].GetAction() != "call" || in.GetAction() != campaign.ActionEmail {
		t.Errorf("as offers: %v", got)
	}
}
