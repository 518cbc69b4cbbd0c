package messages

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestRenderCampaign: each campaign event has its words in both languages,
// names the campaign, who did it and links to its page; a launch's totals
// are in it; an event to the wrong audience is refused.
func TestRenderCampaign(t *testing.T) {
	at := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	for _, lang := range []string{"en", "zh-Hans"} {
		for action, toManagers := range map[string]bool{"approval_requested": true, "approved": false, "cancelled": false, "launch_finished": false, "completed": false} {
			m := CampaignMessage{Action: action, Language: lang, TimeZone: "Asia/Shanghai", RecipientName: "Mona", ToManagers: toManagers,
				CampaignName: "Spring cross-sell", Team: "marketing", OwnerName: "Mo", ActorName: "Mia", At: at,
				Counts: map[string]int64{"enrolled": 41, "held_out": 5, "skipped": 2}, Note: "budget cut",
				Link: "https://crm.example.com/campaigns/c1", SettingsLink: "https://crm.example.com/settings/notifications"}
			out, err := RenderCampaign(m)
			if err != nil {
				t.Fatalf("%s %s: %v", lang, action, err)
			}
			for _, want := range []string{"Spring cross-sell", "https://crm.example.com/campaigns/c1", "Asia/Shanghai"} {
				if !strings.Contains(out.Text, want) || !strings.Contains(out.HTML, want) {
					t.Errorf("%s %s: %q missing from\n%s", lang, action, want, out.Text)
				}
			}
			if !strings.Contains(out.Subject, "Spring cross-sell") {
				t.Errorf("%s %s: subject %q", lang, action, out.Subject)
			}
			if action == "launch_finished" && !(strings.Contains(out.Text, "41") && strings.Contains(out.Text, "5") && strings.Contains(out.Text, "2")) {
				t.Errorf("%s: the totals are missing: %s", lang, out.Text)
			}
			if action == "cancelled" && !strings.Contains(out.Text, "budget cut") {
				t.Errorf("%s: the reason is missing: %s", lang, out.Text)
			}
			if lang == "zh-Hans" && strings.Contains(out.Subject, "Approved") {
				t.Errorf("zh subject in English: %s", out.Subject)
			}
			if s := CampaignSummary(m); !strings.Contains(s, "Spring cross-sell") {
				t.Errorf("%s %s: summary %q", lang, action, s)
			}
			m.ToManagers = !toManagers
			if _, err := RenderCampaign(m); !errors.Is(err, ErrUnknownMessage) {
				t.Errorf("%s %s to the other audience: %v", lang, action, err)
			}
		}
	}
	if _, err := RenderCampaign(CampaignMessage{Action: "launched", At: at}); !errors.Is(err, ErrUnknownMessage) {
		t.Errorf("unknown event: %v", err)
	}
}
