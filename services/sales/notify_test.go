package sales_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
)

// TestLeadEscalationEmails: a lead nobody contacted in time runs its
// ladder — a reminder to its owner, then an escalation to the owner and the
// team's manager — and each of them gets each message by email, once, in
// their own language: the owner chose Simplified Chinese, the manager
// English (the escalation marked urgent). The analyst set the ladder to
// remind when the lead is due and escalate a minute later; the lead
// arrived two hours ago, so both steps are past.
func TestLeadEscalationEmails(t *testing.T) {
	hostPort, namespace := testenv.Temporal(t)
	smtp, api := testenv.Mailpit(t)
	host, port, _ := net.SplitHostPort(smtp)
	s := newStack(t, testenv.Postgres, stackOpts{temporal: hostPort, namespace: namespace, followUpEnv: map[string]string{
		"SMTP_HOST": host, "SMTP_PORT": port, "SMTP_TLS": "none", "SMTP_FROM": "Closeloop <closeloop@closeloop.test>",
		"NOTIFY_POLL": "100ms", "CONSOLE_URL": "http://console.test"}})
	mail := testenv.MailpitClient{URL: api}
	policy := func(name string, value map[string]any) {
		r := s.call(s.customer.Base, "POST", "/v1/policies/"+name+"/versions", analyst, map[string]any{"value": value, "reason": "email test"})
		if r.status != 201 {
			t.Fatalf("policy %s: %d %s", name, r.status, r.body)
		}
	}
	policy("lead.first_contact_sla", map[string]any{"timer": map[string]any{"duration": "15m", "clock": "calendar"}})
	policy("lead.escalation_ladder", map[string]any{"ladder": map[string]any{"clock": "calendar", "steps": []map[string]any{
		{"after": "0m", "action": "remind"}, {"after": "1m", "action": "escalate_manager"}, {"after": "720h", "action": "reassign"}}}})
	s.northSteel(10)
	for _, u := range []string{repAna, repCy, repDan, mgrMia} {
		lang := "zh-Hans"
		if u == mgrMia {
			lang = "en"
		}
		r := s.call(s.followup.Base, "PUT", "/v1/me/notification-preferences", u, map[string]any{"language": lang, "time_zone": "Asia/Shanghai",
			"email": u + "@closeloop.test", "email_kinds": []string{"reminder", "escalation", "handover", "winback"}, "quiet_hours": nil, "digest_hour": nil})
		if r.status != 200 {
			t.Fatalf("preferences of %s: %d %s", u, r.status, r.body)
		}
	}
	received := time.Now().Add(-2 * time.Hour).UTC()
	l := s.must(201, "POST", "/v1/leads", mgrMia, map[string]any{"source": "phone", "company_name": companyName("Late Lead Ltd"),
		"region": "north", "industry": "steel", "received_at": received.Format(time.RFC3339Nano), "import": true})
	owner := l["owner_id"].(string)
	byTo := func() map[string][]testenv.MailpitSummary {
		ms, err := mail.Messages(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]testenv.MailpitSummary{}
		for _, m := range ms {
			out[m.To[0].Address] = append(out[m.To[0].Address], m)
		}
		return out
	}
	eventually(t, "the owner's two emails and the manager's one", 90*time.Second, func() bool {
		in := byTo()
		return len(in[owner+"@closeloop.test"]) == 2 && len(in[mgrMia+"@closeloop.test"]) == 1
	})
	time.Sleep(2 * time.Second) // a repeat would show by now
	in := byTo()
	if len(in) != 2 || len(in[owner+"@closeloop.test"]) != 2 || len(in[mgrMia+"@closeloop.test"]) != 1 {
		t.Fatalf("emails: %v", in)
	}
	var reminder, escalation bool
	for _, m := range in[owner+"@closeloop.test"] {
		// Chinese subjects: 到期 (due) for the reminder, 逾期 (overdue) for the escalation.
		reminder = reminder || strings.Contains(m.Subject, "到期")
		escalation = escalation || strings.Contains(m.Subject, "逾期")
		if strings.Contains(m.Subject, "Due") || strings.Contains(m.Subject, "Overdue") {
			t.Errorf("the owner's email is not in Chinese: %q", m.Subject)
		}
	}
	if !reminder || !escalation {
		t.Errorf("the owner's emails: %q, %q", in[owner+"@closeloop.test"][0].Subject, in[owner+"@closeloop.test"][1].Subject)
	}
	if sub := in[mgrMia+"@closeloop.test"][0].Subject; !strings.HasPrefix(sub, "[Closeloop] Urgent") {
		t.Errorf("the manager's escalation: %q", sub)
	}
}
