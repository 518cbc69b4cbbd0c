package followup_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
)

// handOver is a test workflow that hands touch emails to the follow-up
// service once, as the marketing workflows do (followup.QueueTouchEmails),
// without retrying a refusal.
func handOver(ctx workflow.Context, in *marketingv1.QueueTouchEmailsInput) (*marketingv1.QueueTouchEmailsResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{TaskQueue: followupc.TaskQueue, StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1}})
	var out marketingv1.QueueTouchEmailsResult
	err := workflow.ExecuteActivity(ctx, followupc.ActivityQueueTouchEmails, in).Get(ctx, &out)
	return &out, err
}

// TestTouchEmailsOncePerTouch, on the real Temporal dev server, both
// databases and Mailpit: a campaign's touch emails handed over twice at
// once (a retried activity beside a replayed workflow) and again once they
// were sent are each emailed once — the Message-ID the delivery's, the
// campaign's text with the unsubscribe footer and headers — and recorded
// as one sent delivery each, of kind touch, to the customer. An address
// the relay refuses for good goes on the dead-letter list, not silently
// nowhere; a malformed email refuses the whole hand-over and stores
// nothing.
func TestTouchEmailsOncePerTouch(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newMailStack(t, b.DSN(t), map[string]string{"NOTIFY_CLAIM": "6s"}, "--smtp-allowed-recipients", `@customer\.example$`)
			tc := s.app.Deps().Temporal
			queue := "test-touch-emails-" + b.Name
			w := worker.New(tc, queue, worker.Options{})
			w.RegisterWorkflowWithOptions(handOver, workflow.RegisterOptions{Name: "HandOverTouchEmails"})
			if err := w.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(w.Stop)
			run := func(id string, in *marketingv1.QueueTouchEmailsInput) (*marketingv1.QueueTouchEmailsResult, error) {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				r, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, "HandOverTouchEmails", in)
				if err != nil {
					t.Fatal(err)
				}
				var out marketingv1.QueueTouchEmailsResult
				err = r.Get(ctx, &out)
				return &out, err
			}
			content := &marketingv1.EmailContent{CampaignId: "0190c000-0000-7000-8000-0000000000ca", CampaignName: "Spring mailing",
				Subject: "Our spring service plan", Body: "Dear customer,\n\nour <new> plan starts in April.", Language: "en"}
			email := func(n, address string) *marketingv1.TouchEmail {
				return &marketingv1.TouchEmail{TouchId: "touch-" + n, CustomerId: "0190c000-0000-7000-8000-0000000000c" + n, Address: address,
					Name: "Buyer " + n, UnsubscribeUrl: "https://crm.test/unsubscribe/token-" + n}
			}
			in := &marketingv1.QueueTouchEmailsInput{Content: content, Emails: []*marketingv1.TouchEmail{
				email("1", "buyer1@customer.example"), email("2", "buyer2@customer.example"), email("3", "nobody@elsewhere.example")}}

			firsts := make(chan *marketingv1.QueueTouchEmailsResult, 2)
			for _, id := range []string{"hand-over-1", "hand-over-1-again"} {
				go func() {
					out, err := run(id+"-"+b.Name, in)
					if err != nil {
						t.Error(err)
					}
					firsts <- out
				}()
			}
			a, c := <-firsts, <-firsts
			if len(a.GetDeliveryIds()) != 3 || strings.Join(a.GetDeliveryIds(), ",") != strings.Join(c.GetDeliveryIds(), ",") || a.GetSkipReason() != "" {
				t.Fatalf("the hand-overs named %v and %v", a, c)
			}
			eventually(t, "the two emails the relay takes", 60*time.Second, func() bool {
				in := s.inbox()
				return len(in["buyer1@customer.example"]) == 1 && len(in["buyer2@customer.example"]) == 1
			})
			eventually(t, "both recorded as sent", 10*time.Second, func() bool {
				return len(s.call("GET", "/v1/deliveries?status=sent&channel=email", admin, nil).json(t)["items"].([]any)) == 2
			})
			if _, err := run("hand-over-2-"+b.Name, in); err != nil { // after they were sent
				t.Fatal(err)
			}
			time.Sleep(2 * time.Second) // a second email would be in by now
			inbox := s.inbox()
			if len(inbox["buyer1@customer.example"]) != 1 || len(inbox["buyer2@customer.example"]) != 1 || len(inbox) != 2 {
				t.Fatalf("inbox %v, want one email to each of the two buyers", inbox)
			}
			m := inbox["buyer1@customer.example"][0]
			if m.MessageID != a.GetDeliveryIds()[0]+"@closeloop.test" || m.Subject != "Our spring service plan" {
				t.Errorf("the email %q %q, want the delivery's Message-ID", m.MessageID, m.Subject)
			}
			full, err := s.mail.Message(context.Background(), m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(full.Text, "our <new> plan starts in April.") || !strings.Contains(full.Text, "https://crm.test/unsubscribe/token-1") ||
				!strings.Contains(full.HTML, "our &lt;new&gt; plan") {
				t.Errorf("the email's text:\n%s\n%s", full.Text, full.HTML)
			}
			h, err := s.mail.Headers(context.Background(), m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if h["List-Unsubscribe"][0] != "<https://crm.test/unsubscribe/token-1>" || h["X-Closeloop-Kind"][0] != "touch" {
				t.Errorf("headers %v", h)
			}
			for _, it := range s.call("GET", "/v1/deliveries?status=sent&channel=email", admin, nil).json(t)["items"].([]any) {
				d := it.(map[string]any)
				if d["kind"] != "touch" || d["attempts"] != float64(1) || !strings.HasPrefix(d["target"].(string), "0190c000-") {
					t.Errorf("sent delivery %v", d)
				}
			}
			// The address the relay refuses: on the dead-letter list.
			eventually(t, "the refused address on the dead-letter list", 30*time.Second, func() bool {
				items := s.call("GET", "/v1/deliveries?status=failed", admin, nil).json(t)["items"].([]any)
				return len(items) == 1 && items[0].(map[string]any)["address"] == "nobody@elsewhere.example" && items[0].(map[string]any)["kind"] == "touch"
			})

			// A touch the contact pressure deferred: held until its instant,
			// then sent by its Delivery workflow.
			at := time.Now().Add(4 * time.Second)
			deferred := email("6", "buyer6@customer.example")
			deferred.NotBefore = timestamppb.New(at)
			if _, err := run("hand-over-deferred-"+b.Name, &marketingv1.QueueTouchEmailsInput{Content: content, Emails: []*marketingv1.TouchEmail{deferred}}); err != nil {
				t.Fatal(err)
			}
			held := s.call("GET", "/v1/deliveries?status=held", admin, nil).json(t)["items"].([]any)
			if len(held) != 1 || held[0].(map[string]any)["reason"] != "contact_pressure" || len(s.inbox()["buyer6@customer.example"]) != 0 {
				t.Fatalf("the deferred email: held %v", held)
			}
			eventually(t, "the deferred email at its instant", 60*time.Second, func() bool { return len(s.inbox()["buyer6@customer.example"]) == 1 })
			if time.Now().Before(at) {
				t.Error("the deferred email went before its instant")
			}

			// A malformed email refuses the hand-over; nothing is stored.
			bad := &marketingv1.QueueTouchEmailsInput{Content: content, Emails: []*marketingv1.TouchEmail{email("4", "buyer4@customer.example"),
				email("5", "not an address")}}
			if _, err := run("hand-over-bad-"+b.Name, bad); err == nil || !strings.Contains(err.Error(), "address") {
				t.Fatalf("a malformed email: %v", err)
			}
			var n int64
			if err := s.app.Deps().DB.Table("deliveries").Where("kind = ?", "touch").Count(&n).Error; err != nil || n != 4 {
				t.Errorf("%d touch deliveries stored (%v), want the first four", n, err)
			}
		})
	}
}
