// Package messages writes what a person is told outside the console when a
// follow-up's ladder takes a step — an email's subject, plain text and HTML,
// or the one line a webhook carries — and the daily digest, in English or
// Simplified Chinese.
//
// The rule it keeps: a message is never blank and never vague. Every step a
// person can be told of has its own words in both languages (catalog.go);
// a step with none is refused with ErrUnknownMessage rather than sent as an
// empty email, and a digest with nothing in it is refused with
// ErrEmptyDigest rather than sent at all. Every time is shown in the
// recipient's zone and names that zone and the business calendar that
// counted it, and every email ends by saying why the person receives it and
// where to change that.
//
// Wording lives in one catalogue per language and layout in embedded
// templates (templates/), so a translator edits words without touching
// markup and the HTML layout is shared by every step. The catalogues follow
// the web console's: a step reads the same in the inbox and in an email.
// Values from users (titles, names) are plain text everywhere; html/template
// escapes them in the HTML part.
package messages

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"slices"
	"strings"
	texttemplate "text/template"
	"time"
)

// ErrUnknownMessage is returned for a (kind, action) pair, or an audience,
// that Closeloop has no words for: a caller that sends it anyway would send
// an email that says nothing.
var ErrUnknownMessage = errors.New("messages: no message for this step")

// ErrEmptyDigest is returned for a digest with nothing owned and nothing
// overdue in the teams: an empty digest is never sent, so a quiet day costs
// nobody an email.
var ErrEmptyDigest = errors.New("messages: the digest is empty")

// Item is one follow-up a message or a digest names.
type Item struct {
	ID         string // the follow-up's id
	Kind       string // the follow-up kind (first_contact, callback, …); an unknown kind is shown as it is
	Title      string // e.g. "First contact: Acme Steel"; empty: the kind's name
	CustomerID string
	// CustomerName is shown when known (the title usually names the
	// customer already); an id alone means nothing to a reader.
	CustomerName string
	Team         string
	OwnerID      string
	OwnerName    string // empty: OwnerID is shown
	DueAt        time.Time
	Calendar     string // the business calendar that counted DueAt, e.g. "cn-mainland" (may be empty)
	Link         string // absolute URL of the item in the web console (may be empty)
}

// Message is one immediate message to one person, about one step of one
// follow-up.
type Message struct {
	Kind          string         // event kind: reminder, escalation, handover, winback ("": the action's)
	Action        string         // the step: remind, escalate_manager, escalate_originator, raise_priority, reassign, return_to_pool, reassigned, call, visit, offer
	Language      string         // "en" or "zh-Hans"; anything else is written in English
	Location      *time.Location // the recipient's time zone (nil: TimeZone is loaded, else UTC)
	TimeZone      string         // Location's IANA name, as printed beside times
	RecipientName string
	ToManagers    bool   // the recipient is told as a manager of ManagersOf, not as the owner
	ManagersOf    string // the team ToManagers means: "" for Item.Team; for escalate_originator, the team that asked for the work
	Urgent        bool
	Level         int       // the ladder step's number, 1-based
	At            time.Time // when the step ran: lateness is counted to it
	ActorName     string    // who gave the follow-up away, for "reassigned"; empty: the workflow
	Item          Item
	InboxLink     string // absolute URL of the console's inbox (may be empty)
	SettingsLink  string // absolute URL of the notification settings (may be empty)
}

// Digest is one person's daily digest.
type Digest struct {
	Language, TimeZone string
	Location           *time.Location
	RecipientName      string
	Date               string    // the local date it is for, YYYY-MM-DD ("": Now's date in Location)
	Now                time.Time // lateness is counted to it; required
	Owned              []Item    // the recipient's open items due by the end of Date or overdue
	Teams              []Item    // as a manager: the teams' overdue items (empty for reps)
	// OwnedMore and TeamsMore count the items beyond those listed (a
	// digest lists the first ones by due time; the console has them all).
	OwnedMore, TeamsMore int
	InboxLink            string
	SettingsLink         string
	BoardLink            string
}

// Rendered is an email's parts: the Text part carries everything the HTML
// part does, for mail clients and readers that show no HTML.
type Rendered struct{ Subject, Text, HTML string }

// Languages returns the languages messages are written in, for the
// preferences a person chooses from.
func Languages() []string { return []string{"en", "zh-Hans"} }

// eventKinds is the event kind of each step's action: the preference a
// person sets for a kind covers these steps (domain.EventKindOf, which the
// tests hold this to).
var eventKinds = map[string]string{
	"remind": "reminder", "escalate_manager": "escalation", "escalate_originator": "escalation", "raise_priority": "escalation",
	"reassign": "handover", "return_to_pool": "handover", "reassigned": "handover",
	"call": "winback", "visit": "winback", "offer": "winback",
}

// ladderSteps are the actions an escalation ladder takes, whose level is
// worth showing.
var ladderSteps = map[string]bool{"remind": true, "escalate_manager": true, "escalate_originator": true, "raise_priority": true, "reassign": true, "return_to_pool": true}

// vars are what catalogue entries may name. Managers is the team a manager
// is told as a manager of (managersOf).
type vars struct {
	Title, Kind, Team, Managers, Owner, Actor, Recipient, Action string
	Due, DueShort, Late                                          string
	Level                                                        int
}

// managersOf is the team m's recipient is told as a manager of ("" when
// told as the owner).
func managersOf(m Message) string {
	if !m.ToManagers {
		return ""
	}
	if m.ManagersOf != "" {
		return m.ManagersOf
	}
	return m.Item.Team
}

// stepKey is the catalogue prefix of m's step and audience, or
// ErrUnknownMessage when Closeloop never sends such a message.
func stepKey(m Message) (string, error) {
	audience := "owner"
	if m.ToManagers {
		audience = "managers"
	}
	kind, known := eventKinds[m.Action]
	key := m.Action + "." + audience
	if !known || (m.Kind != "" && m.Kind != kind) || !languages["en"].has(key+".subject") {
		return "", fmt.Errorf("%w: kind %q, action %q, to the %s", ErrUnknownMessage, m.Kind, m.Action, audience)
	}
	if m.ToManagers && (m.Item.Team == "" || managersOf(m) == "") {
		return "", fmt.Errorf("%w: action %q to the managers of no team", ErrUnknownMessage, m.Action)
	}
	return key, nil
}

func newWriter(lang string, loc *time.Location, zone string) *writer {
	w := &writer{l: languageOf(lang)}
	w.loc, w.zone = zoneOf(loc, zone)
	return w
}

func (w *writer) varsOf(m Message) vars {
	return vars{
		Title: w.titleOf(m.Item), Kind: w.kindName(m.Item.Kind), Team: m.Item.Team, Managers: managersOf(m), Owner: w.ownerOf(m.Item),
		Actor: m.ActorName, Recipient: m.RecipientName, Action: m.Action, Level: m.Level,
		Due: w.when(m.Item.DueAt, m.Item.Calendar), DueShort: w.whenBrief(m.Item.DueAt, m.Item.Calendar),
		Late: w.late(m.Item.DueAt, m.At),
	}
}

// Render writes m as an email in the recipient's language and zone. A step
// Closeloop never tells anyone of (an unknown action, a kind that is not the
// action's, a reminder addressed to managers, managers of no team) is
// refused with ErrUnknownMessage, so a caller's mistake shows as an error in
// its logs instead of an email that says nothing.
func Render(m Message) (Rendered, error) {
	key, err := stepKey(m)
	if err != nil {
		return Rendered{}, err
	}
	w := newWriter(m.Language, m.Location, m.TimeZone)
	v := w.varsOf(m)
	subject := w.say(key+".subject", v)
	if m.Urgent {
		subject = w.say("subject.urgent", nil) + subject
	}
	page := messageView{
		Lang: w.l.tag, Subject: w.say("subject.prefix", nil) + subject, Urgent: m.Urgent, UrgentLabel: w.say("urgent", nil),
		Heading: w.say(key+".heading", v), Body: w.say(key+".body", v), Title: v.Title, Colon: w.say("colon", nil),
		Link: m.Item.Link, LinkLabel: w.say("link.item", nil), InboxLink: m.InboxLink, InboxLabel: w.say("link.inbox", nil),
		Footer: w.footer(reasonOf(m.Action, m.ToManagers), v, m.SettingsLink),
	}
	if m.RecipientName != "" {
		page.Greeting = w.say("greeting", v)
	}
	page.Details = w.details(m.Item, v, m.ToManagers)
	if ladderSteps[m.Action] && m.Level > 0 {
		page.Details = append(page.Details, detail{w.say("label.step", nil), w.say("value.step", v), false})
	}
	if w.err != nil {
		return Rendered{}, w.err
	}
	return render("message", page)
}

// details are an item's facts, one per line: what it is, whose, when it is
// due and, when it is late, by how much. The owner is named only to someone
// who is not the owner.
func (w *writer) details(it Item, v vars, withOwner bool) []detail {
	out := []detail{{w.say("label.kind", nil), v.Kind, false}}
	if it.CustomerName != "" {
		out = append(out, detail{w.say("label.customer", nil), it.CustomerName, false})
	}
	if it.Team != "" {
		out = append(out, detail{w.say("label.team", nil), it.Team, false})
	}
	if withOwner {
		out = append(out, detail{w.say("label.owner", nil), v.Owner, false})
	}
	out = append(out, detail{w.say("label.due", nil), v.Due, false})
	if v.Late != "" {
		out = append(out, detail{w.say("label.late", nil), v.Late, true})
	}
	return out
}

// Summary is m as one line of plain text in its language, for webhook
// payloads and logs, e.g. "Reminder: First contact: Acme Steel is due Thu 3
// Dec 15:00 (Asia/Shanghai, cn-mainland)". It never fails: a step Closeloop
// has no words for still gets a line naming its raw action, because a
// webhook that fires should carry something a person can read.
func Summary(m Message) string {
	w := newWriter(m.Language, m.Location, m.TimeZone)
	v := w.varsOf(m)
	key, err := stepKey(m)
	line := ""
	if err == nil {
		line = w.say(key+".summary", v)
	} else {
		line = w.say("other.summary", v)
	}
	if m.Urgent {
		line = w.say("subject.urgent", nil) + line
	}
	return line
}

// RenderDigest writes d as an email: the recipient's own items due today or
// overdue, then, for a manager, their teams' overdue items, each list by due
// time. It returns ErrEmptyDigest when both lists are empty.
func RenderDigest(d Digest) (Rendered, error) {
	if len(d.Owned) == 0 && len(d.Teams) == 0 {
		return Rendered{}, ErrEmptyDigest
	}
	if d.Now.IsZero() {
		return Rendered{}, errors.New("messages: a digest needs the instant it is written at (Now)")
	}
	w := newWriter(d.Language, d.Location, d.TimeZone)
	day := d.Now.In(w.loc)
	if d.Date != "" {
		var err error
		if day, err = time.ParseInLocation(time.DateOnly, d.Date, w.loc); err != nil {
			return Rendered{}, fmt.Errorf("messages: the digest's date %q: %w", d.Date, err)
		}
	}
	owned, teams := byDue(d.Owned), byDue(d.Teams)
	due, overdue := 0, 0
	for _, it := range owned {
		if d.Now.After(it.DueAt) {
			overdue++
		} else {
			due++
		}
	}
	var counts []string
	for _, c := range []struct {
		key string
		n   int
	}{{"digest.count.due", due}, {"digest.count.overdue", overdue}, {"digest.count.teams", len(teams)}} {
		if c.n > 0 {
			counts = append(counts, w.say(c.key, map[string]int{"N": c.n}))
		}
	}
	subject := w.say("digest.subject", map[string]string{"Day": w.l.day(day), "Counts": strings.Join(counts, w.say("digest.count.sep", nil))})
	page := digestView{
		Lang: w.l.tag, Subject: w.say("subject.prefix", nil) + subject,
		Heading: w.say("digest.heading", map[string]string{"Day": w.l.date(day)}), Intro: w.say("digest.intro", nil),
		OwnedTitle: w.say("digest.owned", nil), OwnedNone: w.say("digest.owned_none", nil), TeamsTitle: w.say("digest.teams", nil),
		Colon: w.say("colon", nil), InboxLink: d.InboxLink, InboxLabel: w.say("link.inbox", nil),
		BoardLink: d.BoardLink, BoardLabel: w.say("link.board", nil),
		Footer: w.footer("digest.reason", nil, d.SettingsLink),
	}
	if d.OwnedMore > 0 {
		page.OwnedMore = w.say("digest.more", map[string]int{"N": d.OwnedMore})
	}
	if d.TeamsMore > 0 {
		page.TeamsMore = w.say("digest.more", map[string]int{"N": d.TeamsMore})
	}
	if d.RecipientName != "" {
		page.Greeting = w.say("greeting", vars{Recipient: d.RecipientName})
	}
	for _, it := range owned {
		page.Owned = append(page.Owned, w.digestItem(it, d.Now, false))
	}
	for _, it := range teams {
		page.Teams = append(page.Teams, w.digestItem(it, d.Now, true))
	}
	if w.err != nil {
		return Rendered{}, w.err
	}
	return render("digest", page)
}

func (w *writer) digestItem(it Item, now time.Time, withOwner bool) itemView {
	v := vars{Title: w.titleOf(it), Kind: w.kindName(it.Kind), Owner: w.ownerOf(it), Due: w.when(it.DueAt, it.Calendar), Late: w.late(it.DueAt, now)}
	return itemView{Title: v.Title, Link: it.Link, Details: w.details(it, v, withOwner)}
}

// byDue is items by due time, earliest first, without reordering the
// caller's slice.
func byDue(items []Item) []Item {
	out := slices.Clone(items)
	slices.SortStableFunc(out, func(a, b Item) int { return a.DueAt.Compare(b.DueAt) })
	return out
}

//go:embed templates/*.tmpl
var templateFiles embed.FS

var (
	htmlPages = htmltemplate.Must(htmltemplate.ParseFS(templateFiles, "templates/*.html.tmpl"))
	textPages = texttemplate.Must(texttemplate.ParseFS(templateFiles, "templates/*.txt.tmpl"))
)

// render fills the named page's HTML and text templates with the same view,
// so the two parts cannot say different things.
func render(name string, page interface{ subject() string }) (Rendered, error) {
	var h, t bytes.Buffer
	if err := htmlPages.ExecuteTemplate(&h, name+".html.tmpl", page); err != nil {
		return Rendered{}, fmt.Errorf("messages: %s HTML: %w", name, err)
	}
	if err := textPages.ExecuteTemplate(&t, name+".txt.tmpl", page); err != nil {
		return Rendered{}, fmt.Errorf("messages: %s text: %w", name, err)
	}
	return Rendered{Subject: page.subject(), Text: t.String(), HTML: h.String()}, nil
}
