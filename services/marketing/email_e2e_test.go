package marketing_test

import (
	"context"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// The unsubscribe links of the test stacks: signed with unsubscribeKey,
// under unsubscribeBase (the tests open them at the marketing service).
const (
	unsubscribeKey  = "a key of at least thirty-two bytes, for the marketing tests only"
	unsubscribeBase = "http://crm.test"
)

// newMailStack is the stack with the follow-up service sending email to a
// Mailpit of the test's own, and the workflow worker.
func newMailStack(t *testing.T, dsn func(testing.TB) string) (*stack, testenv.MailpitClient) {
	t.Helper()
	hostPort, namespace := testenv.Temporal(t)
	smtp, api := testenv.Mailpit(t)
	host, port, _ := net.SplitHostPort(smtp)
	s := newStackOn(t, dsn, hostPort, namespace, true, map[string]string{"SMTP_HOST": host, "SMTP_PORT": port, "SMTP_TLS": "none",
		"SMTP_FROM": "Closeloop Marketing <marketing@closeloop.test>", "NOTIFY_POLL": "100ms", "NOTIFY_RETRY_INITIAL": "1s",
		"NOTIFY_RETRY_MAX_INTERVAL": "2s"})
	return s, testenv.MailpitClient{URL: api}
}

// customerWithContact creates a customer of rep whose primary contact has
// address (none when empty).
func (s *stack) customerWithContact(rep, address string, extra map[string]any) string {
	s.t.Helper()
	contact := map[string]any{"name": "Buyer", "is_primary": true}
	if address != "" {
		contact["email"] = address
	}
	body := map[string]any{"contacts": []map[string]any{contact}}
	for k, v := range extra {
		body[k] = v
	}
	return s.customerOf(rep, body)
}

// mailTo returns the messages Mailpit caught, by recipient address.
func mailTo(t *testing.T, m testenv.MailpitClient) map[string][]testenv.MailpitMessage {
	t.Helper()
	ms, err := m.Messages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]testenv.MailpitMessage{}
	for _, sum := range ms {
		full, err := m.Message(context.Background(), sum.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, to := range sum.To {
			out[to.Address] = append(out[to.Address], full)
		}
	}
	return out
}

// historyItem is the first item on a customer's history whose title has
// text, or nil.
func (s *stack) historyItem(customer, text string) map[string]any {
	s.t.Helper()
	r := s.call(s.customer.Base, "GET", "/v1/customers/"+customer+"/history", admin, nil)
	if r.Status != http.StatusOK {
		s.t.Fatalf("history: %d %s", r.Status, r.Body)
	}
	for _, it := range r.JSON(s.t)["items"].([]any) {
		if m := it.(map[string]any); strings.Contains(m["title"].(string), text) {
			return m
		}
	}
	return nil
}

var unsubscribeLink = regexp.MustCompile(regexp.QuoteMeta(unsubscribeBase) + `/unsubscribe/[A-Za-z0-9_-]+`)

// unsubscribePath is the path of the unsubscribe link in an email, to be
// opened at the marketing service.
func unsubscribePath(t *testing.T, m testenv.MailpitMessage) string {
	t.Helper()
	link := unsubscribeLink.FindString(m.Text)
	if link == "" || !strings.Contains(m.HTML, link) {
		t.Fatalf("no unsubscribe link in the email:\n%s", m.Text)
	}
	return strings.TrimPrefix(link, unsubscribeBase)
}

// TestEmailTouchesEndToEnd, on the real Temporal dev server, both
// databases and a Mailpit catching the follow-up service's mail: a
// mailing whose channel is email sends one email per treated customer
// with an address — none to the held-out customer, none to the customer
// who had opted out — through the follow-up service's deliveries; the
// customer without an address gets no email, its owner a plan saying why;
// each email is on its customer's history. The email's unsubscribe link
// shows a page that changes nothing until its button is pressed, then opts
// the customer out. A win-back campaign whose cadence's step is an email
// sends it once, and its unsubscribe link stops the running cadence.
func TestEmailTouchesEndToEnd(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s, mail := newMailStack(t, b.DSN)
			const subject, body = "Our spring service plan", "Dear customer,\n\nour new service plan starts in April.\n\nYour Closeloop team"
			camp := s.must(201, "POST", "/v1/campaigns", mktMo, campaign(map[string]any{"name": "Spring mailing", "type": "mailing",
				"channels": []string{"email"}, "segment": map[string]any{"owner_ids": []string{repBo}}, "holdout": 0.25,
				"email_subject": subject, "email_body": body}))
			id := camp["id"].(string)
			if camp["email_subject"] != subject || camp["email_body"] != body {
				t.Fatalf("the campaign's email: %v", camp)
			}
			// Treated customers with an address, held-out ones, one without
			// an address, one who opted out before the launch.
			addr := map[string]string{}
			var treated, held []string
			var noAddress, optedOut string
			for i := 0; (len(treated) < 2 || len(held) == 0 || noAddress == "" || optedOut == "") && i < 60; i++ {
				a := sprintf("buyer%d@customer.example", i)
				c := s.customerWithContact(repBo, a, nil)
				switch {
				case domain.InHoldout(id, c, 0.25):
					held = append(held, c)
				case len(treated) >= 2 && optedOut == "":
					optedOut = c
					s.must(200, "PUT", "/v1/opt-outs/"+c, mktMay, map[string]any{"reason": "asked on the phone"})
				case len(treated) >= 2 && noAddress == "":
					if err := s.customer.App.Deps().DB.Exec("UPDATE contacts SET email = NULL WHERE customer_id = ?", c).Error; err != nil {
						t.Fatal(err)
					}
					noAddress, a = c, ""
				default:
					treated = append(treated, c)
				}
				addr[c] = a
			}
			s.must(200, "POST", "/v1/campaigns/"+id+"/approve", mgrMona, nil)
			s.must(200, "POST", "/v1/campaigns/"+id+"/launch", mktMo, nil)
			stacktest.Eventually(t, "the launch finishes", 60*time.Second, func() bool {
				return s.must(200, "GET", "/v1/campaigns/"+id, mktMo, nil)["launch"] != nil
			})
			var inbox map[string][]testenv.MailpitMessage
			stacktest.Eventually(t, "the treated customers' emails", 60*time.Second, func() bool {
				inbox = mailTo(t, mail)
				for _, c := range treated {
					if len(inbox[addr[c]]) == 0 {
						return false
					}
				}
				return true
			})
			time.Sleep(2 * time.Second) // anything sent twice or to the wrong customer would be in by now
			inbox = mailTo(t, mail)
			if n := len(inbox); n != len(treated) {
				t.Errorf("mail went to %d addresses, want the %d treated customers': %v", n, len(treated), inbox)
			}
			for _, c := range treated {
				got := inbox[addr[c]]
				if len(got) != 1 {
					t.Fatalf("%s got %d emails, want 1", addr[c], len(got))
				}
				m := got[0]
				if m.Subject != subject || !strings.Contains(m.Text, "our new service plan starts in April.") || m.To[0].Name != "Buyer" ||
					!strings.HasSuffix(m.MessageID, "@closeloop.test") {
					t.Errorf("the email to %s: %q %q %v\n%s", addr[c], m.Subject, m.MessageID, m.To, m.Text)
				}
				h, err := mail.Headers(context.Background(), m.ID)
				if err != nil {
					t.Fatal(err)
				}
				if lu := h["List-Unsubscribe"]; len(lu) != 1 || !strings.HasPrefix(lu[0], "<"+unsubscribeBase+"/unsubscribe/") ||
					h["List-Unsubscribe-Post"][0] != "List-Unsubscribe=One-Click" {
					t.Errorf("unsubscribe headers %v", h)
				}
				if it := s.historyItem(c, "Spring mailing: email “"+subject+"”"); it == nil || it["department"] != "marketing" || it["kind"] != "log" {
					t.Errorf("the email is not on %s's history: %v", c, it)
				}
				if s.findPlan(c) != nil {
					t.Errorf("an emailed customer's owner got a plan too")
				}
			}
			for _, c := range append(held, optedOut) {
				if s.historyItem(c, "Spring mailing") != nil {
					t.Errorf("%s (held out or opted out) was touched", c)
				}
			}
			var fallback map[string]any
			stacktest.Eventually(t, "the plan of the customer without an address", 30*time.Second, func() bool {
				fallback = s.historyItem(noAddress, "Spring mailing (no email address): send the offer")
				return fallback != nil
			})
			if fallback["kind"] != "plan" || fallback["actor_id"] != repBo {
				t.Errorf("the fallback plan: %v", fallback)
			}
			sent := s.call(s.followup.Base, "GET", "/v1/deliveries?status=sent&channel=email", admin, nil).JSON(t)["items"].([]any)
			if len(sent) != len(treated) || sent[0].(map[string]any)["kind"] != "touch" || sent[0].(map[string]any)["attempts"] != float64(1) {
				t.Errorf("sent deliveries: %v", sent)
			}

			// The link: its page changes nothing; its button opts out.
			path := unsubscribePath(t, inbox[addr[treated[0]]][0])
			page := s.call(s.marketing.Base, "GET", path, "", nil)
			if page.Status != http.StatusOK || !strings.Contains(string(page.Body), `<form method="post"`) || page.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("the page: %d %s", page.Status, page.Body)
			}
			if r := s.api("GET", "/v1/opt-outs/"+treated[0], mktMo, nil); r.Status != http.StatusNotFound {
				t.Fatalf("opening the page opted the customer out: %d %s", r.Status, r.Body)
			}
			done := s.call(s.marketing.Base, "POST", path+"?lang=zh-Hans", "", nil)
			if done.Status != http.StatusOK || !strings.Contains(string(done.Body), "您已退订") {
				t.Fatalf("pressing the button: %d %s", done.Status, done.Body)
			}
			if o := s.must(200, "GET", "/v1/opt-outs/"+treated[0], mktMo, nil); o["by"] != "customer (unsubscribe link)" ||
				!strings.Contains(o["reason"].(string), "Spring mailing") {
				t.Errorf("the opt-out: %v", o)
			}
			if v := s.call(s.marketing.Base, "GET", "/public/v1/unsubscribe"+strings.TrimPrefix(path, "/unsubscribe"), "", nil).JSON(t); v["opted_out"] != true {
				t.Errorf("the link after: %v", v)
			}
			if b.Name == "postgres" {
				testenv.SaveHistory(t, s.marketing.App.Deps().Temporal, wfc.CampaignLaunchWorkflowID(id), "../../workflows/campaign/testdata/launch-email-bulk.json")
			}

			// Win-back: a cadence of one email step, sent once; its link
			// stops the running cadence.
			s.setPolicy("winback.cadence", map[string]any{"ladder": map[string]any{"clock": "calendar",
				"steps": []any{map[string]any{"after": "0m", "action": "email"}}}})
			wb := s.must(201, "POST", "/v1/campaigns", mktMo, campaign(map[string]any{"name": "Win them back", "type": "winback",
				"channels": []string{"phone_call", "email"}, "segment": map[string]any{"owner_ids": []string{repAna}}, "holdout": 0,
				"email_subject": "We would like you back", "email_body": "Dear former customer,\n\nlet us talk."}))["id"].(string)
			lost := s.customerWithContact(repAna, "former@customer.example", nil)
			if r := s.call(s.customer.Base, "POST", "/v1/customers/"+lost+"/lifecycle", repAna, map[string]any{"to": "lost", "reason": "price"}); r.Status != http.StatusOK {
				t.Fatalf("lose: %d %s", r.Status, r.Body)
			}
			if err := s.customer.App.Deps().DB.Exec("UPDATE customers SET lost_at = ? WHERE id = ?", time.Now().Add(-200*24*time.Hour), lost).Error; err != nil {
				t.Fatal(err)
			}
			s.must(200, "POST", "/v1/campaigns/"+wb+"/approve", mgrMona, nil)
			s.must(200, "POST", "/v1/campaigns/"+wb+"/launch", mktMo, nil)
			stacktest.Eventually(t, "the win-back email", 60*time.Second, func() bool {
				return len(mailTo(t, mail)["former@customer.example"]) > 0
			})
			enrolment := func() map[string]any {
				for _, it := range s.must(200, "GET", "/v1/campaigns/"+wb+"/enrolments", mktMo, nil)["items"].([]any) {
					if e := it.(map[string]any); e["customer_id"] == lost {
						return e
					}
				}
				return nil
			}
			stacktest.Eventually(t, "the email counted as the cadence's touch", 30*time.Second, func() bool {
				e := enrolment()
				return e != nil && e["touches"] == float64(1)
			})
			time.Sleep(2 * time.Second)
			got := mailTo(t, mail)["former@customer.example"]
			if len(got) != 1 || got[0].Subject != "We would like you back" {
				t.Fatalf("the win-back emails: %v", got)
			}
			if s.findPlan(lost) != nil || s.historyItem(lost, "Win them back: email “We would like you back”") == nil {
				t.Errorf("the win-back email on the history, and no plan: %s", s.call(s.customer.Base, "GET", "/v1/customers/"+lost+"/history", admin, nil).Body)
			}
			if e := enrolment(); e["state"] != "active" {
				t.Fatalf("the cadence ended before the unsubscribe: %v", e)
			}
			if r := s.call(s.marketing.Base, "POST", unsubscribePath(t, got[0]), "", nil); r.Status != http.StatusOK {
				t.Fatalf("unsubscribe: %d %s", r.Status, r.Body)
			}
			stacktest.Eventually(t, "the unsubscribe stops the cadence", 60*time.Second, func() bool {
				e := enrolment()
				return e["state"] == "ended" && e["outcome"] == "opted_out"
			})
			if b.Name == "postgres" {
				testenv.SaveHistory(t, s.marketing.App.Deps().Temporal, wfc.WinBackWorkflowID(lost, wb), "../../workflows/winback/testdata/winback-prefetch-email-then-unsubscribed.json")
			}
		})
	}
}
