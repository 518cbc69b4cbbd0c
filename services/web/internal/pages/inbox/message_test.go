package inbox

import (
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/view"
)

func ctx(t *testing.T, lang string) *view.Ctx {
	t.Helper()
	r, err := view.New("UTC", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AddMessages("inbox", locales, "locales"); err != nil {
		t.Fatal(err)
	}
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest("GET", "/inbox", nil)
	c.Request.Header.Set("Accept-Language", lang)
	return r.Ctx(c, nil)
}

// Every step a message can be about reads as a sentence in both languages.
func TestWhatHappened(t *testing.T) {
	en, zh := ctx(t, "en"), ctx(t, "zh-CN")
	for _, c := range []struct {
		m         Message
		actor     string
		en, zhans string
	}{
		{Message{Action: "remind"}, "", "A reminder for you: this follow-up is due", "给您的提醒：此跟进已到期"},
		{Message{Action: "escalate_manager", Team: "north"}, "", "Escalated to the managers of team north", "已升级给 north 团队经理"},
		{Message{Action: "escalate_manager", Team: "north", ManagersOf: "north"}, "", "Escalated to the managers of team north", "已升级给 north 团队经理"},
		{Message{Action: "escalate_originator", Team: "service", ManagersOf: "north"}, "", "Escalated to the managers of team north, who asked for it", "已升级给发起方 north 团队的经理"},
		{Message{Action: "reassign", Team: "north"}, "", "Handed over to another rep by the escalation ladder", "升级流程已将此跟进转交给其他销售"},
		{Message{Action: "reassign", Team: "north", ManagersOf: "north"}, "", "Handed over to another rep of team north by the escalation ladder", "升级流程已将此跟进转交给 north 团队的其他销售"},
		{Message{Action: "return_to_pool", Team: "south"}, "", "Returned to the pool by the escalation ladder", "升级流程已将此跟进退回公海"},
		{Message{Action: "return_to_pool", Team: "south", ManagersOf: "south"}, "", "Returned to team south's pool by the escalation ladder: it needs a new owner", "升级流程已将此跟进退回 south 团队的公海：需要指定新的负责人"},
		{Message{Action: "call"}, "", "A win-back touch is due: call the customer", "挽回客户的联系已到期：致电客户"},
		{Message{Action: "visit"}, "", "A win-back touch is due: visit the customer", "挽回客户的联系已到期：拜访客户"},
		{Message{Action: "offer"}, "", "A win-back touch is due: make the customer an offer", "挽回客户的联系已到期：向客户提供优惠"},
		{Message{Action: "reassigned"}, "Mia (manager, north)", "Mia (manager, north) gave you this follow-up", "Mia (manager, north) 将此跟进转交给了您"},
		{Message{Action: "reassigned"}, "", "This follow-up was given to you", "此跟进已转交给您"},
		{Message{Action: "snooze"}, "", "This follow-up took a step: snooze", "此跟进执行了一个步骤：snooze"},
	} {
		if got := what(en, &c.m, c.actor); got != c.en {
			t.Errorf("%s (en): %q, want %q", c.m.Action, got, c.en)
		}
		if got := what(zh, &c.m, c.actor); got != c.zhans {
			t.Errorf("%s (zh-Hans): %q, want %q", c.m.Action, got, c.zhans)
		}
	}
}

// The badge says 99+ beyond what the service counts, in figures and words.
func TestBadge(t *testing.T) {
	x := ctx(t, "en")
	for _, c := range []struct {
		n           Count
		label, text string
	}{
		{Count{N: 0}, "0", "No unread messages"},
		{Count{N: 1}, "1", "1 unread message"},
		{Count{N: 3}, "3", "3 unread messages"},
		{Count{N: 99, More: true}, "99+", "More than 99 unread messages"},
	} {
		b := &badgeData{Ctx: x, Badge: view.InboxBadge, Count: c.n}
		if b.Label() != c.label || b.Text() != c.text {
			t.Errorf("%+v: %q, %q; want %q, %q", c.n, b.Label(), b.Text(), c.label, c.text)
		}
	}
	if got := (&badgeData{Badge: view.InboxBadge, Seen: "3"}).PollURL(); got != "/inbox/count?seen=3" {
		t.Errorf("poll URL %q", got)
	}
}
