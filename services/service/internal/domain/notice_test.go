package domain_test

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// The organisation of the notice tests: sales = north, south; service =
// service, service-west; marketing = marketing.
var noticeOrg = domain.MustOrg(domain.DefaultDepartments)

func noticePerson(sub string, teams []string, roles ...auth.Role) auth.Principal {
	return auth.Principal{Subject: sub, Name: strings.ToUpper(sub), Roles: roles, Teams: teams}
}

var (
	nMia   = noticePerson("mgr-mia", []string{"north"}, auth.RoleManager)   // manager of north (sales)
	nMia2  = noticePerson("mgr-noa", []string{"north"}, auth.RoleManager)   // another manager of north
	nMax   = noticePerson("mgr-max", []string{"south"}, auth.RoleManager)   // manager of south (sales)
	nSue   = noticePerson("svc-sue", []string{"service"}, auth.RoleManager) // manager of service
	nAna   = noticePerson("rep-ana", []string{"north"}, auth.RoleRep)
	nAli   = noticePerson("analyst-ali", nil, auth.RoleAnalyst)
	nAda   = noticePerson("admin-ada", nil, auth.RoleAdmin)
	nNoMgr = noticePerson("mgr-none", nil, auth.RoleManager) // a manager of no team
)

func tPlus(d time.Duration) *time.Time { v := t0.Add(d); return &v }

// bulletin is a valid notice to everyone, shown for a week from now.
func bulletin() domain.NoticeInput {
	return domain.NoticeInput{Title: "Office closed on Friday", Body: "The Beijing office is closed on Friday for maintenance.",
		Audience: domain.Audience{Everyone: true}, ValidUntil: tPlus(7 * 24 * time.Hour)}
}

func errCode(err error) string {
	if err == nil {
		return ""
	}
	return apperr.From(err).Code
}

func TestNewNoticeRefusesEveryBadField(t *testing.T) {
	with := func(fn func(in *domain.NoticeInput)) domain.NoticeInput { in := bulletin(); fn(&in); return in }
	teams := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "team-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		p      auth.Principal
		in     domain.NoticeInput
		code   string
		fields map[string]string
	}{
		{"a rep", nAna, bulletin(), "notice_not_allowed", nil},
		{"an analyst", nAli, bulletin(), "notice_not_allowed", nil},
		{"no title", nMia, with(func(in *domain.NoticeInput) { in.Title = "  " }), "", map[string]string{"title": "required"}},
		{"a title of 201 characters", nMia, with(func(in *domain.NoticeInput) { in.Title = strings.Repeat("通", 201) }), "", map[string]string{"title": "too_long"}},
		{"a title of two lines", nMia, with(func(in *domain.NoticeInput) { in.Title = "one\ntwo" }), "", map[string]string{"title": "invalid"}},
		{"a body of 20,001 characters", nMia, with(func(in *domain.NoticeInput) { in.Body = strings.Repeat("知", 20001) }), "", map[string]string{"body": "too_long"}},
		{"a body with NUL", nMia, with(func(in *domain.NoticeInput) { in.Body = "a\x00b" }), "", map[string]string{"body": "invalid"}},
		{"nobody addressed", nMia, with(func(in *domain.NoticeInput) { in.Audience = domain.Audience{Teams: []string{" "}} }), "",
			map[string]string{"audience": "required"}},
		{"everyone and a team", nMia, with(func(in *domain.NoticeInput) { in.Audience.Teams = []string{"north"} }), "", map[string]string{"audience": "conflict"}},
		{"an unknown department", nAda, with(func(in *domain.NoticeInput) { in.Audience = domain.Audience{Departments: []string{"finance"}} }), "",
			map[string]string{"audience.departments": "unknown"}},
		{"an unknown role", nAda, with(func(in *domain.NoticeInput) { in.Audience = domain.Audience{Roles: []string{"king"}} }), "",
			map[string]string{"audience.roles": "unknown"}},
		{"51 teams", nAda, with(func(in *domain.NoticeInput) { in.Audience = domain.Audience{Teams: teams(51)} }), "",
			map[string]string{"audience.teams": "too_many"}},
		{"a team name of 101 characters", nAda, with(func(in *domain.NoticeInput) { in.Audience = domain.Audience{Teams: []string{strings.Repeat("t", 101)}} }), "",
			map[string]string{"audience.teams": "invalid"}},
		{"a manager names another manager's team", nMia, with(func(in *domain.NoticeInput) { in.Audience = domain.Audience{Teams: []string{"north", "south"}} }), "",
			map[string]string{"audience.teams": "not_yours"}},
		{"a manager names another department", nMia, with(func(in *domain.NoticeInput) { in.Audience = domain.Audience{Departments: []string{"service"}} }), "",
			map[string]string{"audience.departments": "not_yours"}},
		{"no end", nMia, with(func(in *domain.NoticeInput) { in.ValidUntil = nil }), "", map[string]string{"valid_until": "required"}},
		{"a window in the past", nMia, with(func(in *domain.NoticeInput) { in.ValidUntil = tPlus(-time.Second) }), "", map[string]string{"valid_until": "in_past"}},
		{"a window ending now", nMia, with(func(in *domain.NoticeInput) { in.ValidUntil = tPlus(0) }), "", map[string]string{"valid_until": "in_past"}},
		{"an end before the start", nMia, with(func(in *domain.NoticeInput) {
			in.ValidFrom = tPlus(48 * time.Hour)
			in.ValidUntil = tPlus(24 * time.Hour)
		}), "",
			map[string]string{"valid_until": "before_valid_from"}},
		{"must acknowledge without a deadline", nMia, with(func(in *domain.NoticeInput) { in.MustAcknowledge = true }), "",
			map[string]string{"ack_deadline": "required"}},
		{"a deadline without must acknowledge", nMia, with(func(in *domain.NoticeInput) { in.AckDeadline = tPlus(time.Hour) }), "",
			map[string]string{"ack_deadline": "not_allowed"}},
		{"a deadline after the window", nMia, with(func(in *domain.NoticeInput) { in.MustAcknowledge, in.AckDeadline = true, tPlus(8*24*time.Hour) }), "",
			map[string]string{"ack_deadline": "outside_window"}},
		{"a deadline before the start", nMia, with(func(in *domain.NoticeInput) {
			in.ValidFrom, in.MustAcknowledge, in.AckDeadline = tPlus(48*time.Hour), true, tPlus(24*time.Hour)
		}), "", map[string]string{"ack_deadline": "outside_window"}},
		{"a deadline at the start", nMia, with(func(in *domain.NoticeInput) {
			in.ValidFrom, in.MustAcknowledge, in.AckDeadline = tPlus(48*time.Hour), true, tPlus(48*time.Hour)
		}), "", map[string]string{"ack_deadline": "outside_window"}},
		{"a deadline in the past", nMia, with(func(in *domain.NoticeInput) { in.MustAcknowledge, in.AckDeadline = true, tPlus(-time.Hour) }), "",
			map[string]string{"ack_deadline": "in_past"}},
		{"everything at once", nMia, domain.NoticeInput{Title: "", Body: strings.Repeat("b", 20001), ValidUntil: tPlus(-time.Hour), MustAcknowledge: true}, "",
			map[string]string{"title": "required", "body": "too_long", "audience": "required", "valid_until": "in_past", "ack_deadline": "required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := domain.NewNotice("n-1", tc.in, tc.p, noticeOrg, t0)
			if err == nil {
				t.Fatal("accepted")
			}
			if tc.fields != nil {
				if got := fields(t, err); !maps.Equal(got, tc.fields) {
					t.Fatalf("fields %v (%v), want %v", got, err, tc.fields)
				}
				return
			}
			if errCode(err) != tc.code {
				t.Fatalf("%v, want %s", err, tc.code)
			}
		})
	}
}

func TestNewNoticeAudiencesAllowed(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    auth.Principal
		a    domain.Audience
	}{
		{"a manager addresses everyone", nMia, domain.Audience{Everyone: true}},
		{"a manager addresses their team", nMia, domain.Audience{Teams: []string{"north"}}},
		{"a manager addresses their department", nMia, domain.Audience{Departments: []string{"sales"}}},
		{"a manager addresses any role", nMia, domain.Audience{Roles: []string{"rep", "analyst"}}},
		{"an admin addresses any department and team", nAda, domain.Audience{Departments: []string{"service", "marketing"}, Teams: []string{"south", "a-team-nobody-knows"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := bulletin()
			in.Audience = tc.a
			n, err := domain.NewNotice("n-1", in, tc.p, noticeOrg, t0)
			if err != nil {
				t.Fatal(err)
			}
			if n.State != domain.NoticeDraft || n.PublisherID != tc.p.Subject || n.Version != 1 || n.ValidFrom != nil || !n.CreatedAt.Equal(t0) {
				t.Fatalf("%+v", n)
			}
		})
	}
	// Lists are cleaned: trimmed, without blanks or repeats.
	in := bulletin()
	in.Title, in.Audience = "  Sales meeting  ", domain.Audience{Roles: []string{"rep", " rep", ""}, Teams: []string{"north", "north "}}
	n, err := domain.NewNotice("n-1", in, nMia, noticeOrg, t0)
	if err != nil || n.Title != "Sales meeting" || len(n.Audience.Roles) != 1 || len(n.Audience.Teams) != 1 {
		t.Fatalf("%+v %v", n, err)
	}
}

func noticeDraftBy(t *testing.T, p auth.Principal, fn func(in *domain.NoticeInput)) domain.Notice {
	t.Helper()
	in := bulletin()
	if fn != nil {
		fn(&in)
	}
	n, err := domain.NewNotice("n-1", in, p, noticeOrg, t0)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEditNotice(t *testing.T) {
	n := noticeDraftBy(t, nMia, nil)
	in := bulletin()
	in.Title, in.Pinned = "Office closed on Friday and Saturday", true
	out, err := domain.EditNotice(n, in, nMia, noticeOrg, t0.Add(time.Minute))
	if err != nil || out.Title != in.Title || !out.Pinned || !out.UpdatedAt.Equal(t0.Add(time.Minute)) || !out.CreatedAt.Equal(t0) {
		t.Fatalf("%+v %v", out, err)
	}
	if _, err := domain.EditNotice(n, in, nAda, noticeOrg, t0); err != nil {
		t.Errorf("an admin edits a manager's draft: %v", err)
	}
	published, err := domain.PublishNotice(n, nMia, noticeOrg, t0)
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := domain.RevokeNotice(published, nMia, "", t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		n    domain.Notice
		p    auth.Principal
		in   domain.NoticeInput
		want error
	}{
		{"another manager of the same team", n, nMia2, in, domain.ErrNoticeEditNotAllowed},
		{"a rep", n, nAna, in, domain.ErrNoticeEditNotAllowed},
		{"a published notice", published, nMia, in, domain.ErrNoticeNotDraft},
		{"a revoked notice", revoked, nMia, in, domain.ErrNoticeRevoked},
	} {
		if _, err := domain.EditNotice(tc.n, tc.in, tc.p, noticeOrg, t0); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	bad := in
	bad.ValidUntil = tPlus(-time.Hour)
	if got := fields(t, func() error { _, err := domain.EditNotice(n, bad, nMia, noticeOrg, t0); return err }()); got["valid_until"] != "in_past" {
		t.Errorf("edit into the past: %v", got)
	}
}

func TestPublishNotice(t *testing.T) {
	now := t0.Add(time.Hour)
	n := noticeDraftBy(t, nMia, nil)
	p, err := domain.PublishNotice(n, nMia, noticeOrg, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.State != domain.NoticePublished || p.PublishedAt == nil || !p.PublishedAt.Equal(now) || p.ValidFrom == nil || !p.ValidFrom.Equal(now) {
		t.Fatalf("published %+v", p)
	}
	if !p.Listed(now) || p.Listed(now.Add(-time.Nanosecond)) || p.Listed(p.ValidUntil) || !p.Listed(p.ValidUntil.Add(-time.Microsecond)) {
		t.Error("listed from its start until (not at) its end")
	}
	// A scheduled notice keeps its start; it is listed from then.
	s, err := domain.PublishNotice(noticeDraftBy(t, nMia, func(in *domain.NoticeInput) { in.ValidFrom = tPlus(48 * time.Hour) }), nMia, noticeOrg, now)
	if err != nil || !s.ValidFrom.Equal(t0.Add(48*time.Hour)) || s.Listed(now) || !s.Listed(t0.Add(48*time.Hour)) {
		t.Fatalf("scheduled %+v %v", s, err)
	}
	// An admin publishes a manager's draft.
	if _, err := domain.PublishNotice(n, nAda, noticeOrg, now); err != nil {
		t.Errorf("admin: %v", err)
	}
	for _, tc := range []struct {
		name   string
		n      domain.Notice
		p      auth.Principal
		now    time.Time
		want   error
		fields map[string]string
	}{
		{"already published", p, nMia, now, domain.ErrNoticeNotDraft, nil},
		{"by another manager", n, nMax, now, domain.ErrNoticeEditNotAllowed, nil},
		{"by its publisher, no longer a manager", n, noticePerson("mgr-mia", []string{"north"}, auth.RoleRep), now, domain.ErrNoticeEditNotAllowed, nil},
		{"its window passed since it was written", n, nMia, t0.Add(8 * 24 * time.Hour), nil, map[string]string{"valid_until": "in_past"}},
		{"its deadline passed since it was written", noticeDraftBy(t, nMia, func(in *domain.NoticeInput) { in.MustAcknowledge, in.AckDeadline = true, tPlus(time.Hour) }),
			nMia, t0.Add(2 * time.Hour), nil, map[string]string{"ack_deadline": "in_past"}},
		{"its deadline now falls before its start (now)", noticeDraftBy(t, nMia, func(in *domain.NoticeInput) { in.MustAcknowledge, in.AckDeadline = true, tPlus(time.Hour) }),
			nMia, t0.Add(time.Hour), nil, map[string]string{"ack_deadline": "in_past"}},
		{"a department no longer configured", noticeDraftBy(t, nAda, func(in *domain.NoticeInput) { in.Audience = domain.Audience{Departments: []string{"marketing"}} }),
			nAda, now, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := noticeOrg
			if tc.name == "a department no longer configured" {
				o = domain.MustOrg("sales=north,south;service=service")
				_, err := domain.PublishNotice(tc.n, tc.p, o, tc.now)
				if got := fields(t, err); got["audience.departments"] != "unknown" {
					t.Fatalf("%v", err)
				}
				return
			}
			_, err := domain.PublishNotice(tc.n, tc.p, o, tc.now)
			if tc.fields != nil {
				if got := fields(t, err); !maps.Equal(got, tc.fields) {
					t.Fatalf("fields %v (%v), want %v", got, err, tc.fields)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("%v, want %v", err, tc.want)
			}
		})
	}
}

func TestRevokeNotice(t *testing.T) {
	now := t0.Add(time.Hour)
	p, err := domain.PublishNotice(noticeDraftBy(t, nMia, nil), nMia, noticeOrg, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		p    auth.Principal
		want error
	}{
		{"its publisher", nMia, nil},
		{"another manager of the publisher's team", nMia2, nil},
		{"an admin", nAda, nil},
		{"a manager of another team", nMax, domain.ErrNoticeRevokeNotAllowed},
		{"a manager of no team", nNoMgr, domain.ErrNoticeRevokeNotAllowed},
		{"a rep of the publisher's team", nAna, domain.ErrNoticeRevokeNotAllowed},
		{"an analyst", nAli, domain.ErrNoticeRevokeNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := domain.RevokeNotice(p, tc.p, " wrong date ", now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("%v, want %v", err, tc.want)
			}
			if err == nil && (r.State != domain.NoticeRevoked || r.RevokedBy != tc.p.Subject || r.RevokeReason != "wrong date" || !r.RevokedAt.Equal(now)) {
				t.Fatalf("%+v", r)
			}
		})
	}
	revoked, _ := domain.RevokeNotice(p, nMia, "", now)
	if _, err := domain.RevokeNotice(revoked, nMia, "", now); !errors.Is(err, domain.ErrNoticeRevoked) {
		t.Errorf("revoked twice: %v", err)
	}
	if _, err := domain.RevokeNotice(noticeDraftBy(t, nMia, nil), nMia, "", now); !errors.Is(err, domain.ErrNoticeNotPublished) {
		t.Errorf("a draft: %v", err)
	}
	if got := fields(t, func() error { _, err := domain.RevokeNotice(p, nMia, strings.Repeat("r", 2001), now); return err }()); got["reason"] != "too_long" {
		t.Errorf("a reason of 2,001 characters: %v", got)
	}
}

func TestAudienceIncludes(t *testing.T) {
	r := func(teams []string, roles ...string) domain.Reader {
		return domain.Reader{ID: "x", Roles: roles, Teams: teams}
	}
	for _, tc := range []struct {
		name string
		a    domain.Audience
		r    domain.Reader
		want bool
	}{
		{"everyone", domain.Audience{Everyone: true}, r(nil), true},
		{"a role of theirs", domain.Audience{Roles: []string{"manager"}}, r([]string{"north"}, "rep", "manager"), true},
		{"another role", domain.Audience{Roles: []string{"analyst"}}, r([]string{"north"}, "rep"), false},
		{"a team of theirs", domain.Audience{Teams: []string{"south", "north"}}, r([]string{"north"}, "rep"), true},
		{"another team", domain.Audience{Teams: []string{"south"}}, r([]string{"north"}, "rep"), false},
		{"the department of a team of theirs", domain.Audience{Departments: []string{"service"}}, r([]string{"north", "service-west"}, "rep"), true},
		{"another department", domain.Audience{Departments: []string{"marketing"}}, r([]string{"north", "service-west"}, "rep"), false},
		{"a team in no department", domain.Audience{Departments: []string{"sales"}}, r([]string{"board"}, "rep"), false},
		{"the union: role, team or department", domain.Audience{Departments: []string{"marketing"}, Roles: []string{"admin"}, Teams: []string{"south"}},
			r([]string{"south"}, "rep"), true},
		{"nobody: no team, no role", domain.Audience{Departments: []string{"sales"}, Teams: []string{"north"}}, r(nil), false},
	} {
		if got := tc.a.Includes(tc.r, noticeOrg); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// Addresses: in the audience and listed now.
	p, _ := domain.PublishNotice(noticeDraftBy(t, nAda, func(in *domain.NoticeInput) { in.Audience = domain.Audience{Departments: []string{"sales"}} }), nAda, noticeOrg, t0)
	if !p.Addresses(domain.ReaderOf(nAna), noticeOrg, t0) || p.Addresses(domain.ReaderOf(nSue), noticeOrg, t0) || p.Addresses(domain.ReaderOf(nAna), noticeOrg, p.ValidUntil) {
		t.Error("addresses sales from its start to its end")
	}
	rv, _ := domain.RevokeNotice(p, nAda, "", t0)
	if rv.Addresses(domain.ReaderOf(nAna), noticeOrg, t0) {
		t.Error("a revoked notice addresses nobody")
	}
}

func TestSeesNotice(t *testing.T) {
	d := noticeDraftBy(t, nMia, func(in *domain.NoticeInput) { in.ValidFrom = tPlus(time.Hour) })
	p, err := domain.PublishNotice(d, nMia, noticeOrg, t0)
	if err != nil {
		t.Fatal(err)
	}
	before, after := t0, t0.Add(time.Hour)
	for _, tc := range []struct {
		name                  string
		p                     auth.Principal
		reader                bool
		draft, early, started bool // sees the draft; the published notice before and after its start
	}{
		{"its publisher", nMia, false, true, true, true},
		{"an admin", nAda, false, true, true, true},
		{"a manager of the publisher's team", nMia2, false, false, true, true},
		{"a reader", nAna, true, false, false, true},
		{"a manager of another team", nMax, false, false, false, false},
		{"an analyst", nAli, false, false, false, false},
		{"a rep not addressed", nAna, false, false, false, false},
	} {
		got := [3]bool{domain.SeesNotice(tc.p, d, tc.reader, before), domain.SeesNotice(tc.p, p, tc.reader, before), domain.SeesNotice(tc.p, p, tc.reader, after)}
		if want := [3]bool{tc.draft, tc.early, tc.started}; got != want {
			t.Errorf("%s: draft, early, started %v, want %v", tc.name, got, want)
		}
	}
	if !domain.MayOverseeNotice(nMia2, p) || domain.MayOverseeNotice(nAna, p) || domain.MayOverseeNotice(nMax, p) {
		t.Error("who oversees a notice")
	}
}

func TestReadAndAcknowledge(t *testing.T) {
	plain, _ := domain.PublishNotice(noticeDraftBy(t, nMia, nil), nMia, noticeOrg, t0)
	must, _ := domain.PublishNotice(noticeDraftBy(t, nMia, func(in *domain.NoticeInput) { in.MustAcknowledge, in.AckDeadline = true, tPlus(24*time.Hour) }), nMia, noticeOrg, t0)
	rc := domain.ReceiptOf(must, domain.ReaderOf(nAna), t0)
	if rc.NoticeID != must.ID || rc.ReaderID != "rep-ana" || !rc.MustAcknowledge || !rc.PublishedAt.Equal(t0) || !rc.ValidFrom.Equal(t0) || rc.ReadAt != nil {
		t.Fatalf("receipt %+v", rc)
	}
	// Reading keeps the first instant.
	r1, err := domain.ReadNotice(must, rc, t0.Add(time.Minute))
	if err != nil || !r1.ReadAt.Equal(t0.Add(time.Minute)) || r1.AckedAt != nil {
		t.Fatalf("read %+v %v", r1, err)
	}
	r2, _ := domain.ReadNotice(must, r1, t0.Add(time.Hour))
	if !r2.ReadAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("read again moved the instant: %v", r2.ReadAt)
	}
	// Acknowledging reads too, and keeps its first instant.
	a1, err := domain.AcknowledgeNotice(must, rc, t0.Add(2*time.Minute))
	if err != nil || !a1.ReadAt.Equal(t0.Add(2*time.Minute)) || !a1.AckedAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("acknowledged %+v %v", a1, err)
	}
	a2, _ := domain.AcknowledgeNotice(must, a1, t0.Add(time.Hour))
	if !a2.AckedAt.Equal(t0.Add(2 * time.Minute)) {
		t.Errorf("acknowledged again moved the instant: %v", a2.AckedAt)
	}
	a3, _ := domain.AcknowledgeNotice(must, r1, t0.Add(time.Hour))
	if !a3.ReadAt.Equal(t0.Add(time.Minute)) || !a3.AckedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("acknowledging what was read keeps the reading: %+v", a3)
	}
	// Overdue: after the deadline, not acknowledged.
	if rc.Overdue(t0.Add(24*time.Hour)) || !rc.Overdue(t0.Add(24*time.Hour+time.Microsecond)) || a1.Overdue(t0.Add(48*time.Hour)) {
		t.Error("overdue just after the deadline, unless acknowledged")
	}
	// Refusals.
	if _, err := domain.AcknowledgeNotice(plain, domain.ReceiptOf(plain, domain.ReaderOf(nAna), t0), t0); !errors.Is(err, domain.ErrNoticeNoAcknowledgement) {
		t.Errorf("acknowledge a notice that does not ask: %v", err)
	}
	rv, _ := domain.RevokeNotice(must, nMia, "", t0)
	if _, err := domain.ReadNotice(rv, rc, t0); !errors.Is(err, domain.ErrNoticeRevoked) {
		t.Errorf("read a revoked notice: %v", err)
	}
	if _, err := domain.AcknowledgeNotice(rv, rc, t0); !errors.Is(err, domain.ErrNoticeRevoked) {
		t.Errorf("acknowledge a revoked notice: %v", err)
	}
}

func TestCheckNoticeQuery(t *testing.T) {
	if err := domain.CheckNoticeQuery("", ""); err != nil {
		t.Error(err)
	}
	for _, b := range domain.NoticeBoxes {
		if err := domain.CheckNoticeQuery(b, domain.ReceiptRead); err != nil {
			t.Error(b, err)
		}
	}
	if got := fields(t, domain.CheckNoticeQuery("outbox", "seen")); !maps.Equal(got, map[string]string{"box": "invalid", "state": "invalid"}) {
		t.Errorf("%v", got)
	}
}

func TestReceiptsFor(t *testing.T) {
	sales, _ := domain.PublishNotice(noticeDraftBy(t, nAda, func(in *domain.NoticeInput) { in.Audience = domain.Audience{Departments: []string{"sales"}} }), nAda, noticeOrg, t0)
	rs := []domain.Reader{
		{ID: "rep-ana", Name: "Ana", Roles: []string{"rep"}, Teams: []string{"north"}},
		{ID: "rep-ana", Name: "Ana again", Roles: []string{"rep"}, Teams: []string{"north"}}, // twice: once
		{ID: "svc-sam", Roles: []string{"rep"}, Teams: []string{"service"}},                  // outside the audience
		{ID: "", Roles: []string{"rep"}, Teams: []string{"south"}},                           // no id
		{ID: "bad\nid", Roles: []string{"rep"}, Teams: []string{"south"}},                    // not a token's id
		{ID: "mgr-max", Roles: []string{"manager"}, Teams: []string{"south"}},
	}
	got, err := domain.ReceiptsFor(sales, rs, noticeOrg, t0)
	if err != nil || len(got) != 2 || got[0].ReaderID != "rep-ana" || got[0].ReaderName != "Ana" || got[1].ReaderID != "mgr-max" {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := domain.ReceiptsFor(noticeDraftBy(t, nAda, nil), rs, noticeOrg, t0); !errors.Is(err, domain.ErrNoticeNotPublished) {
		t.Errorf("a draft: %v", err)
	}
	rv, _ := domain.RevokeNotice(sales, nAda, "", t0)
	if _, err := domain.ReceiptsFor(rv, rs, noticeOrg, t0); !errors.Is(err, domain.ErrNoticeRevoked) {
		t.Errorf("revoked: %v", err)
	}
	// A scheduled notice addresses its audience before it starts, not after it ends.
	s, _ := domain.PublishNotice(noticeDraftBy(t, nMia, func(in *domain.NoticeInput) { in.ValidFrom = tPlus(48 * time.Hour) }), nMia, noticeOrg, t0)
	if !s.Addresses(domain.ReaderOf(nAna), noticeOrg, t0) || s.Addresses(domain.ReaderOf(nAna), noticeOrg, s.ValidUntil) {
		t.Error("a scheduled notice addresses its readers until it ends")
	}
}

func TestNobodyOwesARevokedNotice(t *testing.T) {
	must, _ := domain.PublishNotice(noticeDraftBy(t, nMia, func(in *domain.NoticeInput) { in.MustAcknowledge, in.AckDeadline = true, tPlus(time.Hour) }), nMia, noticeOrg, t0)
	rv, _ := domain.RevokeNotice(must, nMia, "", t0)
	if !domain.ReceiptOf(must, domain.ReaderOf(nAna), t0).Overdue(t0.Add(2*time.Hour)) || domain.ReceiptOf(rv, domain.ReaderOf(nAna), t0).Overdue(t0.Add(2*time.Hour)) {
		t.Error("overdue unless revoked")
	}
}
