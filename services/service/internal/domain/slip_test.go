package domain_test

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/service/internal/domain"
	"github.com/closeloop/closeloop/workflows/infoslip"
	"github.com/closeloop/closeloop/workflows/wfx"
)

var slipT0 = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

// slipOrg: sales=north,south; service=service,service-west; marketing=marketing.
var slipOrg = domain.MustOrg(domain.DefaultDepartments)

// slipPeople is the directory: a sales rep (the originator), service people
// of both service teams, a marketer, the service manager, a person of no
// department and one who has left.
func slipPeople() map[string]domain.Person {
	ps := map[string]domain.Person{}
	for _, p := range []domain.Person{
		{ID: "rep-ana", Name: "Ana", Teams: []string{"north"}, Enabled: true},
		{ID: "rep-bo", Name: "Bo", Teams: []string{"south"}, Enabled: true},
		{ID: "svc-sun", Name: "Sun", Teams: []string{"service"}, Enabled: true},
		{ID: "svc-lin", Name: "Lin", Teams: []string{"service"}, Enabled: true},
		{ID: "svc-wu", Name: "Wu", Teams: []string{"service-west"}, Enabled: true},
		{ID: "mkt-mo", Name: "Mo", Teams: []string{"marketing"}, Enabled: true},
		{ID: "mgr-svc", Name: "Manager Gao", Teams: []string{"service"}, Manager: true, Enabled: true},
		{ID: "ops-ye", Name: "Ye", Teams: []string{"ops", "service-west"}, Enabled: true},
		{ID: "ex-old", Name: "Old", Teams: []string{"service"}, Enabled: false},
	} {
		ps[p.ID] = p
	}
	return ps
}

var slipOriginator = auth.Principal{Subject: "rep-ana", Name: "Ana", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"north"}}

func dept(d, team string) domain.RecipientInput {
	return domain.RecipientInput{Kind: infoslip.KindDepartment, Department: d, Team: team}
}

func person(id string) domain.RecipientInput {
	return domain.RecipientInput{Kind: infoslip.KindPerson, UserID: id}
}

func slipInput() domain.NewSlipInput {
	due := slipT0.Add(72 * time.Hour)
	return domain.NewSlipInput{
		ID: "0190b000-0000-7000-8000-000000000001", CustomerID: "0190c000-0000-7000-8000-000000000001", CustomerName: "Basalt Cranes",
		CustomerOwnerID: "rep-ana", CustomerTeam: "north", CaseID: "0190d000-0000-7000-8000-000000000001",
		Subject: "Crane K-40 brake complaints on two sites", Body: "Heard on the visit: the brakes fade under load.",
		Category: "quality", DueAt: &due,
		Attachments: []domain.SlipAttachment{{Name: "photo.jpg", Size: 123456, ContentType: "image/jpeg", URL: "https://files.example.com/a/photo.jpg"}},
		Recipients:  []domain.RecipientInput{dept("service", ""), person("svc-wu"), person("mkt-mo")},
	}
}

// newSlip files slipInput at slipT0, failing the test on a refusal.
func newSlip(t *testing.T) domain.Slip {
	t.Helper()
	s, _, err := domain.NewSlip(slipInput(), slipOriginator, slipOrg, slipPeople(), slipT0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewSlip(t *testing.T) {
	now := slipT0.Add(123456789 * time.Nanosecond)
	s, e, err := domain.NewSlip(slipInput(), slipOriginator, slipOrg, slipPeople(), now)
	if err != nil {
		t.Fatal(err)
	}
	at := now.Truncate(time.Microsecond)
	if s.State != infoslip.StateOpen || s.Urgency != domain.DefaultSlipUrgency || s.Version != 1 || !s.CreatedAt.Equal(at) ||
		s.OriginatorID != "rep-ana" || s.OriginatorName != "Ana" || !reflect.DeepEqual(s.OriginatorTeams, []string{"north"}) ||
		s.AllDoneAt != nil || s.ClosedAt != nil || len(s.Attachments) != 1 {
		t.Fatalf("slip %+v", s)
	}
	want := []domain.Recipient{
		{N: 1, Kind: infoslip.KindDepartment, Department: "service", Team: "service", State: infoslip.RecipientPending, ReceivedAt: at, AddedBy: "rep-ana"},
		{N: 2, Kind: infoslip.KindPerson, Department: "service", Team: "service-west", UserID: "svc-wu", UserName: "Wu", State: infoslip.RecipientPending, ReceivedAt: at, AddedBy: "rep-ana"},
		{N: 3, Kind: infoslip.KindPerson, Department: "marketing", Team: "marketing", UserID: "mkt-mo", UserName: "Mo", State: infoslip.RecipientPending, ReceivedAt: at, AddedBy: "rep-ana"},
	}
	if !reflect.DeepEqual(s.Recipients, want) {
		t.Fatalf("recipients %+v\nwant       %+v", s.Recipients, want)
	}
	if e.Kind != domain.SlipKindCreated || e.SlipID != s.ID || e.Actor != "rep-ana" || !e.At.Equal(at) || e.Body != s.Subject {
		t.Fatalf("created entry %+v", e)
	}

	// A person's department is that of their first team that has one; a
	// named team of a department is kept.
	in := slipInput()
	in.Recipients = []domain.RecipientInput{person("ops-ye"), dept("sales", "south"), dept("service", "service-west")}
	in.Urgency = "urgent"
	s, _, err = domain.NewSlip(in, slipOriginator, slipOrg, slipPeople(), now)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Recipients[0]; r.Team != "ops" || r.Department != "service" {
		t.Errorf("a person of ops and service-west: team %q department %q", r.Team, r.Department)
	}
	if r := s.Recipients[1]; r.Team != "south" || r.Department != "sales" || s.Recipients[2].Team != "service-west" || s.Urgency != "urgent" {
		t.Errorf("named teams: %+v", s.Recipients)
	}
}

// The bad input and every field rule: each refused with its field
// and code, and nothing else wrong.
func TestNewSlipRefusals(t *testing.T) {
	many := func(n int) ([]domain.RecipientInput, map[string]domain.Person) {
		ps := slipPeople()
		var rs []domain.RecipientInput
		for i := range n {
			id := fmt.Sprintf("p-%02d", i)
			ps[id] = domain.Person{ID: id, Name: id, Teams: []string{"service"}, Enabled: true}
			rs = append(rs, person(id))
		}
		return rs, ps
	}
	past := slipT0.Add(-time.Minute)
	cases := []struct {
		name   string
		change func(in *domain.NewSlipInput, ps map[string]domain.Person)
		want   map[string]string // nil: accepted
	}{
		{"no recipients", func(in *domain.NewSlipInput, _ map[string]domain.Person) { in.Recipients = nil },
			map[string]string{"recipients": "required"}},
		{"50 recipients", func(in *domain.NewSlipInput, ps map[string]domain.Person) {
			rs, more := many(50)
			in.Recipients = rs
			maps.Copy(ps, more)
		}, map[string]string{"recipients": infoslip.CodeTooManyRecipients}},
		{"49 recipients", func(in *domain.NewSlipInput, ps map[string]domain.Person) {
			rs, more := many(49)
			in.Recipients = rs
			maps.Copy(ps, more)
		}, nil},
		{"a person outside the organisation", func(in *domain.NewSlipInput, _ map[string]domain.Person) {
			in.Recipients[1] = person("stranger")
		}, map[string]string{"recipients[1].user_id": "unknown_user"}},
		{"a person who has left", func(in *domain.NewSlipInput, _ map[string]domain.Person) {
			in.Recipients[2] = person("ex-old")
		}, map[string]string{"recipients[2].user_id": "unknown_user"}},
		{"a person without id", func(in *domain.NewSlipInput, _ map[string]domain.Person) { in.Recipients[1] = person("") },
			map[string]string{"recipients[1].user_id": "required"}},
		{"a person twice", func(in *domain.NewSlipInput, _ map[string]domain.Person) {
			in.Recipients = append(in.Recipients, person("svc-wu"))
		}, map[string]string{"recipients[3].user_id": "duplicate"}},
		{"a department team twice (once by default)", func(in *domain.NewSlipInput, _ map[string]domain.Person) {
			in.Recipients = append(in.Recipients, dept("service", "service"))
		}, map[string]string{"recipients[3].department": "duplicate"}},
		{"two teams of a department", func(in *domain.NewSlipInput, _ map[string]domain.Person) {
			in.Recipients = append(in.Recipients, dept("service", "service-west"))
		}, nil},
		{"the originator to themselves", func(in *domain.NewSlipInput, _ map[string]domain.Person) {
			in.Recipients[0] = person("rep-ana")
		}, map[string]string{"recipients[0].user_id": "self"}},
		{"the originator's own department", func(in *domain.NewSlipInput, _ map[string]domain.Person) {
			in.Recipients[0] = dept("sales", "")
		}, nil},
		{"an unknown department", func(in *domain.NewSlipInput, _ map[string]domain.Person) {
			in.Recipients[0] = dept("finance", "")
		}, map[string]string{"recipients[0].department": "unknown_department"}},
		{"a team of another department", func(in *domain.NewSlipInput, _ map[string]domain.Person) {
			in.Recipients[0] = dept("service", "north")
		}, map[string]string{"recipients[0].team": "not_in_department"}},
		{"a department with a person", func(in *domain.NewSlipInput, _ map[string]domain.Person) {
			in.Recipients[0].UserID = "svc-sun"
		}, map[string]string{"recipients[0].user_id": "not_allowed"}},
		{"a person with a department and team", func(in *domain.NewSlipInput, _ map[string]domain.Person) {
			in.Recipients[1].Department, in.Recipients[1].Team = "service", "service"
		}, map[string]string{"recipients[1].department": "not_allowed", "recipients[1].team": "not_allowed"}},
		{"no kind", func(in *domain.NewSlipInput, _ map[string]domain.Person) { in.Recipients[2].Kind = "" },
			map[string]string{"recipients[2].kind": "invalid"}},
		{"a directory entry under another id", func(in *domain.NewSlipInput, ps map[string]domain.Person) {
			ps["alias"] = ps["svc-sun"]
			in.Recipients[1] = person("alias")
		}, map[string]string{"recipients[1].user_id": "unknown_user"}},
		{"no subject", func(in *domain.NewSlipInput, _ map[string]domain.Person) { in.Subject = "  " },
			map[string]string{"subject": "required"}},
		{"a subject of 201 characters", func(in *domain.NewSlipInput, _ map[string]domain.Person) { in.Subject = strings.Repeat("刹", 201) },
			map[string]string{"subject": "too_long"}},
		{"a subject of 200 characters", func(in *domain.NewSlipInput, _ map[string]domain.Person) { in.Subject = strings.Repeat("刹", 200) }, nil},
		{"a subject of two lines", func(in *domain.NewSlipInput, _ map[string]domain.Person) { in.Subject = "brakes\nfade" },
			map[string]string{"subject": "invalid"}},
		{"a body of 10,001 characters", func(in *domain.NewSlipInput, _ map[string]domain.Person) { in.Body = strings.Repeat("x", 10001) },
			map[string]string{"body": "too_long"}},
		{"an empty body", func(in *domain.NewSlipInput, _ map[string]domain.Person) { in.Body = "" }, nil},
		{"a body with NUL", func(in *domain.NewSlipInput, _ map[string]domain.Person) { in.Body = "a\x00b" },
			map[string]string{"body": "invalid"}},
		{"an unknown category", func(in *domain.NewSlipInput, _ map[string]domain.Person) { in.Category = "gossip" },
			map[string]string{"category": "invalid"}},
		{"no category", func(in *domain.NewSlipInput, _ map[string]domain.Person) { in.Category = "" },
			map[string]string{"category": "invalid"}},
		{"an unknown urgency", func(in *domain.NewSlipInput, _ map[string]domain.Person) { in.Urgency = "whenever" },
			map[string]string{"urgency": "invalid"}},
		{"a due date in the past", func(in *domain.NewSlipInput, _ map[string]domain.Person) { in.DueAt = &past },
			map[string]string{"due_at": "in_past"}},
		{"a due date now", func(in *domain.NewSlipInput, _ map[string]domain.Person) { in.DueAt = &slipT0 },
			map[string]string{"due_at": "in_past"}},
		{"no due date", func(in *domain.NewSlipInput, _ map[string]domain.Person) { in.DueAt = nil }, nil},
		{"no id", func(in *domain.NewSlipInput, _ map[string]domain.Person) { in.ID = "" },
			map[string]string{"id": "invalid"}},
		{"no customer", func(in *domain.NewSlipInput, _ map[string]domain.Person) { in.CustomerID = "" },
			map[string]string{"customer_id": "required"}},
		{"references that are not UUIDs", func(in *domain.NewSlipInput, _ map[string]domain.Person) {
			in.ContactID, in.LeadID, in.OpportunityID, in.CaseID, in.VisitID = "x", "0190", "{0190b000-0000-7000-8000-000000000001}", "a b", "urn:uuid:0190b000-0000-7000-8000-000000000001"
		}, map[string]string{"contact_id": "invalid", "lead_id": "invalid", "opportunity_id": "invalid", "case_id": "invalid", "visit_id": "invalid"}},
		{"21 attachments", func(in *domain.NewSlipInput, _ map[string]domain.Person) {
			for range 20 {
				in.Attachments = append(in.Attachments, in.Attachments[0])
			}
		}, map[string]string{"attachments": "too_many"}},
		{"20 attachments", func(in *domain.NewSlipInput, _ map[string]domain.Person) {
			for range 19 {
				in.Attachments = append(in.Attachments, in.Attachments[0])
			}
		}, nil},
		{"bad attachment fields", func(in *domain.NewSlipInput, _ map[string]domain.Person) {
			in.Attachments = append(in.Attachments,
				domain.SlipAttachment{Name: "", Size: -1, ContentType: "pdf", URL: "ftp://files.example.com/x"},
				domain.SlipAttachment{Name: strings.Repeat("n", 201), Size: domain.MaxSlipAttachmentSize + 1, ContentType: "text/", URL: "https:///nohost"},
				domain.SlipAttachment{Name: "ok.pdf", Size: domain.MaxSlipAttachmentSize, ContentType: "application/pdf; x=y", URL: "https://x.example.com/" + strings.Repeat("p", 2000)},
				domain.SlipAttachment{Name: "ok.pdf", ContentType: "application/pdf", URL: "https://x.example.com/\xff"},
			)
		}, map[string]string{"attachments[1].name": "required", "attachments[1].size": "invalid", "attachments[1].content_type": "invalid",
			"attachments[1].url": "invalid", "attachments[2].name": "too_long", "attachments[2].size": "invalid",
			"attachments[2].content_type": "invalid", "attachments[2].url": "invalid", "attachments[3].url": "invalid", "attachments[4].url": "invalid"}},
		{"an attachment of 0 bytes over http", func(in *domain.NewSlipInput, _ map[string]domain.Person) {
			in.Attachments[0].Size, in.Attachments[0].URL, in.Attachments[0].ContentType = 0, "http://files.example.com/a?b=c", "text/plain; charset=utf-8"
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in, ps := slipInput(), slipPeople()
			c.change(&in, ps)
			s, _, err := domain.NewSlip(in, slipOriginator, slipOrg, ps, slipT0)
			if c.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if got := fields(t, err); !maps.Equal(got, c.want) {
				t.Fatalf("fields %v, want %v (err %v)", got, c.want, err)
			}
			if !reflect.DeepEqual(s, domain.Slip{}) {
				t.Errorf("a refused slip came back: %+v", s)
			}
		})
	}
}

func TestNewSlipReportsEveryBadFieldAtOnce(t *testing.T) {
	in := slipInput()
	in.Subject, in.Category, in.Urgency = "", "x", "x"
	in.Recipients = []domain.RecipientInput{person("stranger"), dept("finance", ""), person("rep-ana"), {Kind: "robot"}}
	_, _, err := domain.NewSlip(in, auth.Principal{Subject: "rep-ana"}, slipOrg, slipPeople(), slipT0)
	want := map[string]string{"subject": "required", "category": "invalid", "urgency": "invalid", "recipients[0].user_id": "unknown_user",
		"recipients[1].department": "unknown_department", "recipients[2].user_id": "self", "recipients[3].kind": "invalid"}
	if got := fields(t, err); !maps.Equal(got, want) {
		t.Fatalf("fields %v\nwant   %v", got, want)
	}
	if _, _, err := domain.NewSlip(slipInput(), auth.Principal{}, slipOrg, slipPeople(), slipT0); fields(t, err)["originator"] != "required" {
		t.Errorf("a slip from nobody: %v", err)
	}
}

func TestSlipErrorCodesAreTheRulesCodes(t *testing.T) {
	for code, e := range map[string]error{
		infoslip.CodeSlipClosed: domain.ErrSlipClosed, infoslip.CodeSlipWithdrawn: domain.ErrSlipWithdrawn,
		infoslip.CodeAlreadyAcknowledged: domain.ErrSlipAlreadyAcknowledged, infoslip.CodeAlreadyDone: domain.ErrSlipAlreadyDone,
		infoslip.CodeRecipientState: domain.ErrSlipRecipientTransition, infoslip.CodeNotRouted: domain.ErrSlipNotRouted,
		infoslip.CodeNotDepartment: domain.ErrSlipNotDepartment, infoslip.CodeNotAllDone: domain.ErrSlipNotAllDone,
	} {
		got, ok := domain.SlipErrorByCode(code, "words")
		if !ok || got.Message != "words" || got.Kind != apperr.KindConflict || !errors.Is(got, e) {
			t.Errorf("%s: %+v %v", code, got, ok)
		}
		if err := domain.SlipRefusal(&wfx.Refusal{Code: code, Message: "said so"}); !errors.Is(err, e) || apperr.From(err).Message != "said so" {
			t.Errorf("the refusal %s: %v", code, err)
		}
	}
}

func TestSlipRefusalOfAField(t *testing.T) {
	err := domain.SlipRefusal(&wfx.Refusal{Code: infoslip.CodeReasonRequired, Field: "reason", Message: "say why"})
	if got := fields(t, err); !maps.Equal(got, map[string]string{"reason": infoslip.CodeReasonRequired}) {
		t.Fatalf("fields %v (%v)", got, err)
	}
	if err := domain.SlipRefusal(&wfx.Refusal{Code: "something_new", Message: "m"}); apperr.From(err).Kind != apperr.KindConflict || apperr.From(err).Code != "something_new" {
		t.Errorf("an unknown state refusal: %v", err)
	}
	if domain.SlipRefusal(nil) != nil {
		t.Error("no refusal is an error")
	}
}
