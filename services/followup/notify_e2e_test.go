package followup_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
	wffollowup "github.com/closeloop/closeloop/workflows/followup"
)

// mailStack is the follow-up stack sending email to a Mailpit of its own.
type mailStack struct {
	*stack
	mail testenv.MailpitClient
	// env is the follow-up service's own environment (SMTP_*, NOTIFY_*, …),
	// temporal and namespace where it runs workflows.
	env                 map[string]string
	temporal, namespace string
}

func newMailStack(t testing.TB, dsn string, extra map[string]string, mailpitFlags ...string) *mailStack {
	t.Helper()
	return newMailStackOn(t, dsn, "", extra, mailpitFlags...)
}

// newMailStackOn is newMailStack with the follow-up service on followUpDSN.
func newMailStackOn(t testing.TB, dsn, followUpDSN string, extra map[string]string, mailpitFlags ...string) *mailStack {
	t.Helper()
	hostPort, namespace := testenv.Temporal(t)
	startWorker(t, hostPort, namespace, nil)
	smtp, api := testenv.Mailpit(t, mailpitFlags...)
	host, port, _ := net.SplitHostPort(smtp)
	env := map[string]string{"SMTP_HOST": host, "SMTP_PORT": port, "SMTP_TLS": "none",
		"SMTP_FROM": "Closeloop <closeloop@closeloop.test>", "CONSOLE_URL": "http://console.test",
		"NOTIFY_POLL": "100ms", "NOTIFY_DIGEST_CHECK": "1s", "NOTIFY_RETRY_INITIAL": "1s", "NOTIFY_RETRY_MAX_INTERVAL": "2s",
		"WEBHOOK_ALLOW_PRIVATE": "true", "WEBHOOK_ALLOW_HTTP": "true"}
	for k, v := range extra {
		env[k] = v
	}
	s := newStack(t, dsn, stackOpts{temporal: hostPort, namespace: namespace, env: env, followUpDSN: followUpDSN})
	return &mailStack{stack: s, mail: testenv.MailpitClient{URL: api}, env: env, temporal: hostPort, namespace: namespace}
}

// prefer sets user's notification preferences (which also records who they are).
func (s *mailStack) prefer(user string, p map[string]any) {
	s.t.Helper()
	body := map[string]any{"language": "en", "time_zone": "UTC", "email": user + "@closeloop.test",
		"email_kinds": domain.EventKinds(), "quiet_hours": nil, "digest_hour": nil}
	for k, v := range p {
		body[k] = v
	}
	if r := s.call("PUT", "/v1/me/notification-preferences", user, body); r.status != http.StatusOK {
		s.t.Fatalf("preferences of %s: %d %s", user, r.status, r.body)
	}
}

// overdue starts a call-back follow-up of owner in team north, ten days
// overdue: its ladder runs at once (remind, then escalate to the manager).
func (s *mailStack) overdue(id, owner, title string) {
	s.t.Helper()
	cust := s.create(repAna, company(nil))
	due := time.Now().Add(-10 * 24 * time.Hour).UTC()
	if err := wffollowup.Start(context.Background(), s.app.Deps().Temporal, &followupv1.FollowUpSpec{Id: id, Kind: "callback", CustomerId: cust,
		OwnerId: owner, Team: "north", Territory: "north", Title: title, AnchorAt: timestamppb.New(due.Add(-time.Hour)),
		DueAt: timestamppb.New(due), OpenedBy: "test"}); err != nil {
		s.t.Fatal(err)
	}
}

// inbox returns the caught mail by recipient address.
func (s *mailStack) inbox() map[string][]testenv.MailpitSummary {
	s.t.Helper()
	ms, err := s.mail.Messages(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	out := map[string][]testenv.MailpitSummary{}
	for _, m := range ms {
		for _, to := range m.To {
			out[to.Address] = append(out[to.Address], m)
		}
	}
	return out
}

// deliveries returns the follow-up's deliveries, as its record shows them.
func (s *mailStack) deliveries(id string) []map[string]any {
	s.t.Helper()
	r := s.call("GET", "/v1/follow-ups/"+id, mgrMia, nil)
	if r.status == http.StatusNotFound { // its workflow has not stored it yet
		return nil
	}
	if r.status != http.StatusOK {
		s.t.Fatalf("follow-up %s: %d %s", id, r.status, r.body)
	}
	var out []map[string]any
	told, _ := r.json(s.t)["told"].([]any)
	for _, m := range told {
		for _, d := range m.(map[string]any)["deliveries"].([]any) {
			d := d.(map[string]any)
			d["action"] = m.(map[string]any)["action"]
			out = append(out, d)
		}
	}
	return out
}

// TestEmailOfAnOverdueFollowUp: an overdue call-back's reminder and
// escalation reach their owner (in Chinese, her language, in her time
// zone) and the team's manager (in English, urgent) by email, each once,
// with the Message-ID derived from the delivery; a person in quiet hours
// gets the reminder held until they end while the manager's urgent
// escalation goes through; the follow-up's record shows every delivery.
func TestEmailOfAnOverdueFollowUp(t *testing.T) {
	s := newMailStack(t, testenv.SQLite(t), nil)
	s.prefer(repAna, map[string]any{"language": "zh-Hans", "time_zone": "Asia/Shanghai"})
	s.prefer(mgrMia, nil)
	// rep-cy is in quiet hours now, for two more hours.
	now := time.Now().UTC()
	s.prefer("rep-cy", map[string]any{"quiet_hours": map[string]any{"from": now.Add(-time.Hour).Format("15:04"), "to": now.Add(2 * time.Hour).Format("15:04")}})

	ana := "0190c000-0000-7000-8000-00000000f001"
	s.overdue(ana, repAna, "call back about the valves")
	eventually(t, "three emails", 60*time.Second, func() bool {
		in := s.inbox()
		return len(in[repAna+"@closeloop.test"]) == 2 && len(in[mgrMia+"@closeloop.test"]) == 1
	})
	in := s.inbox()
	mia := in[mgrMia+"@closeloop.test"][0]
	if !strings.HasPrefix(mia.Subject, "[Closeloop] Urgent") || !strings.Contains(mia.Subject, "call back about the valves") {
		t.Errorf("the manager's escalation: %q", mia.Subject)
	}
	subjects := []string{in[repAna+"@closeloop.test"][0].Subject, in[repAna+"@closeloop.test"][1].Subject}
	for _, sub := range subjects {
		if !strings.Contains(sub, "call back about the valves") || strings.Contains(sub, "Due") || strings.Contains(sub, "Overdue") {
			t.Errorf("rep-ana's email is not in Chinese: %q", sub)
		}
	}
	full, err := s.mail.Message(context.Background(), in[repAna+"@closeloop.test"][0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(full.Text, "Asia/Shanghai") || !strings.Contains(full.Text, "http://console.test/customers/") {
		t.Errorf("rep-ana's email has no local time or link:\n%s", full.Text)
	}
	// Sent deliveries are recorded in batches, a moment after the relay took them.
	allSent := func(id string, want int) func() bool {
		return func() bool {
			n := 0
			for _, d := range s.deliveries(id) {
				if d["status"] == "sent" {
					n++
				}
			}
			return n == want
		}
	}
	eventually(t, "the deliveries recorded", 10*time.Second, allSent(ana, 3))
	ds := s.deliveries(ana)
	ids := map[string]bool{}
	for _, d := range ds {
		if d["channel"] != "email" || d["status"] != "sent" || d["attempts"].(float64) != 1 {
			t.Errorf("delivery %v", d)
		}
		ids[d["id"].(string)+"@closeloop.test"] = true
	}
	for _, list := range in {
		for _, m := range list {
			if !ids[m.MessageID] {
				t.Errorf("Message-ID %s is not a delivery's id (%v)", m.MessageID, ids)
			}
		}
	}
	if len(ds) != 3 {
		t.Fatalf("deliveries %v", ds)
	}

	// Quiet hours: rep-cy's reminder and escalation wait; the manager's
	// urgent escalation does not.
	cy := "0190c000-0000-7000-8000-00000000f002"
	s.overdue(cy, "rep-cy", "send the quotation")
	eventually(t, "the manager's second escalation", 60*time.Second, func() bool { return len(s.inbox()[mgrMia+"@closeloop.test"]) == 2 })
	eventually(t, "the manager's escalation recorded", 10*time.Second, allSent(cy, 1))
	var held int
	for _, d := range s.deliveries(cy) {
		switch d["target"] {
		case "rep-cy":
			end := d["not_before"].(string)
			if d["status"] != "held" || d["reason"] != "quiet_hours" || !strings.HasSuffix(end, now.Add(2*time.Hour).Format("15:04:00Z")) {
				t.Errorf("rep-cy's delivery in quiet hours: %v", d)
			}
			held++
			if d["action"] == "remind" {
				testenv.SaveHistory(t, s.app.Deps().Temporal, "Delivery:"+d["id"].(string), "../../workflows/testdata/delivery-held-quiet-hours.json")
			}
			desc, err := s.app.Deps().Temporal.DescribeWorkflowExecution(context.Background(), "Delivery:"+d["id"].(string), "")
			if err != nil || desc.GetWorkflowExecutionInfo().GetCloseTime() != nil {
				t.Errorf("the held delivery's workflow is not waiting: %v %v", desc, err)
			}
		case mgrMia:
			if d["status"] != "sent" || d["urgent"] != true {
				t.Errorf("the manager's urgent escalation: %v", d)
			}
		}
	}
	if held != 2 || len(s.inbox()["rep-cy@closeloop.test"]) != 0 {
		t.Fatalf("rep-cy was emailed in quiet hours (%d held)", held)
	}
	time.Sleep(2 * time.Second) // anything sent twice would show by now
	if in := s.inbox(); len(in[repAna+"@closeloop.test"]) != 2 || len(in[mgrMia+"@closeloop.test"]) != 2 {
		t.Fatalf("sent again: %v", in)
	}
	// Counted on /metrics.
	resp, err := http.Get("http://" + s.app.MetricsAddr().String() + "/metrics") // the metrics listener
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for want, n := range map[string]string{`outcome="sent"`: " 4", `outcome="held",reason="quiet_hours"`: " 2"} {
		found := false
		for _, l := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(l, `closeloop_notifications_deliveries_total{channel="email"`) && strings.Contains(l, want) {
				found = true
				if !strings.HasSuffix(l, n) {
					t.Errorf("%s: want%s", l, n)
				}
			}
		}
		if !found {
			t.Errorf("/metrics has no email deliveries with %s", want)
		}
	}
}

// TestDigest: a person who chose a daily digest gets one email, at their
// hour, listing their open items due today or overdue; the reminders it
// lists are not also emailed one by one, but escalations still are, and
// the inbox has everything. It is sent once a day.
func TestDigest(t *testing.T) {
	s := newMailStack(t, testenv.SQLite(t), nil)
	// A time zone where it is between 02:00 and 21:59 now, so that "due
	// later today" has room.
	tz := "UTC"
	for _, z := range []string{"UTC", "Asia/Shanghai", "America/New_York"} {
		loc, _ := time.LoadLocation(z)
		if h := time.Now().In(loc).Hour(); h >= 2 && h <= 21 {
			tz = z
			break
		}
	}
	loc, _ := time.LoadLocation(tz)
	s.prefer(repAna, map[string]any{"time_zone": tz, "digest_hour": time.Now().In(loc).Hour() + 1})
	s.prefer(mgrMia, nil)
	over := "0190c000-0000-7000-8000-00000000f101"
	s.overdue(over, repAna, "overdue quotation")
	eventually(t, "the escalation email", 60*time.Second, func() bool { return len(s.inbox()[repAna+"@closeloop.test"]) == 1 })
	eventually(t, "the escalations sent, the reminder left to the digest", 10*time.Second, func() bool {
		n := 0
		for _, d := range s.deliveries(over) {
			if d["target"] == repAna && d["action"] == "remind" && d["status"] == "suppressed" && d["reason"] == "digest" ||
				d["action"] == "escalate_manager" && d["status"] == "sent" {
				n++
			}
		}
		return n == 3
	})
	// Her digest hour comes: she moves it to now.
	s.prefer(repAna, map[string]any{"time_zone": tz, "digest_hour": time.Now().In(loc).Hour()})
	eventually(t, "the digest", 90*time.Second, func() bool { return len(s.inbox()[repAna+"@closeloop.test"]) == 2 })
	var digest testenv.MailpitSummary
	for _, m := range s.inbox()[repAna+"@closeloop.test"] {
		h, err := s.mail.Headers(context.Background(), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(h["X-Closeloop-Kind"]) == 1 && h["X-Closeloop-Kind"][0] == "digest" {
			digest = m
		}
	}
	full, err := s.mail.Message(context.Background(), digest.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(full.Text, "overdue quotation") {
		t.Fatalf("the digest does not list the overdue item (%q):\n%s", digest.Subject, full.Text)
	}
	if r := s.call("GET", "/v1/notifications", repAna, nil); len(r.json(t)["items"].([]any)) != 2 {
		t.Fatalf("the inbox lost a message: %s", r.body)
	}
	time.Sleep(5 * time.Second) // more digest rounds (NOTIFY_DIGEST_CHECK): nothing new today
	if n := len(s.inbox()[repAna+"@closeloop.test"]); n != 2 {
		t.Fatalf("%d emails after another digest round, want 2", n)
	}
	t.Log("digest subject:", digest.Subject)
}

// TestRefusedEmail: a relay that refuses for now (451) gets the message
// again later (the Delivery workflow retries); one that refuses for good
// (550) puts the delivery on the dead-letter list at once, without holding
// up the follow-up's ladder, and an admin's retry sends it once the
// address works — even when the run that gave up had not closed yet. Only admins see and retry failed deliveries.
func TestRefusedEmail(t *testing.T) {
	s := newMailStack(t, testenv.SQLite(t), nil, "--enable-chaos")
	ctx := context.Background()
	s.prefer(repAna, nil)
	s.prefer(mgrMia, nil)
	if err := s.mail.SetChaos(ctx, testenv.MailpitChaos{Recipient: &testenv.MailpitTrigger{ErrorCode: 451, Probability: 100}}); err != nil {
		t.Fatal(err)
	}
	soon := "0190c000-0000-7000-8000-00000000f401"
	s.overdue(soon, repAna, "refused for now")
	eventually(t, "the deliveries retrying", 60*time.Second, func() bool {
		ds := s.deliveries(soon)
		for _, d := range ds {
			if d["status"] != "retrying" || d["attempts"].(float64) < 2 || !strings.Contains(d["last_error"].(string), "451") {
				return false
			}
		}
		return len(ds) == 3
	})
	// The ladder went on regardless: the follow-up is escalated.
	if st := s.call("GET", "/v1/follow-ups/"+soon, mgrMia, nil).json(t)["state"]; st != "escalated" {
		t.Fatalf("the follow-up is %v", st)
	}
	if err := s.mail.SetChaos(ctx, testenv.MailpitChaos{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the retried emails", 30*time.Second, func() bool { return len(s.inbox()) == 2 && len(s.inbox()[repAna+"@closeloop.test"]) == 2 })

	if err := s.mail.SetChaos(ctx, testenv.MailpitChaos{Recipient: &testenv.MailpitTrigger{ErrorCode: 550, Probability: 100}}); err != nil {
		t.Fatal(err)
	}
	never := "0190c000-0000-7000-8000-00000000f402"
	s.overdue(never, repAna, "refused for good")
	var failed []map[string]any
	eventually(t, "the deliveries failed", 60*time.Second, func() bool {
		failed = nil
		for _, d := range s.deliveries(never) {
			if d["status"] == "failed" && d["attempts"].(float64) == 1 && strings.Contains(d["last_error"].(string), "550") {
				failed = append(failed, d)
			}
		}
		return len(failed) == 3
	})
	r := s.call("GET", "/v1/deliveries?status=failed&channel=email", admin, nil)
	if items := r.json(t)["items"].([]any); r.status != http.StatusOK || len(items) != 3 || items[0].(map[string]any)["address"] == "" {
		t.Fatalf("the dead-letter list: %d %s", r.status, r.body)
	}
	if r := s.call("GET", "/v1/deliveries", mgrMia, nil); r.status != http.StatusForbidden {
		t.Fatalf("a manager reads the dead-letter list: %d", r.status)
	}
	if r := s.call("GET", "/v1/deliveries?status=lost", admin, nil); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("an unknown status: %d %s", r.status, r.body)
	}
	if err := s.mail.SetChaos(ctx, testenv.MailpitChaos{}); err != nil {
		t.Fatal(err)
	}
	id := failed[0]["id"].(string)
	// The run that gave up is recorded failed a workflow task before it
	// closes: a stand-in run, open on a queue nobody polls, is that moment.
	// The admin's retry must not be lost to it.
	tc := s.app.Deps().Temporal
	closing, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wfc.DeliveryWorkflowID(id), TaskQueue: "nobody-polls",
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE}, wfc.WorkflowDelivery, &followupv1.DeliverInput{DeliveryId: id})
	if err != nil {
		t.Fatal(err)
	}
	if r := s.call("POST", "/v1/deliveries/"+id+"/retry", admin, nil); r.status != http.StatusAccepted || r.json(t)["status"] != "retrying" {
		t.Fatalf("retry: %d %s", r.status, r.body)
	}
	if d, err := tc.DescribeWorkflowExecution(ctx, closing.GetID(), closing.GetRunID()); err != nil ||
		d.GetWorkflowExecutionInfo().GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_TERMINATED {
		t.Fatalf("the run that was open when the admin retried: %v %v", d.GetWorkflowExecutionInfo().GetStatus(), err)
	}
	if r := s.call("POST", "/v1/deliveries/"+id+"/retry", admin, nil); r.status != http.StatusConflict {
		t.Fatalf("a second retry of a delivery no longer failed: %d %s", r.status, r.body)
	}
	eventually(t, "the retried delivery sent", 30*time.Second, func() bool {
		for _, d := range s.deliveries(never) {
			if d["id"] == id {
				return d["status"] == "sent"
			}
		}
		return false
	})
}
