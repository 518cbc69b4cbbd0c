package marketing_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/internal/stacktest"
)

// TestCampaignNotices, on the real Temporal server and both databases,
// across the marketing and follow-up services: a request for approval
// lands in the inbox of the campaign's team's marketing manager (linked to
// the campaign, no follow-up), once — even when the outbox hands the same
// event over again twice; the approval by the manager, the launch's end
// with its totals and the completion by the manager land in the owner's.
func TestCampaignNotices(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			hostPort, namespace := testenv.Temporal(t)
			smtp, api := testenv.Mailpit(t)
			host, port, _ := net.SplitHostPort(smtp)
			s := newStackOn(t, b.DSN, hostPort, namespace, true, map[string]string{"SMTP_HOST": host, "SMTP_PORT": port, "SMTP_TLS": "none",
				"SMTP_FROM": "Closeloop <closeloop@closeloop.test>", "CONSOLE_URL": "http://console.test", "NOTIFY_POLL": "100ms"})
			mail := testenv.MailpitClient{URL: api}
			// Mona takes every kind by email, in Chinese; Mo no campaign
			// news by email (the inbox has it all the same).
			for user, p := range map[string]map[string]any{
				mgrMona: {"language": "zh-Hans", "email": "mona@closeloop.test", "email_kinds": []string{"escalation", "campaign"}},
				mktMo:   {"language": "en", "email": "mo@closeloop.test", "email_kinds": []string{"reminder"}},
			} {
				body := map[string]any{"time_zone": "Asia/Shanghai", "quiet_hours": nil, "digest_hour": nil}
				for k, v := range p {
					body[k] = v
				}
				if r := s.call(s.followup.Base, "PUT", "/v1/me/notification-preferences", user, body); r.Status != 200 {
					t.Fatalf("preferences of %s: %d %s", user, r.Status, r.Body)
				}
			}
			for range 4 {
				s.customerOf(repBo, nil)
			}
			id := s.must(201, "POST", "/v1/campaigns", mktMo, campaign(map[string]any{"name": "Autumn visits", "type": "visit_drive",
				"channels": []string{"visit"}, "segment": map[string]any{"owner_ids": []string{repBo}}, "holdout": 0.25}))["id"].(string)
			inbox := func(user, action string) []map[string]any {
				t.Helper()
				r := s.call(s.followup.Base, "GET", "/v1/notifications", user, nil)
				if r.Status != 200 {
					t.Fatalf("inbox of %s: %d %s", user, r.Status, r.Body)
				}
				var out []map[string]any
				for _, it := range r.JSON(t)["items"].([]any) {
					m := it.(map[string]any)
					if m["campaign_id"] == id && m["action"] == action {
						out = append(out, m)
					}
				}
				return out
			}
			waitFor := func(user, action string) map[string]any {
				t.Helper()
				var got []map[string]any
				stacktest.Eventually(t, action+" in the inbox of "+user, 60*time.Second, func() bool {
					got = inbox(user, action)
					return len(got) > 0
				})
				if len(got) != 1 {
					t.Fatalf("%s: %d messages in the inbox of %s, want 1: %v", action, len(got), user, got)
				}
				return got[0]
			}

			s.must(200, "POST", "/v1/campaigns/"+id+"/request-approval", mktMo, nil)
			m := waitFor(mgrMona, "approval_requested")
			if m["kind"] != "campaign" || m["link"] != "/campaigns/"+id || m["follow_up_id"] != "" || m["managers_of"] != "marketing" ||
				m["title"] != "Autumn visits" || m["actor"] != mktMo || m["actor_name"] != "Mo (marketing)" {
				t.Fatalf("the manager's message: %v", m)
			}
			var sent []testenv.MailpitMessage
			stacktest.Eventually(t, "the manager's email", 30*time.Second, func() bool {
				sent = mailTo(t, mail)["mona@closeloop.test"]
				return len(sent) > 0
			})
			if e := sent[0]; e.Subject != "[Closeloop] 请审批：Autumn visits" || !strings.Contains(e.Text, "http://console.test/campaigns/"+id) ||
				!strings.Contains(e.Text, "Mo (marketing) 请 marketing 团队的经理审批") {
				t.Fatalf("the manager's email: %s\n%s", e.Subject, e.Text)
			}
			if got := inbox(mgrNico, "approval_requested"); len(got) != 0 {
				t.Fatalf("another team's manager was told: %v", got)
			}
			// The outbox hands the same event over again, twice (as after a
			// crash between starting its workflow and recording so): still
			// one message.
			for i := range 2 {
				if err := s.db.Exec("UPDATE campaign_events SET sent_at = NULL WHERE campaign_id = ?", id).Error; err != nil {
					t.Fatal(err)
				}
				stacktest.Eventually(t, "the outbox hands the event over again", 30*time.Second, func() bool {
					var n int64
					s.db.Table("campaign_events").Where("campaign_id = ? AND sent_at IS NULL", id).Count(&n)
					return n == 0
				})
				if got := inbox(mgrMona, "approval_requested"); len(got) != 1 {
					t.Fatalf("after hand-over %d: %d messages, want 1", i+1, len(got))
				}
			}

			if b.Name == "postgres" { // for the workflows' replay test (UPDATE_HISTORIES=1)
				var eventID string
				if err := s.db.Table("campaign_events").Select("id").Where("campaign_id = ?", id).Scan(&eventID).Error; err != nil {
					t.Fatal(err)
				}
				testenv.SaveHistory(t, s.marketing.App.Deps().Temporal, wfc.CampaignNoticeWorkflowID(eventID),
					"../../workflows/campaign/testdata/notice-approval-requested.json")
			}
			s.must(200, "POST", "/v1/campaigns/"+id+"/approve", mgrMona, nil)
			if m := waitFor(mktMo, "approved"); m["managers_of"] != nil || m["actor"] != mgrMona {
				t.Fatalf("approved: %v", m)
			}
			s.must(200, "POST", "/v1/campaigns/"+id+"/launch", mktMo, nil)
			m = waitFor(mktMo, "launch_finished")
			launch := s.must(200, "GET", "/v1/campaigns/"+id, mktMo, nil)["launch"].(map[string]any)
			counts := m["counts"].(map[string]any)
			if counts["enrolled"] != launch["enrolled"] || counts["held_out"] != launch["held_out"] || counts["skipped"] != launch["skipped"] ||
				counts["enrolled"].(float64)+counts["held_out"].(float64) != 4 {
				t.Fatalf("launch finished: %v, the campaign's launch %v", counts, launch)
			}
			s.must(200, "POST", "/v1/campaigns/"+id+"/complete", mgrMona, nil)
			waitFor(mktMo, "completed")
			if got := inbox(mktMo, "approval_requested"); len(got) != 0 {
				t.Fatalf("the owner, who is no manager, was told of the request: %v", got)
			}
			// Exactly one email to Mona however often the event was handed
			// over; none to Mo, who takes no campaign news by email.
			time.Sleep(time.Second)
			got := mailTo(t, mail)
			if len(got["mona@closeloop.test"]) != 1 || len(got["mo@closeloop.test"]) != 0 {
				t.Fatalf("emails: %d to mona, %d to mo", len(got["mona@closeloop.test"]), len(got["mo@closeloop.test"]))
			}
		})
	}
}
