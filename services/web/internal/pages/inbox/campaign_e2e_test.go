package inbox_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/webtest"
)

// TestCampaignMessagesInTheInbox: messages about a campaign's events (as the
// follow-up service stores them for followup.Notify: no follow-up) show in
// the console's inbox with what happened, a launch's totals, a link to the
// campaign's page and no due time, state or board link, in both languages;
// they are marked read like any message.
func TestCampaignMessagesInTheInbox(t *testing.T) {
	s := webtest.New(t, webtest.Opts{NoTemporal: true})
	campaign := uuid.NewString()
	at := time.Now().Add(-time.Hour).UTC()
	db := s.FollowUp.Deps().DB
	insert := func(id, action, userID, managersOf, actorName, counts string) {
		t.Helper()
		var user, managers any
		if userID != "" {
			user = userID
		}
		if managersOf != "" {
			managers = managersOf
		}
		if err := db.Exec(`INSERT INTO notifications (id, follow_up_id, kind, title, customer_id, team, owner_id, level, action, user_id, managers_of,
			urgent, due_at, at, actor, actor_name, campaign_id, link, counts, note, dispatched_at)
			VALUES (?, '', 'campaign', 'Spring <sale>', '', 'north', ?, 0, ?, ?, ?, false, ?, ?, 'someone', ?, ?, ?, ?, '', ?)`,
			id, stacktest.RepAna, action, user, managers, at, at, actorName, campaign, "/campaigns/"+campaign, counts, at).Error; err != nil {
			t.Fatal(err)
		}
	}
	launched, asked := uuid.NewString(), uuid.NewString()
	insert(launched, "launch_finished", stacktest.RepAna, "", "", `{"enrolled":120,"held_out":13,"skipped":4}`)
	insert(asked, "approval_requested", "", "north", "Ana Rep", `{}`)

	ana, mia := s.Client(t, stacktest.RepAna), s.Client(t, stacktest.MgrMia)
	p := ana.Get("/inbox")
	has(t, "the owner's inbox", p, http.StatusOK, "Your campaign&#39;s launch has finished",
		"Enrolled 120 · held out (control group) 13 · skipped 4", `href="/campaigns/`+campaign+`"`, "Open the campaign", "Spring &lt;sale&gt;", ">Campaign<")
	lacks(t, "the owner's inbox", p, "/board/items/", "Ana Rep asks", "Still open")
	p = mia.Get("/inbox")
	has(t, "the manager's inbox", p, http.StatusOK, "Ana Rep asks the managers of team north to approve a campaign", `href="/campaigns/`+campaign+`"`)
	lacks(t, "the manager's inbox", p, "/board/items/", "Due ")
	has(t, "the manager's inbox in Chinese", mia.Get("/inbox", "Accept-Language", "zh-CN,zh;q=0.9"), http.StatusOK,
		"Ana Rep 请 north 团队的经理审批一个营销活动", "打开营销活动", ">营销活动<")
	has(t, "marked read", ana.Post("/inbox/"+launched+"/read", nil), http.StatusOK)
	if n := unread(t, s, stacktest.RepAna); n != 0 {
		t.Fatalf("%d unread after marking the campaign's message read", n)
	}
}
