package messages

import (
	"errors"
	"html"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, whatever the machine has installed

	"github.com/closeloop/closeloop/services/followup/internal/domain"
	"github.com/closeloop/closeloop/workflows/policy"
)

// due is Thu 3 Dec 2026, 15:00 in Shanghai; the steps below run 1 d 2 h 5
// min after it.
var due = time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)

func shanghai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func item(title string) Item {
	return Item{ID: "f1", Kind: "first_contact", Title: title, CustomerID: "c-1", CustomerName: "Acme Steel", Team: "north", OwnerID: "rep-ana", OwnerName: "Ana Li",
		DueAt: due, Calendar: "cn-mainland", Link: "https://crm.example/followups/f1"}
}

func message(t *testing.T, action string, toManagers bool, lang string) Message {
	return Message{Action: action, Language: lang, Location: shanghai(t), TimeZone: "Asia/Shanghai", RecipientName: "Mia",
		ToManagers: toManagers, Urgent: toManagers && action == "escalate_manager", Level: 2, At: due.Add(26*time.Hour + 5*time.Minute),
		ActorName: "Mia Wong", Item: item("First contact: Acme Steel"), InboxLink: "https://crm.example/inbox", SettingsLink: "https://crm.example/settings"}
}

// steps are every (action, audience) Closeloop tells someone of
// (domain.AudienceOf).
var steps = []struct {
	action     string
	toManagers bool
}{
	{"remind", false}, {"escalate_manager", false}, {"escalate_manager", true}, {"escalate_originator", false}, {"escalate_originator", true}, {"reassign", false}, {"reassign", true},
	{"return_to_pool", false}, {"return_to_pool", true}, {"reassigned", false}, {"call", false}, {"visit", false}, {"offer", false},
}

var dueIn = map[string]string{
	"en":      "Thu 3 Dec 2026, 15:00 (Asia/Shanghai; business calendar cn-mainland)",
	"zh-Hans": "2026年12月3日 周四 15:00 (Asia/Shanghai；工作日历 cn-mainland)",
}

func TestEveryStepInEveryLanguage(t *testing.T) {
	late := map[string]string{"en": "Overdue by: 1 d 2 h", "zh-Hans": "逾期时长：1 天 2 小时"}
	for _, lang := range Languages() {
		subjects := map[string]bool{}
		for _, s := range steps {
			m := message(t, s.action, s.toManagers, lang)
			name := lang + " " + s.action + map[bool]string{true: " to managers", false: " to owner"}[s.toManagers]
			r, err := Render(m)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !strings.HasPrefix(r.Subject, "[Closeloop] ") || !strings.Contains(r.Subject, "First contact: Acme Steel") {
				t.Errorf("%s: subject %q", name, r.Subject)
			}
			if subjects[r.Subject] {
				t.Errorf("%s: subject %q is also another step's", name, r.Subject)
			}
			subjects[r.Subject] = true
			for part, body := range map[string]string{"text": r.Text, "HTML": r.HTML} {
				for _, want := range []string{"First contact: Acme Steel", dueIn[lang], "https://crm.example/followups/f1", "https://crm.example/settings", "https://crm.example/inbox"} {
					if !strings.Contains(body, want) {
						t.Errorf("%s %s lacks %q:\n%s", name, part, want, body)
					}
				}
			}
			if !strings.Contains(r.Text, late[lang]) {
				t.Errorf("%s: the text does not say how late it is (%q):\n%s", name, late[lang], r.Text)
			}
			if !strings.Contains(r.HTML, `<html lang="`+lang+`">`) {
				t.Errorf("%s: the HTML does not declare its language", name)
			}
			if sum := Summary(m); !strings.Contains(sum, "First contact: Acme Steel") || strings.Contains(sum, "\n") {
				t.Errorf("%s: summary %q", name, sum)
			}
			if lang == "zh-Hans" {
				assertNoEnglish(t, name+" subject", r.Subject)
				assertNoEnglish(t, name+" summary", Summary(m))
			}
		}
	}
}

// assertNoEnglish fails when s has Latin letters besides those of the values
// it names (the product, the title, team, people, zone and calendar): a
// template word left untranslated.
func assertNoEnglish(t *testing.T, name, s string) {
	t.Helper()
	rest := s
	for _, v := range []string{"[Closeloop]", "First contact: Acme Steel", "Ana Li", "Mia Wong", "north", "Asia/Shanghai", "cn-mainland"} {
		rest = strings.ReplaceAll(rest, v, "")
	}
	if regexp.MustCompile(`[A-Za-z]`).MatchString(rest) {
		t.Errorf("%s has English words: %q (left %q)", name, s, rest)
	}
}

func TestSubjectsAndSummaries(t *testing.T) {
	zh := func(m Message) Message { m.Language, m.Item.Title = "zh-Hans", "首次联系：Acme Steel"; return m }
	remind := message(t, "remind", false, "en")
	escalate := message(t, "escalate_manager", true, "en")
	given, nobody := message(t, "reassigned", false, "en"), message(t, "reassigned", false, "en")
	nobody.ActorName = ""
	for _, c := range []struct {
		m    Message
		want string
	}{
		{remind, "[Closeloop] Due: First contact: Acme Steel"},
		{zh(remind), "[Closeloop] 到期：首次联系：Acme Steel"},
		{escalate, "[Closeloop] Urgent: Overdue in team north: First contact: Acme Steel"},
		{zh(escalate), "[Closeloop] 紧急：north 团队跟进逾期：首次联系：Acme Steel"},
		{given, "[Closeloop] Mia Wong gave you a follow-up: First contact: Acme Steel"},
		{zh(given), "[Closeloop] Mia Wong 将一条跟进转交给您：首次联系：Acme Steel"},
		{nobody, "[Closeloop] A follow-up was given to you: First contact: Acme Steel"},
	} {
		r, err := Render(c.m)
		if err != nil || r.Subject != c.want {
			t.Errorf("subject %q, %v; want %q", r.Subject, err, c.want)
		}
	}
	for _, c := range []struct {
		m    Message
		want string
	}{
		{remind, "Reminder: First contact: Acme Steel is due Thu 3 Dec 15:00 (Asia/Shanghai, cn-mainland)"},
		{zh(remind), "提醒：首次联系：Acme Steel 于 12月3日 周四 15:00 (Asia/Shanghai，cn-mainland) 到期"},
		{escalate, "Urgent: Overdue in team north: First contact: Acme Steel, owned by Ana Li, was due Thu 3 Dec 15:00 (Asia/Shanghai, cn-mainland)"},
	} {
		if got := Summary(c.m); got != c.want {
			t.Errorf("summary %q, want %q", got, c.want)
		}
	}
}

func TestTimesInTheRecipientsZone(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	m := message(t, "remind", false, "en")
	m.Item.Calendar = ""
	for _, c := range []struct {
		name string
		loc  *time.Location
		zone string
		want string
	}{
		{"a location", ny, "America/New_York", "Thu 3 Dec 2026, 02:00 (America/New_York)"},
		{"a location without its name", ny, "", "Thu 3 Dec 2026, 02:00 (America/New_York)"},
		{"only the zone's name", nil, "Asia/Shanghai", "Thu 3 Dec 2026, 15:00 (Asia/Shanghai)"},
		{"no zone", nil, "", "Thu 3 Dec 2026, 07:00 (UTC)"},
		{"a zone that does not exist", nil, "Mars/Olympus", "Thu 3 Dec 2026, 07:00 (UTC)"},
	} {
		m.Location, m.TimeZone = c.loc, c.zone
		r, err := Render(m)
		if err != nil || !strings.Contains(r.Text, "Due: "+c.want+"\n") || !strings.Contains(r.HTML, c.want) {
			t.Errorf("%s: want %q in:\n%s (%v)", c.name, c.want, r.Text, err)
		}
		if strings.Contains(r.Text, "business calendar") {
			t.Errorf("%s: names a business calendar the item has none of", c.name)
		}
	}
}

func TestUserValuesAreEscapedInHTMLOnly(t *testing.T) {
	m := message(t, "escalate_manager", true, "en")
	m.Item.Title, m.Item.OwnerName = `<script>alert("x")</script> & Co`, "<b>Ana</b>"
	m.Item.Link = "javascript:alert(1)"
	r, err := Render(m)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.HTML, "<script>") || strings.Contains(r.HTML, "<b>Ana") || strings.Contains(r.HTML, "javascript:") {
		t.Errorf("the HTML lets a user's markup or script through:\n%s", r.HTML)
	}
	if !strings.Contains(r.HTML, html.EscapeString(m.Item.Title)) || !strings.Contains(r.HTML, "&lt;b&gt;Ana&lt;/b&gt;") {
		t.Errorf("the HTML does not show the title and owner as text:\n%s", r.HTML)
	}
	if !strings.Contains(r.Text, m.Item.Title+"\n") || !strings.Contains(r.Subject, m.Item.Title) || !strings.Contains(r.Text, "Owner: <b>Ana</b>") {
		t.Errorf("the text and subject must show values as they are:\n%s\n%s", r.Subject, r.Text)
	}
}

func TestFallbacks(t *testing.T) {
	m := message(t, "escalate_manager", true, "fr")
	m.Item.Title, m.Item.Kind, m.Item.OwnerName, m.At = "", "callback", "", due.Add(-time.Hour)
	m.Item.Link, m.InboxLink, m.SettingsLink, m.RecipientName = "", "", "", ""
	r, err := Render(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<html lang="en">`, "<h2 style=\"margin:0 0 8px;font-size:18px;line-height:1.3;\">Call-back</h2>", "Owner</th><td style=\"padding:2px 0;\">rep-ana<",
		"Change what you receive in your notification settings in Closeloop."} {
		if !strings.Contains(r.HTML, want) {
			t.Errorf("HTML lacks %q:\n%s", want, r.HTML)
		}
	}
	for _, absent := range []string{"Overdue by", "Hello", "Open the follow-up", "Open your inbox", "<a "} {
		if strings.Contains(r.Text+r.HTML, absent) {
			t.Errorf("shows %q though there is nothing to show:\n%s\n%s", absent, r.Text, r.HTML)
		}
	}
	if r.Subject != "[Closeloop] Urgent: Overdue in team north: Call-back" {
		t.Errorf("subject %q", r.Subject)
	}
	m.Language, m.Item.Kind = "zh-Hans", "lunch"
	if r, _ := Render(m); !strings.HasSuffix(r.Subject, "团队跟进逾期：lunch") || !strings.Contains(r.Text, "类型：lunch\n") {
		t.Errorf("an unknown kind must show as stored: %q\n%s", r.Subject, r.Text)
	}
	m.At = due.Add(30 * time.Second)
	if r, _ := Render(m); !strings.Contains(r.Text, "逾期时长：不到 1 分钟\n") {
		t.Errorf("half a minute late:\n%s", r.Text)
	}
}

func TestUnknownMessagesAreRefused(t *testing.T) {
	for _, c := range []struct {
		name, kind, action string
		toManagers         bool
	}{
		{"an unknown action", "", "dance", false},
		{"a kind that is not the action's", "escalation", "remind", false},
		{"a reminder to the managers", "reminder", "remind", true},
		{"a win-back touch to the managers", "", "call", true},
	} {
		m := message(t, c.action, c.toManagers, "en")
		m.Kind = c.kind
		r, err := Render(m)
		if !errors.Is(err, ErrUnknownMessage) || !strings.Contains(err.Error(), `"`+c.action+`"`) || r != (Rendered{}) {
			t.Errorf("%s: %v, %+v", c.name, err, r)
		}
	}
	m := message(t, "escalate_manager", true, "en")
	m.Item.Team = ""
	if _, err := Render(m); !errors.Is(err, ErrUnknownMessage) {
		t.Errorf("an escalation to the managers of no team: %v", err)
	}
	m = message(t, "dance", false, "zh-Hans")
	if got := Summary(m); got != "跟进步骤 dance：First contact: Acme Steel 于 12月3日 周四 15:00 (Asia/Shanghai，cn-mainland) 到期" {
		t.Errorf("an unknown step's summary: %q", got)
	}
	m.Kind, m.Action = "escalation", "escalate_manager"
	if _, err := Render(m); err != nil {
		t.Errorf("the kind matching the action is refused: %v", err)
	}
}

func digest(t *testing.T, lang string) Digest {
	at := func(h int, title string) Item {
		it := item(title)
		it.DueAt = due.Add(time.Duration(h) * time.Hour)
		return it
	}
	return Digest{Language: lang, Location: shanghai(t), TimeZone: "Asia/Shanghai", RecipientName: "Ana", Date: "2026-12-03", Now: due,
		Owned:     []Item{at(3, "Later today"), at(-30, "Two days late"), at(1, "Soon"), at(-2, "Just late"), at(5, "Evening")},
		InboxLink: "https://crm.example/inbox", SettingsLink: "https://crm.example/settings", BoardLink: "https://crm.example/board"}
}

func TestDigestForARep(t *testing.T) {
	for lang, want := range map[string]string{
		"en":      "[Closeloop] Your follow-ups for Thu 3 Dec: 3 due, 2 overdue",
		"zh-Hans": "[Closeloop] 12月3日 周四 跟进汇总：今日到期 3 条，已逾期 2 条",
	} {
		d := digest(t, lang)
		r, err := RenderDigest(d)
		if err != nil {
			t.Fatal(err)
		}
		if r.Subject != want {
			t.Errorf("%s subject %q, want %q", lang, r.Subject, want)
		}
		for part, body := range map[string]string{"text": r.Text, "HTML": r.HTML} {
			if at := []int{strings.Index(body, "Two days late"), strings.Index(body, "Just late"), strings.Index(body, "Soon"),
				strings.Index(body, "Later today"), strings.Index(body, "Evening")}; !slices.IsSorted(at) || at[0] < 0 {
				t.Errorf("%s %s: the items are not by due time (%v):\n%s", lang, part, at, body)
			}
			for _, absent := range []string{"Your teams' overdue items", "Your teams&#39; overdue items", "您团队的逾期跟进", "Ana Li"} {
				if strings.Contains(body, absent) {
					t.Errorf("%s %s: a rep's digest shows %q", lang, part, absent)
				}
			}
			if !strings.Contains(body, "https://crm.example/settings") || !strings.Contains(body, "https://crm.example/followups/f1") {
				t.Errorf("%s %s lacks the settings or the item link:\n%s", lang, part, body)
			}
		}
	}
	r, _ := RenderDigest(digest(t, "en"))
	if !strings.Contains(r.Text, "* Two days late\n  Kind: First contact with a lead\n  Customer: Acme Steel\n  Team: north\n  Due: Wed 2 Dec 2026, 09:00 (Asia/Shanghai; business calendar cn-mainland)\n  Overdue by: 1 d 6 h\n") ||
		!strings.Contains(r.Text, "* Soon\n  Kind: First contact with a lead\n  Customer: Acme Steel\n  Team: north\n  Due: Thu 3 Dec 2026, 16:00 (Asia/Shanghai; business calendar cn-mainland)\n  https://") {
		t.Errorf("the overdue and the due item read wrong:\n%s", r.Text)
	}
	if !strings.Contains(r.HTML, `<html lang="en">`) || !strings.Contains(r.HTML, "You receive this daily digest because") {
		t.Errorf("the HTML lacks its language or the footer:\n%s", r.HTML)
	}
}

func TestDigestForAManager(t *testing.T) {
	d := digest(t, "en")
	d.Owned, d.Teams = nil, d.Owned[1:2]
	d.Teams[0].OwnerName = "Bo Chen"
	r, err := RenderDigest(d)
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "[Closeloop] Your follow-ups for Thu 3 Dec: 1 overdue in your teams" {
		t.Errorf("subject %q", r.Subject)
	}
	for _, want := range []string{"Nothing of yours is due today or overdue.", "Your teams' overdue items\n\n* Two days late\n", "  Owner: Bo Chen\n",
		"Open the overdue board: https://crm.example/board"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, r.Text)
		}
	}
	if !strings.Contains(r.HTML, "Your teams&#39; overdue items</h2>") || !strings.Contains(r.HTML, "Bo Chen") {
		t.Errorf("the HTML lacks the teams' section:\n%s", r.HTML)
	}
	d.Language = "zh-Hans"
	if r, _ := RenderDigest(d); r.Subject != "[Closeloop] 12月3日 周四 跟进汇总：团队逾期 1 条" || !strings.Contains(r.Text, "您团队的逾期跟进\n") {
		t.Errorf("zh: %q\n%s", r.Subject, r.Text)
	}
}

func TestDigestRefusals(t *testing.T) {
	d := digest(t, "en")
	d.Owned = nil
	if _, err := RenderDigest(d); !errors.Is(err, ErrEmptyDigest) {
		t.Errorf("an empty digest: %v", err)
	}
	d = digest(t, "en")
	d.Date = "3 Dec"
	if _, err := RenderDigest(d); err == nil {
		t.Error("a digest for no date was written")
	}
	d.Date, d.Now = "", time.Time{}
	if _, err := RenderDigest(d); err == nil {
		t.Error("a digest without Now was written")
	}
	d.Now = time.Date(2026, 12, 2, 20, 0, 0, 0, time.UTC) // already the 3rd in Shanghai
	if r, err := RenderDigest(d); err != nil || !strings.HasPrefix(r.Subject, "[Closeloop] Your follow-ups for Thu 3 Dec: ") {
		t.Errorf("a digest without a date is for Now's day where the reader is: %q, %v", r.Subject, err)
	}
}

func TestCataloguesAgree(t *testing.T) {
	if got := Languages(); !slices.Equal(got, []string{"en", "zh-Hans"}) || !slices.Equal(got, domain.Languages) {
		t.Errorf("Languages() = %v, the preferences offer %v", got, domain.Languages)
	}
	en, zh := slices.Sorted(maps.Keys(catalog["en"])), slices.Sorted(maps.Keys(catalog["zh-Hans"]))
	if !slices.Equal(en, zh) {
		t.Errorf("the catalogues' entries differ:\nen %v\nzh %v", en, zh)
	}
	for lang, words := range catalog {
		for key, text := range words {
			if strings.TrimSpace(text) == "" {
				t.Errorf("%s %s is empty", lang, key)
			}
		}
	}
	for _, k := range policy.Kinds() {
		if _, ok := catalog["zh-Hans"]["kind."+k.Name]; !ok {
			t.Errorf("kind %s has no name", k.Name)
		}
	}
	for action, kind := range eventKinds {
		if domain.EventKindOf(action) != kind {
			t.Errorf("%s is a %s here and a %s in the preferences", action, kind, domain.EventKindOf(action))
		}
	}
}

func TestACustomerIDAloneIsNotShown(t *testing.T) {
	it := Item{ID: "f1", Kind: "callback", Title: "Call back", CustomerID: "6dfde742-22f6-5fc2-998c-ac874b9b7536", Team: "north",
		OwnerID: "rep-ana", DueAt: time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)}
	r, err := Render(Message{Action: "remind", Language: "en", Item: it, At: it.DueAt})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.Text, "Customer:") || strings.Contains(r.Text, it.CustomerID) {
		t.Errorf("a customer id is shown as the customer:\n%s", r.Text)
	}
}

func TestDigestSaysHowManyMore(t *testing.T) {
	for lang, want := range map[string]string{"en": "… and 37 more, due later", "zh-Hans": "还有 37 项"} {
		d := digest(t, lang)
		d.OwnedMore = 37
		r, err := RenderDigest(d)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Text, want) || !strings.Contains(r.HTML, want) {
			t.Errorf("%s: the digest does not say how many more:\n%s", lang, r.Text)
		}
	}
	r, _ := RenderDigest(digest(t, "en"))
	if strings.Contains(r.Text, "more, due later") {
		t.Error("a complete digest says there are more")
	}
}

// An escalation to the originator names, to the managers told, the team
// that asked for the work and why they receive it; without a requester's
// team (the follow-up's own managers are told) it claims no one asked.
func TestEscalateOriginatorNamesTheRequester(t *testing.T) {
	for _, c := range []struct {
		lang, managersOf                string
		subject, reason, summary, avoid string
	}{
		{"en", "south", "[Closeloop] Urgent: Asked for by team south, overdue in team north: First contact: Acme Steel",
			"You receive this because you manage team south, which asked for this work.",
			"Urgent: Overdue in team north, asked for by team south: First contact: Acme Steel, owned by Ana Li, was due Thu 3 Dec 15:00 (Asia/Shanghai, cn-mainland)", ""},
		{"zh-Hans", "south", "[Closeloop] 紧急：south 团队提出的工作在 north 团队逾期：First contact: Acme Steel",
			"您收到此邮件，是因为您是 south 团队的经理，这项工作由该团队提出。", "紧急：north 团队跟进逾期（south 团队提出）：First contact: Acme Steel（负责人 Ana Li）原定 12月3日 周四 15:00 (Asia/Shanghai，cn-mainland) 到期", ""},
		{"en", "", "[Closeloop] Urgent: Still overdue in team north: First contact: Acme Steel",
			"You receive this because you manage team north.",
			"Urgent: Overdue in team north: First contact: Acme Steel, owned by Ana Li, was due Thu 3 Dec 15:00 (Asia/Shanghai, cn-mainland)", "asked for"},
	} {
		m := message(t, "escalate_originator", true, c.lang)
		m.ManagersOf, m.Urgent = c.managersOf, true
		r, err := Render(m)
		if err != nil {
			t.Fatalf("%s %q: %v", c.lang, c.managersOf, err)
		}
		if r.Subject != c.subject {
			t.Errorf("%s %q: subject %q, want %q", c.lang, c.managersOf, r.Subject, c.subject)
		}
		if !strings.Contains(r.Text, c.reason) || !strings.Contains(html.UnescapeString(r.HTML), c.reason) {
			t.Errorf("%s %q: no reason %q in\n%s", c.lang, c.managersOf, c.reason, r.Text)
		}
		if got := Summary(m); got != c.summary {
			t.Errorf("%s %q: summary %q, want %q", c.lang, c.managersOf, got, c.summary)
		}
		if c.avoid != "" && strings.Contains(r.Text, c.avoid) {
			t.Errorf("%s %q: says %q:\n%s", c.lang, c.managersOf, c.avoid, r.Text)
		}
	}
	owner, err := Render(message(t, "escalate_originator", false, "en"))
	if err != nil || owner.Subject != "[Closeloop] Overdue and escalated to the team that asked for it: First contact: Acme Steel" ||
		!strings.Contains(owner.Text, "You receive this because you own this follow-up.") {
		t.Fatalf("to the owner: %v\n%s\n%s", err, owner.Subject, owner.Text)
	}
}
