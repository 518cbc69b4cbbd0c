package domain

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Type is what a campaign sets out to do. It decides which campaign keeps a
// customer two running campaigns both want (precedence.go) and how a
// campaign is evaluated (evaluation.go).
type Type string

// Campaign types.
const (
	// TypeWinback brings lost customers back; its segment is always
	// restricted to lost customers (Segment.EffectiveSegment).
	TypeWinback   Type = "winback"
	TypeCrossSell Type = "cross_sell"
	TypeEvent     Type = "event"
	// TypeVisitDrive sends reps to visit the segment's customers.
	TypeVisitDrive Type = "visit_drive"
	TypeMailing    Type = "mailing"
	TypeOther      Type = "other"
)

// Types lists every campaign type.
var Types = []Type{TypeWinback, TypeCrossSell, TypeEvent, TypeVisitDrive, TypeMailing, TypeOther}

// Valid reports whether t is a known type.
func (t Type) Valid() bool { return slices.Contains(Types, t) }

// Channels a campaign reaches its customers through.
const (
	ChannelEmail     = "email"
	ChannelPhoneCall = "phone_call"
	ChannelVisit     = "visit"
	ChannelEvent     = "event"
)

// Channels lists every channel.
var Channels = []string{ChannelEmail, ChannelPhoneCall, ChannelVisit, ChannelEvent}

// Limits and defaults of a campaign's fields (text limits in characters).
const (
	MaxName      = 200
	MaxObjective = 2000
	MaxNote      = 500
	MaxRef       = 36  // ids of campaigns, cost entries, customers
	MaxUser      = 200 // user ids (the token's sub)
	MaxTeam      = 100
	// MaxAmount bounds every amount of money (budget, expected cost and
	// revenue, a cost entry).
	MaxAmount = 1e12
	// MaxHoldout is the largest share of a segment kept out of a campaign as
	// its control group: beyond half, the campaign reaches fewer customers
	// than it measures.
	MaxHoldout = 0.5
	// DefaultHoldout is the share held out when a draft does not say: enough
	// for a control group of useful size without giving up much reach.
	DefaultHoldout = 0.10
)

// Campaign is one marketing campaign: whom it reaches (its Segment, less a
// Holdout share kept as control group), through which channels, when, at
// what expected cost and revenue, and where it stands. It is changed only
// through NewCampaign, Edit and Move, each returning the changed copy.
type Campaign struct {
	ID        string
	Name      string
	Objective string
	Type      Type
	Channels  []string
	// Segment is the effective segment (Segment.EffectiveSegment): a win-back
	// campaign's names lifecycle stage lost.
	Segment Segment
	// Holdout is the share (0..MaxHoldout) of the segment's customers kept
	// out as control group (InHoldout).
	Holdout                               float64
	Budget, ExpectedCost, ExpectedRevenue float64
	// StartsOn and EndsOn are dates: midnight UTC of the calendar day.
	StartsOn, EndsOn time.Time
	OwnerID          string
	// Team is the marketing team the campaign belongs to (scope.go).
	Team  string
	State State
	// EnrolNewcomers: customers who enter the segment while the campaign
	// runs are enrolled too, not only those in it at launch.
	EnrolNewcomers bool
	// EmailSubject and EmailBody are the campaign's email (plain text), the
	// same for every customer it emails (email.go): required when the
	// campaign emails (SendsEmail), optional otherwise.
	EmailSubject, EmailBody string
	// Version counts changes (1 when created), for optimistic concurrency
	// (CheckVersion).
	Version    int
	CreatedBy  string
	ApprovedBy string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// The instants of the state changes; nil until made.
	ApprovedAt  *time.Time
	LaunchedAt  *time.Time
	CompletedAt *time.Time
	CancelledAt *time.Time
}

// Draft is a campaign as someone writes it, for NewCampaign and Edit.
type Draft struct {
	// ID is the new campaign's id (the caller makes it); Edit ignores it.
	ID              string
	Name, Objective string
	Type            Type
	Channels        []string
	Segment         Segment
	// Holdout nil takes DefaultHoldout; 0 is a campaign without control group.
	Holdout                               *float64
	Budget, ExpectedCost, ExpectedRevenue float64
	// StartsOn and EndsOn are read as the calendar dates they fall on in
	// their own location.
	StartsOn, EndsOn time.Time
	// OwnerID "" is the creator (NewCampaign) or the current owner (Edit).
	OwnerID, Team  string
	EnrolNewcomers bool
	// EmailSubject and EmailBody: the campaign's email, required when the
	// campaign emails (SendsEmail).
	EmailSubject, EmailBody string
}

// NewCampaign is a new draft campaign as in says, created by actor; every bad
// field is reported at once (422). Whether actor may create a campaign of
// in.Team is Marketing.CheckCreate's question.
func NewCampaign(in Draft, actor Actor, now time.Time) (Campaign, error) {
	var v apperr.Validation
	v.Check(in.ID != "", "id", "required", "the campaign needs an id")
	v.Check(ValidRef(in.ID), "id", "invalid", "an id of at most 36 characters, without spaces")
	user(&v, "created_by", actor.ID, true)
	if in.OwnerID == "" {
		in.OwnerID = actor.ID
	}
	at := instant(now)
	c := Campaign{ID: in.ID, State: StateDraft, Version: 1, CreatedBy: actor.ID, CreatedAt: at, UpdatedAt: at}
	c = apply(&v, c, in)
	if err := v.Err(); err != nil {
		return Campaign{}, err
	}
	return c, nil
}

// Edit replaces everything a draft says of c (not its id, creator or state)
// with in; only a draft is edited (ErrNotEditable). Whether the actor may edit
// c, and move it to in.Team, is Marketing.CanEdit's and CheckCreate's
// question.
func (c Campaign) Edit(in Draft, now time.Time) (Campaign, error) {
	if c.State != StateDraft {
		return c, ErrNotEditable
	}
	if in.OwnerID == "" {
		in.OwnerID = c.OwnerID
	}
	var v apperr.Validation
	out := apply(&v, c, in)
	if err := v.Err(); err != nil {
		return c, err
	}
	out.Version, out.UpdatedAt = c.Version+1, instant(now)
	return out, nil
}

// apply validates in and writes it into c, recording every bad field in v.
func apply(v *apperr.Validation, c Campaign, in Draft) Campaign {
	if text(v, "name", in.Name, MaxName, true) {
		v.Check(strings.IndexFunc(in.Name, unicode.IsControl) < 0, "name", "invalid", "one line, without control characters")
	}
	text(v, "objective", in.Objective, MaxObjective, false)
	v.Check(in.Type.Valid(), "type", "invalid", "one of "+join(Types))
	checkChannels(v, in.Channels)
	checkEmail(v, in)
	holdout := DefaultHoldout
	if in.Holdout != nil {
		holdout = *in.Holdout
		v.Check(inRange(holdout, 0, MaxHoldout), "holdout", "out_of_range", "a share from 0 to 0.5 (0.1 holds one customer in ten out)")
	}
	amount(v, "budget", in.Budget)
	amount(v, "expected_cost", in.ExpectedCost)
	amount(v, "expected_revenue", in.ExpectedRevenue)
	starts, ends := v.Check(!in.StartsOn.IsZero(), "starts_on", "required", "is required"), v.Check(!in.EndsOn.IsZero(), "ends_on", "required", "is required")
	if starts && ends {
		v.Check(!DateOf(in.EndsOn).Before(DateOf(in.StartsOn)), "ends_on", "before_start", "a campaign ends on or after the day it starts")
	}
	user(v, "owner_id", in.OwnerID, true)
	team(v, "team", in.Team, true)
	seg := in.Segment.normalize(v)
	seg = seg.effective(v, in.Type)

	c.Name, c.Objective, c.Type = strings.TrimSpace(in.Name), in.Objective, in.Type
	c.Channels, c.Segment, c.Holdout = slices.Clone(in.Channels), seg, holdout
	c.Budget, c.ExpectedCost, c.ExpectedRevenue = in.Budget, in.ExpectedCost, in.ExpectedRevenue
	c.StartsOn, c.EndsOn = DateOf(in.StartsOn), DateOf(in.EndsOn)
	c.OwnerID, c.Team, c.EnrolNewcomers = in.OwnerID, in.Team, in.EnrolNewcomers
	c.EmailSubject, c.EmailBody = strings.TrimSpace(in.EmailSubject), strings.TrimSpace(in.EmailBody)
	return c
}

func checkChannels(v *apperr.Validation, chs []string) {
	if !v.Check(len(chs) > 0, "channels", "required", "at least one of "+strings.Join(Channels, ", ")) {
		return
	}
	for i, ch := range chs {
		f := "channels[" + strconv.Itoa(i) + "]"
		if v.Check(slices.Contains(Channels, ch), f, "invalid", "one of "+strings.Join(Channels, ", ")) {
			v.Check(!slices.Contains(chs[:i], ch), f, "duplicate", "each channel is named once")
		}
	}
}

// checkEmail checks the campaign's email: a subject of one line and a
// body of valid text, both required when the campaign emails (SendsEmail:
// its touches send them; without them they would send nothing).
func checkEmail(v *apperr.Validation, in Draft) {
	required := SendsEmail(in.Type, in.Channels)
	if text(v, "email_subject", in.EmailSubject, MaxEmailSubject, required) {
		v.Check(strings.IndexFunc(in.EmailSubject, unicode.IsControl) < 0, "email_subject", "invalid", "one line, without control characters")
	}
	if text(v, "email_body", in.EmailBody, MaxEmailBody, required) {
		v.Check(strings.IndexFunc(in.EmailBody, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' }) < 0,
			"email_body", "invalid", "text without control characters (line breaks and tabs are fine)")
	}
}

// DateOf is the calendar date t falls on in its own location, as midnight
// UTC: how campaign and cost dates are kept. The zero time stays zero.
func DateOf(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// instant is now as stored: UTC, to the microsecond (what both databases keep).
func instant(now time.Time) time.Time { return now.UTC().Truncate(time.Microsecond) }

// inRange reports whether x is a number (not NaN) from lo to hi inclusive.
func inRange(x, lo, hi float64) bool { return !math.IsNaN(x) && x >= lo && x <= hi }

// amount checks an amount of money: 0 to MaxAmount.
func amount(v *apperr.Validation, field string, x float64) {
	v.Check(inRange(x, 0, MaxAmount), field, "out_of_range", "an amount from 0 to 1e12")
}

// text checks a text field: valid UTF-8 without NUL (PostgreSQL refuses
// both), at most max characters, and not blank when required. It reports
// whether the field is present and fine.
func text(v *apperr.Validation, field, s string, max int, required bool) bool {
	if required && !v.Check(strings.TrimSpace(s) != "", field, "required", "is required") {
		return false
	}
	if !v.Check(utf8.ValidString(s) && !strings.ContainsRune(s, 0), field, "invalid", "must be valid text") {
		return false
	}
	return v.Check(utf8.RuneCountInString(strings.TrimSpace(s)) <= max, field, "too_long", "at most "+strconv.Itoa(max)+" characters") && s != ""
}

// ValidRef reports whether s has the shape of an id (of a campaign, cost
// entry or customer): at most 36 characters, no spaces or control
// characters, valid UTF-8. Ids of another shape name nothing, so they need
// no look-up.
func ValidRef(s string) bool {
	return len(s) <= MaxRef && utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) < 0
}

func user(v *apperr.Validation, field, s string, required bool) {
	if required && !v.Check(s != "", field, "required", "is required") {
		return
	}
	v.Check(utf8.ValidString(s) && len(s) <= MaxUser && strings.IndexFunc(s, unicode.IsControl) < 0, field, "invalid", "a user id of at most 200 characters")
}

func team(v *apperr.Validation, field, s string, required bool) {
	if required && !v.Check(strings.TrimSpace(s) != "", field, "required", "is required") {
		return
	}
	v.Check(utf8.ValidString(s) && utf8.RuneCountInString(s) <= MaxTeam && strings.IndexFunc(s, unicode.IsControl) < 0, field, "invalid", "a team name of at most 100 characters")
}

func join[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
