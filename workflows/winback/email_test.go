package winback_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"google.golang.org/protobuf/proto"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	marketingc "github.com/closeloop/closeloop/proto/contract/marketing"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/winback"
)

// mailer fakes the email touches' activities for the harness: the
// customer has an address unless noAddress, the marketing service writes
// its email unless optedOut, the follow-up service queues it; every call
// is recorded with the test clock.
type mailer struct {
	mu                  sync.Mutex
	noAddress, optedOut bool
	calls               []call
}

func (m *mailer) register(h *harness) {
	record := func(name string, in proto.Message) {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.calls = append(m.calls, call{name: name, at: h.env.Now(), msg: in})
	}
	h.env.RegisterActivityWithOptions(func(_ context.Context, in *marketingv1.TouchAddressesInput) (*marketingv1.TouchAddressesResult, error) {
		record(customerc.ActivityTouchAddresses, in)
		if m.noAddress {
			return &marketingv1.TouchAddressesResult{}, nil
		}
		return &marketingv1.TouchAddressesResult{Addresses: []*marketingv1.ContactAddress{{CustomerId: "cust-1", Address: "buyer@acme.example", Name: "Li Wei"}}}, nil
	}, activity.RegisterOptions{Name: customerc.ActivityTouchAddresses})
	h.env.RegisterActivityWithOptions(func(_ context.Context, in *marketingv1.EmailTouchesInput) (*marketingv1.EmailTouchesResult, error) {
		record(marketingc.ActivityEmailTouches, in)
		t := in.GetTouches()[0]
		switch {
		case m.optedOut:
			return &marketingv1.EmailTouchesResult{OptedOut: []string{t.GetTouchId()}}, nil
		case len(in.GetAddresses()) == 0:
			return &marketingv1.EmailTouchesResult{Fallbacks: []*marketingv1.EmailFallback{{TouchId: t.GetTouchId(), Reason: "no_address"}}}, nil
		}
		return &marketingv1.EmailTouchesResult{
			Content: &marketingv1.EmailContent{CampaignId: "camp-1", CampaignName: "Spring win-back", Subject: "We miss you", Body: "…", Language: "en"},
			Emails: []*marketingv1.TouchEmail{{TouchId: t.GetTouchId(), CustomerId: "cust-1", Step: t.GetStep(), Address: "buyer@acme.example",
				UnsubscribeUrl: "https://crm.test/unsubscribe/x"}}}, nil
	}, activity.RegisterOptions{Name: marketingc.ActivityEmailTouches})
	h.env.RegisterActivityWithOptions(func(_ context.Context, in *marketingv1.QueueTouchEmailsInput) (*marketingv1.QueueTouchEmailsResult, error) {
		record(followupc.ActivityQueueTouchEmails, in)
		return &marketingv1.QueueTouchEmailsResult{DeliveryIds: []string{"d-1"}}, nil
	}, activity.RegisterOptions{Name: followupc.ActivityQueueTouchEmails})
	h.env.RegisterActivityWithOptions(func(_ context.Context, in *marketingv1.RecordTouchEmailsInput) error {
		record(customerc.ActivityRecordTouchEmails, in)
		return nil
	}, activity.RegisterOptions{Name: customerc.ActivityRecordTouchEmails})
}

// of lists the calls of one activity, as "Jan 2 15:04:05".
func (m *mailer) of(name string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, c := range m.calls {
		if c.name == name {
			out = append(out, hm(c.at))
		}
	}
	return out
}

// emailCadence calls at once, emails after 14 days and calls after 30.
func emailCadence(h *harness) {
	h.engine.PutPolicy(policy.WinBackCadence, 2, time.Time{}, ladder(policy.ClockCalendar,
		time.Duration(0), policy.ActionCall, 14*day, policy.Action("email"), 30*day, policy.ActionCall))
}

// TestEmailStep: the cadence's second step is an email. At its instant —
// nothing a second before — the marketing service decides the touch, the
// email goes to the follow-up service's outbox (once, naming the touch of
// step 1) and onto the customer's history; nothing is planned for the
// owner and nothing chased. The email counts as a touch made: the third
// step comes at its own instant, and the cadence runs out at its deadline.
func TestEmailStep(t *testing.T) {
	h := newHarness(t, enrolled)
	emailCadence(h)
	m := &mailer{}
	m.register(h)
	h.at(touch1.Add(-time.Second), func() {
		if n := len(m.of(followupc.ActivityQueueTouchEmails)); n != 0 {
			t.Errorf("emailed %d times a second before the step", n)
		}
	})
	out := h.run(input(enrolled))

	if got, want := h.planned(), []string{"0 call@Mar 2 10:00:00", "2 call@Apr 1 10:00:00"}; !slices.Equal(got, want) {
		t.Errorf("planned %v, want %v", got, want)
	}
	for _, name := range []string{customerc.ActivityTouchAddresses, marketingc.ActivityEmailTouches, followupc.ActivityQueueTouchEmails,
		customerc.ActivityRecordTouchEmails} {
		if got := m.of(name); !slices.Equal(got, []string{"Mar 16 10:00:00"}) {
			t.Errorf("%s called at %v, want once at the step's instant", name, got)
		}
	}
	var asked []string
	for _, c := range h.of(marketingc.ActivityWinBackTouch) {
		tc := c.msg.(*marketingv1.WinBackTouchInput).GetTouch()
		asked = append(asked, tc.GetAction())
	}
	if !slices.Equal(asked, []string{"call", "email", "call"}) {
		t.Errorf("touches decided: %v", asked)
	}
	for _, c := range m.calls {
		if q, ok := c.msg.(*marketingv1.EmailTouchesInput); ok {
			if tc := q.GetTouches()[0]; tc.GetTouchId() != winback.TouchID("camp-1", "cust-1", 1) || tc.GetStep() != 1 {
				t.Errorf("emailed touch %v", tc)
			}
		}
	}
	if n := len(h.opened()); n != 2 {
		t.Errorf("%d follow-ups opened, want 2 (the calls; an email is not chased)", n)
	}
	if out.GetOutcome() != winback.OutcomeExhausted || len(h.leads) != 0 {
		t.Errorf("result %v", out)
	}
}

// TestEmailStepWithoutAnAddress: the customer has no contact with an
// email address: the step becomes the offer, planned for the owner titled
// with why, and chased like every touch.
func TestEmailStepWithoutAnAddress(t *testing.T) {
	h := newHarness(t, enrolled)
	emailCadence(h)
	m := &mailer{noAddress: true}
	m.register(h)
	h.run(input(enrolled))
	if got, want := h.planned(), []string{"0 call@Mar 2 10:00:00", "1 offer@Mar 16 10:00:00", "2 call@Apr 1 10:00:00"}; !slices.Equal(got, want) {
		t.Errorf("planned %v, want %v", got, want)
	}
	if ts := h.touches(); len(ts) != 3 || ts[1].GetCampaignName() != "Spring win-back (no email address)" || ts[1].GetTouchId() != winback.TouchID("camp-1", "cust-1", 1) {
		t.Errorf("the fallback plan %v", ts)
	}
	if len(m.of(followupc.ActivityQueueTouchEmails)) != 0 || len(m.of(customerc.ActivityRecordTouchEmails)) != 0 {
		t.Error("an email was queued without an address")
	}
	if n := len(h.opened()); n != 3 {
		t.Errorf("%d follow-ups opened, want 3 (the fallback plan is chased)", n)
	}
}

// TestEmailStepFindsTheCustomerOptedOut: the customer opted out between
// the touch's decision and its email: no email, no plan, and the cadence
// ends as an opt-out, with no lead.
func TestEmailStepFindsTheCustomerOptedOut(t *testing.T) {
	h := newHarness(t, enrolled)
	emailCadence(h)
	m := &mailer{optedOut: true}
	m.register(h)
	out := h.run(input(enrolled))
	if got := h.planned(); len(got) != 1 || out.GetOutcome() != winback.OutcomeOptedOut || !h.env.Now().Equal(touch1) || len(h.leads) != 0 {
		t.Errorf("planned %v, result %v at %s", got, out, hm(h.env.Now()))
	}
	if len(m.of(followupc.ActivityQueueTouchEmails)) != 0 {
		t.Error("an opted-out customer was emailed")
	}
	if ends := h.ends(); len(ends) != 1 || ends[0].GetOutcome() != winback.OutcomeOptedOut {
		t.Errorf("ends %v", ends)
	}
}
