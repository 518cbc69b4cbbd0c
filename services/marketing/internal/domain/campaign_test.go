package domain_test

import (
	"errors"
	"maps"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

var t0 = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

var (
	marketer = domain.Actor{ID: "mk-lin", Roles: []string{domain.RoleRep}, Teams: []string{"marketing"}}
	mManager = domain.Actor{ID: "mm-zhou", Roles: []string{domain.RoleManager}, Teams: []string{"marketing"}}
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func ptr[T any](v T) *T { return &v }

func draft() domain.Draft {
	return domain.Draft{
		ID: "cmp-1", Name: "Bring back 2025's lost A customers", Objective: "Win back a quarter of them by autumn.",
		Type: domain.TypeWinback, Channels: []string{domain.ChannelPhoneCall, domain.ChannelVisit},
		Segment: domain.Segment{ValueClasses: []string{"A"}}, Budget: 20000, ExpectedCost: 15000, ExpectedRevenue: 90000,
		StartsOn: date(2026, 6, 1), EndsOn: date(2026, 8, 31), Team: "marketing", EnrolNewcomers: true,
		EmailSubject: "We would like you back", EmailBody: "Dear customer,\n\nour new service plan …",
	}
}

// campaignIn is a campaign created by the marketer, in state.
func campaignIn(t *testing.T, state domain.State) domain.Campaign {
	t.Helper()
	c, err := domain.NewCampaign(draft(), marketer, t0)
	if err != nil {
		t.Fatal(err)
	}
	c.State = state
	return c
}

// fields are the field errors of a 422 validation failure, field → code;
// nil when err is something else.
func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	e := apperr.From(err)
	if err == nil || e.Kind != apperr.KindRule || e.Code != "validation_failed" {
		return nil
	}
	out := map[string]string{}
	for _, f := range e.Fields {
		out[f.Field] = f.Code
	}
	return out
}

func TestNewCampaign(t *testing.T) {
	d := draft()
	d.Name = "  " + d.Name + " "
	d.StartsOn = time.Date(2026, 6, 1, 23, 30, 0, 0, time.FixedZone("CST", 8*3600))
	c, err := domain.NewCampaign(d, marketer, t0.Add(123*time.Nanosecond))
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "cmp-1" || c.Name != "Bring back 2025's lost A customers" || c.State != domain.StateDraft || c.Version != 1 ||
		c.CreatedBy != "mk-lin" || c.OwnerID != "mk-lin" || !c.CreatedAt.Equal(t0) || c.UpdatedAt != c.CreatedAt || c.ApprovedAt != nil {
		t.Errorf("new campaign: %+v", c)
	}
	// The holdout defaults, the dates are the calendar days as written.
	if c.Holdout != domain.DefaultHoldout || c.StartsOn != date(2026, 6, 1) || c.EndsOn != date(2026, 8, 31) {
		t.Errorf("holdout %v, dates %v – %v", c.Holdout, c.StartsOn, c.EndsOn)
	}
	// A win-back campaign reaches lost customers only.
	if got := c.Segment.LifecycleStages; len(got) != 1 || got[0] != domain.StageLost || c.Segment.ValueClasses[0] != "A" {
		t.Errorf("segment %+v", c.Segment)
	}
	// A draft naming its owner and a holdout of 0 (no control group) keeps both.
	d = draft()
	d.OwnerID, d.Holdout = "mk-wang", ptr(0.0)
	if c, _ := domain.NewCampaign(d, marketer, t0); c.OwnerID != "mk-wang" || c.Holdout != 0 {
		t.Errorf("owner %q, holdout %v", c.OwnerID, c.Holdout)
	}
	// The campaign does not share the draft's channel list.
	d = draft()
	c, _ = domain.NewCampaign(d, marketer, t0)
	d.Channels[0] = "fax"
	if c.Channels[0] != domain.ChannelPhoneCall {
		t.Error("the campaign shares its channels with the draft")
	}
}

func TestNewCampaignReportsEveryBadFieldAtOnce(t *testing.T) {
	bad := domain.Draft{
		ID: "has space", Name: " ", Objective: strings.Repeat("o", 2001), Type: "newsletter", Holdout: ptr(0.6),
		Budget: -1, ExpectedCost: math.NaN(), ExpectedRevenue: 2e12, Team: strings.Repeat("t", 101),
		Segment: domain.Segment{LifecycleStages: []string{"former"}},
	}
	_, err := domain.NewCampaign(bad, domain.Actor{}, t0)
	want := map[string]string{
		"id": "invalid", "created_by": "required", "name": "required", "objective": "too_long", "type": "invalid", "channels": "required",
		"holdout": "out_of_range", "budget": "out_of_range", "expected_cost": "out_of_range", "expected_revenue": "out_of_range",
		"starts_on": "required", "ends_on": "required", "owner_id": "required", "team": "invalid", "segment.lifecycle_stages[0]": "invalid",
	}
	if got := fields(t, err); !maps.Equal(got, want) {
		t.Errorf("fields %v\nwant   %v", got, want)
	}
}

func TestNewCampaignFieldRules(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*domain.Draft)
		field string // "" valid
		code  string
	}{
		{"no id", func(d *domain.Draft) { d.ID = "" }, "id", "required"},
		{"name of 200 characters", func(d *domain.Draft) { d.Name = strings.Repeat("名", 200) }, "", ""},
		{"name of 201 characters", func(d *domain.Draft) { d.Name = strings.Repeat("名", 201) }, "name", "too_long"},
		{"name on two lines", func(d *domain.Draft) { d.Name = "two\nlines" }, "name", "invalid"},
		{"name not UTF-8", func(d *domain.Draft) { d.Name = "bad \xff" }, "name", "invalid"},
		{"objective of 2000 characters", func(d *domain.Draft) { d.Objective = strings.Repeat("o", 2000) }, "", ""},
		{"objective with NUL", func(d *domain.Draft) { d.Objective = "a\x00b" }, "objective", "invalid"},
		{"every type", func(d *domain.Draft) { d.Type = domain.TypeOther }, "", ""},
		{"unknown channel", func(d *domain.Draft) { d.Channels = []string{"email", "fax"} }, "channels[1]", "invalid"},
		{"duplicate channel", func(d *domain.Draft) { d.Channels = []string{"email", "visit", "email"} }, "channels[2]", "duplicate"},
		{"every channel", func(d *domain.Draft) { d.Channels = domain.Channels }, "", ""},
		{"email channel without subject", func(d *domain.Draft) { d.Channels, d.EmailSubject = []string{"email"}, " " }, "email_subject", "required"},
		{"win-back with the email channel without body", func(d *domain.Draft) { d.Channels, d.EmailBody = []string{"visit", "email"}, "" }, "email_body", "required"},
		{"one-touch emailing without body", func(d *domain.Draft) {
			d.Type, d.Channels, d.EmailBody, d.Segment = domain.TypeMailing, []string{"email", "visit"}, "", domain.Segment{}
		}, "email_body", "required"},
		{"one-touch naming email second, without text", func(d *domain.Draft) {
			d.Type, d.Channels, d.EmailSubject, d.EmailBody, d.Segment = domain.TypeCrossSell, []string{"phone_call", "email"}, "", "", domain.Segment{}
		}, "", ""},
		{"no email text without the email channel", func(d *domain.Draft) { d.EmailSubject, d.EmailBody = "", "" }, "", ""},
		{"subject on two lines", func(d *domain.Draft) { d.EmailSubject = "two\nlines" }, "email_subject", "invalid"},
		{"subject of 201 characters", func(d *domain.Draft) { d.EmailSubject = strings.Repeat("信", 201) }, "email_subject", "too_long"},
		{"body of 10,000 characters on many lines", func(d *domain.Draft) { d.EmailBody = strings.Repeat("line\r\n\t", 1250) }, "", ""},
		{"body of 10,001 characters", func(d *domain.Draft) { d.EmailBody = strings.Repeat("b", 10001) }, "email_body", "too_long"},
		{"body with a control character", func(d *domain.Draft) { d.EmailBody = "bell\a" }, "email_body", "invalid"},
		{"holdout 0.5", func(d *domain.Draft) { d.Holdout = ptr(0.5) }, "", ""},
		{"holdout over 0.5", func(d *domain.Draft) { d.Holdout = ptr(0.5000001) }, "holdout", "out_of_range"},
		{"holdout given as percent", func(d *domain.Draft) { d.Holdout = ptr(10.0) }, "holdout", "out_of_range"},
		{"negative holdout", func(d *domain.Draft) { d.Holdout = ptr(-0.1) }, "holdout", "out_of_range"},
		{"holdout NaN", func(d *domain.Draft) { d.Holdout = ptr(math.NaN()) }, "holdout", "out_of_range"},
		{"budget 0", func(d *domain.Draft) { d.Budget = 0 }, "", ""},
		{"budget 1e12", func(d *domain.Draft) { d.Budget = 1e12 }, "", ""},
		{"budget infinite", func(d *domain.Draft) { d.Budget = math.Inf(1) }, "budget", "out_of_range"},
		{"expected revenue negative", func(d *domain.Draft) { d.ExpectedRevenue = -0.01 }, "expected_revenue", "out_of_range"},
		{"one-day campaign", func(d *domain.Draft) { d.EndsOn = d.StartsOn.Add(23 * time.Hour) }, "", ""},
		{"ends before it starts", func(d *domain.Draft) { d.EndsOn = date(2026, 5, 31) }, "ends_on", "before_start"},
		{"no start", func(d *domain.Draft) { d.StartsOn = time.Time{} }, "starts_on", "required"},
		{"owner id with control character", func(d *domain.Draft) { d.OwnerID = "mk\x01" }, "owner_id", "invalid"},
		{"no team", func(d *domain.Draft) { d.Team = "  " }, "team", "required"},
		{"win-back naming lost", func(d *domain.Draft) { d.Segment.LifecycleStages = []string{"lost"} }, "", ""},
		{"win-back naming another stage", func(d *domain.Draft) { d.Segment.LifecycleStages = []string{"lost", "service"} }, "segment.lifecycle_stages", "winback_lost_only"},
		{"cross-sell naming any stage", func(d *domain.Draft) {
			d.Type, d.Segment.LifecycleStages = domain.TypeCrossSell, []string{"transacting", "service"}
		}, "", ""},
		{"segment bounds crossed", func(d *domain.Draft) {
			d.Segment.MinDaysSinceContact, d.Segment.MaxDaysSinceContact = ptr(90), ptr(30)
		}, "segment.max_days_since_contact", "below_min"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := draft()
			tc.edit(&d)
			_, err := domain.NewCampaign(d, marketer, t0)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if got := fields(t, err); len(got) != 1 || got[tc.field] != tc.code {
				t.Errorf("fields %v, want %s: %s", got, tc.field, tc.code)
			}
		})
	}
}

func TestEdit(t *testing.T) {
	c := campaignIn(t, domain.StateDraft)
	d := draft()
	d.ID, d.Name, d.Type, d.Holdout, d.OwnerID = "ignored", "Summer cross-sell", domain.TypeCrossSell, ptr(0.2), ""
	d.Segment = domain.Segment{Regions: []string{" East ", "East"}}
	got, err := c.Edit(d, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != c.ID || got.Name != "Summer cross-sell" || got.Type != domain.TypeCrossSell || got.Holdout != 0.2 ||
		got.OwnerID != c.OwnerID || got.CreatedBy != c.CreatedBy || !got.CreatedAt.Equal(c.CreatedAt) ||
		got.Version != 2 || !got.UpdatedAt.Equal(t0.Add(time.Hour)) || got.State != domain.StateDraft {
		t.Errorf("edited: %+v", got)
	}
	// The segment is the one the draft names now, normalized; a cross-sell
	// campaign is not restricted to lost customers.
	if s := got.Segment; len(s.Regions) != 1 || s.Regions[0] != "East" || len(s.LifecycleStages) != 0 {
		t.Errorf("segment %+v", s)
	}

	// A bad edit changes nothing.
	d.Name = ""
	if same, err := c.Edit(d, t0.Add(time.Hour)); fields(t, err)["name"] != "required" || same.Version != c.Version || same.Name != c.Name {
		t.Errorf("bad edit: %v, %+v", err, same)
	}

	// Only a draft is edited.
	for _, s := range []domain.State{domain.StateApproved, domain.StateRunning, domain.StateCompleted, domain.StateCancelled} {
		if _, err := campaignIn(t, s).Edit(draft(), t0); !errors.Is(err, domain.ErrNotEditable) || apperr.From(err).Kind != apperr.KindRule {
			t.Errorf("edit of a %s campaign: %v", s, err)
		}
	}
}

func TestDateOf(t *testing.T) {
	sh := time.FixedZone("CST", 8*3600)
	for _, tc := range []struct{ in, want time.Time }{
		{time.Date(2026, 6, 1, 0, 30, 0, 0, sh), date(2026, 6, 1)}, // 2026-05-31 16:30 UTC: the date as written counts
		{time.Date(2026, 6, 1, 23, 59, 59, 0, time.UTC), date(2026, 6, 1)},
		{time.Time{}, time.Time{}},
	} {
		if got := domain.DateOf(tc.in); !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("DateOf(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
