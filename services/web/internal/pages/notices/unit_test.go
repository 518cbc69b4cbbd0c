package notices

import (
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/web/internal/apis/serviceapi"
	"github.com/closeloop/closeloop/services/web/internal/session"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

func TestParseTime(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in       string
		endOfDay bool
		want     string // RFC 3339 in UTC; "" none
		ok       bool
	}{
		{"", true, "", true},
		{"2026-12-11T18:00", false, "2026-12-11T10:00:00Z", true},
		{"2026-12-11T18:00:30", true, "2026-12-11T10:00:30Z", true},
		{"2026-12-11", false, "2026-12-10T16:00:00Z", true}, // the start of that day in Shanghai
		{"2026-12-11", true, "2026-12-11T15:59:00Z", true},  // its end
		{"next week", true, "", false},
		{"2026-13-01T10:00", false, "", false},
	} {
		got, ok := parseTime(c.in, sh, c.endOfDay)
		s := ""
		if got != nil {
			s = got.UTC().Format(time.RFC3339)
		}
		if ok != c.ok || s != c.want {
			t.Errorf("parseTime(%q, %v) = %q, %v; want %q, %v", c.in, c.endOfDay, s, ok, c.want, c.ok)
		}
	}
}

func TestTeamsOf(t *testing.T) {
	if got := teamsOf(" north, south，service-west、\nmarketing ,, "); !reflect.DeepEqual(got, []string{"north", "south", "service-west", "marketing"}) {
		t.Fatalf("teamsOf = %q", got)
	}
	if got := teamsOf("  "); got == nil || len(got) != 0 {
		t.Fatalf("no teams = %#v, want an empty list (sent as [])", got)
	}
}

func TestParagraphs(t *testing.T) {
	got := paragraphs("\r\nFirst line\r\nsecond line\r\n\r\n\r\nSecond paragraph\n  \n")
	want := [][]string{{"First line", "second line"}, {"Second paragraph"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("paragraphs = %q, want %q", got, want)
	}
	if got := paragraphs("  \n "); got != nil {
		t.Fatalf("an empty body has paragraphs %q", got)
	}
}

func TestStateOf(t *testing.T) {
	now := time.Date(2026, 5, 10, 0, 0, 0, 0, time.UTC)
	at := func(d int) *time.Time { t := now.AddDate(0, 0, d); return &t }
	for _, c := range []struct {
		state      string
		from, till *time.Time
		want       string
	}{
		{StateDraft, nil, at(9), StateDraft},
		{StatePublished, at(1), at(9), StateScheduled},
		{StatePublished, at(-1), at(9), StateShown},
		{StatePublished, &now, at(9), StateShown},  // starts now
		{StatePublished, at(-9), &now, StateEnded}, // ends now
		{StateRevoked, at(-1), at(9), StateRevoked},
	} {
		n := serviceapi.NoticeView{State: &c.state, ValidFrom: c.from, ValidUntil: c.till}
		if got := stateOf(n, now); got != c.want {
			t.Errorf("stateOf(%s, %v–%v) = %s, want %s", c.state, c.from, c.till, got, c.want)
		}
	}
}

// TestWhoActs: who the notice page offers its overseers' and writer's
// forms to — the service's rules on what the session knows.
func TestWhoActs(t *testing.T) {
	published, draft := StatePublished, StateDraft
	mias := serviceapi.NoticeView{State: &published, PublisherId: ptr("mgr-mia"), PublisherTeams: &[]string{"north"}}
	user := func(sub string, roles []string, teams ...string) *view.Ctx {
		return &view.Ctx{User: &session.Session{Subject: sub, Roles: roles, Teams: teams}}
	}
	for _, c := range []struct {
		who      *view.Ctx
		oversees bool
	}{
		{user("mgr-mia", []string{"manager"}, "north"), true},
		{user("mgr-noa", []string{"manager"}, "north", "east"), true}, // a manager of the publisher's team
		{user("mgr-max", []string{"manager"}, "south"), false},
		{user("rep-ana", []string{"rep"}, "north"), false}, // a reader of the team, not its manager
		{user("admin-ada", []string{"admin"}), true},
		{&view.Ctx{}, false},
	} {
		if got := Oversees(c.who, mias); got != c.oversees {
			t.Errorf("Oversees(%v) = %v", c.who.User, got)
		}
		if Writes(c.who, mias) {
			t.Errorf("%v writes a published notice", c.who.User)
		}
	}
	mias.State = &draft
	if !Writes(user("mgr-mia", []string{"manager"}, "north"), mias) || !Writes(user("admin-ada", []string{"admin"}), mias) {
		t.Fatal("the publisher or an admin does not write the draft")
	}
	if Writes(user("mgr-noa", []string{"manager"}, "north"), mias) || Writes(user("mgr-mia", []string{"rep"}, "north"), mias) {
		t.Fatal("a manager of the publisher's team, or a publisher who is no longer a manager, writes the draft")
	}
}

func TestRequestAndValuesRoundTrip(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	v := url.Values{"title": {" Safety rule "}, "body": {"Wear helmets.\n\n"}, "everyone": {"true"}, "valid_until": {"2099-06-01T00:00"},
		"must_acknowledge": {"true"}, "ack_deadline": {"2099-05-06T18:00"}, "pinned": {"true"}}
	body, bad := request(v, sh)
	if len(bad) != 0 || *body.Title != "Safety rule" || *body.Body != "Wear helmets." || !*body.Audience.Everyone || body.ValidFrom != nil ||
		body.ValidUntil.Format(time.RFC3339) != "2099-05-31T16:00:00Z" || !*body.Pinned || !*body.MustAcknowledge {
		t.Fatalf("request = %+v (bad %v)", body, bad)
	}
	// The stored notice shows in the form as it was typed.
	n := serviceapi.NoticeView{Title: body.Title, Body: body.Body, Audience: &serviceapi.AudienceView{Everyone: body.Audience.Everyone,
		Departments: &[]string{}, Roles: &[]string{}, Teams: &[]string{}}, ValidUntil: body.ValidUntil, AckDeadline: body.AckDeadline,
		Pinned: body.Pinned, MustAcknowledge: body.MustAcknowledge}
	got := valuesOf(n, sh)
	for _, k := range []string{"everyone", "valid_until", "must_acknowledge", "ack_deadline", "pinned"} {
		if got.Get(k) != v.Get(k) {
			t.Errorf("the form's %s = %q, typed %q", k, got.Get(k), v.Get(k))
		}
	}
	if e := editRequest(body, 0); e.ExpectedVersion != nil || e.Title != body.Title {
		t.Fatalf("an edit without a version: %+v", e)
	}
	if e := editRequest(body, 7); e.ExpectedVersion == nil || *e.ExpectedVersion != 7 {
		t.Fatalf("an edit at version 7: %+v", e)
	}
}
