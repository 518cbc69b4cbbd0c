package domain_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
	"github.com/closeloop/closeloop/workflows/policy"
)

func version(n int64, eff time.Time, withdrawn bool) domain.PolicyVersion {
	v := domain.PolicyVersion{Policy: "p", Version: n, EffectiveFrom: eff, Value: string(policy.Value{Timer: elapsedTimer(time.Duration(n) * time.Hour)}.MustJSON())}
	if withdrawn {
		v.WithdrawnAt = &eff
	}
	return v
}

func TestNextChange(t *testing.T) {
	h := func(d int) time.Time { return t0.Add(time.Duration(d) * time.Hour) }
	for _, c := range []struct {
		name     string
		versions []domain.PolicyVersion
		want     time.Time // zero: none scheduled
	}{
		{"none scheduled", []domain.PolicyVersion{version(1, h(-100), false), version(2, h(-1), false)}, time.Time{}},
		{"the earliest scheduled", []domain.PolicyVersion{version(1, h(-100), false), version(2, h(10), false), version(3, h(5), false)}, h(5)},
		{"a withdrawn one changes nothing", []domain.PolicyVersion{version(1, h(-100), false), version(2, h(2), true), version(3, h(7), false)}, h(7)},
		{"one coming into force at the instant itself is in force already", []domain.PolicyVersion{version(1, h(-100), false), version(2, h(0), false)}, time.Time{}},
	} {
		got, ok := domain.NextChange(c.versions, t0)
		if !got.Equal(c.want) || ok == c.want.IsZero() {
			t.Errorf("%s: %v %v, want %v", c.name, got, ok, c.want)
		}
	}
}

func TestInForceAndStatus(t *testing.T) {
	now := t0
	h := func(d int) time.Time { return now.Add(time.Duration(d) * time.Hour) }
	for _, c := range []struct {
		name     string
		versions []domain.PolicyVersion
		active   int64 // 0: none
		statuses []string
	}{
		{"the latest in force wins", []domain.PolicyVersion{version(1, h(-100), false), version(2, h(-1), false)}, 2,
			[]string{"superseded", "active"}},
		{"a scheduled one is not in force yet", []domain.PolicyVersion{version(1, h(-100), false), version(2, h(5), false)}, 1,
			[]string{"active", "scheduled"}},
		{"a withdrawn one is never in force", []domain.PolicyVersion{version(1, h(-100), false), version(2, h(-1), true), version(3, h(5), true)}, 1,
			[]string{"active", "withdrawn", "withdrawn"}},
		{"the same instant: the higher version", []domain.PolicyVersion{version(1, h(-1), false), version(2, h(-1), false)}, 2,
			[]string{"superseded", "active"}},
		{"a later effective_from beats a higher version", []domain.PolicyVersion{version(1, h(-100), false), version(2, h(-50), false), version(3, h(-70), false)}, 2,
			[]string{"superseded", "active", "superseded"}},
		{"a scheduled version replaced by a later-scheduled one still counts as scheduled", []domain.PolicyVersion{version(1, h(-100), false), version(2, h(10), false), version(3, h(5), false)}, 1,
			[]string{"active", "scheduled", "scheduled"}},
		{"nothing in force", []domain.PolicyVersion{version(1, h(3), false)}, 0, []string{"scheduled"}},
	} {
		i := domain.InForce(c.versions, now)
		got := int64(0)
		if i >= 0 {
			got = c.versions[i].Version
		}
		if got != c.active {
			t.Errorf("%s: in force v%d, want v%d", c.name, got, c.active)
		}
		for j, want := range c.statuses {
			if s := domain.Status(c.versions, j, now, i); s != want {
				t.Errorf("%s: v%d is %s, want %s", c.name, c.versions[j].Version, s, want)
			}
		}
	}
}

func TestPolicyHistoryAdd(t *testing.T) {
	now := t0
	v2 := policy.Value{Timer: elapsedTimer(5 * time.Hour)}
	copyOf := int64(1)
	for _, c := range []struct {
		name        string
		history     []domain.PolicyVersion
		eff         time.Time
		copyOf      *int64
		wantVersion int64
		wantAction  string
		wantChanges int
	}{
		{"the first version", nil, now, nil, 1, "created", 2},
		{"a change now", []domain.PolicyVersion{version(1, now.Add(-time.Hour), false)}, now, nil, 2, "created", 1},
		{"a change later", []domain.PolicyVersion{version(1, now.Add(-time.Hour), false)}, now.Add(time.Hour), nil, 2, "scheduled", 1},
		{"a rollback", []domain.PolicyVersion{version(1, now.Add(-time.Hour), false), version(2, now, true)}, now, &copyOf, 3, "rolled_back", 1},
		{"the same value changes nothing in the diff", []domain.PolicyVersion{version(5, now.Add(-time.Hour), false)}, now, nil, 6, "created", 0},
	} {
		h := domain.PolicyHistory{Policy: "p", Versions: c.history}
		n := len(h.Versions)
		got := h.Add(v2, c.eff, "analyst-ali", "  because ", c.copyOf, now)
		if got.Version != c.wantVersion || got.Reason != "because" || !got.EffectiveFrom.Equal(c.eff) || got.CopiedFrom != c.copyOf ||
			got.CreatedBy != "analyst-ali" || len(h.Versions) != n+1 || h.Versions[n] != got {
			t.Errorf("%s: %+v", c.name, got)
		}
		if len(h.Audit) != 1 || h.Audit[0].Action != c.wantAction || h.Audit[0].Version != c.wantVersion || h.Audit[0].Kind != "policy" ||
			len(h.Audit[0].Changes) != c.wantChanges {
			t.Errorf("%s: audit %+v", c.name, h.Audit)
		}
	}
}

func TestPolicyHistoryWithdraw(t *testing.T) {
	now := t0
	history := func() domain.PolicyHistory {
		return domain.PolicyHistory{Policy: "p", Versions: []domain.PolicyVersion{
			version(1, now.Add(-time.Hour), false), version(2, now.Add(time.Hour), false), version(3, now.Add(2*time.Hour), true)}}
	}
	for _, c := range []struct {
		name    string
		version int64
		want    string
	}{
		{"a scheduled version", 2, ""},
		{"one in force", 1, "already_in_force"},
		{"one withdrawn", 3, "already_withdrawn"},
		{"none", 9, "version_not_found"},
	} {
		h := history()
		v, err := h.Withdraw(c.version, "analyst-ali", " not needed ", now)
		if code(err) != c.want {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
			continue
		}
		if err != nil {
			if len(h.Audit) != 0 {
				t.Errorf("%s: audited a refusal", c.name)
			}
			continue
		}
		if !v.WithdrawnAt.Equal(now) || *v.WithdrawnBy != "analyst-ali" || h.Versions[1].WithdrawnAt == nil {
			t.Errorf("%s: %+v", c.name, v)
		}
		if len(h.Audit) != 1 || h.Audit[0].Action != "withdrawn" || h.Audit[0].Reason != "not needed" || h.Audit[0].Changes != nil {
			t.Errorf("%s: audit %+v", c.name, h.Audit)
		}
	}
	if got := fields(domain.CheckWithdrawReason(" ")); got != "reason:required" {
		t.Errorf("blank reason: %q", got)
	}
}

func TestEffectiveFrom(t *testing.T) {
	now := t0
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	for _, c := range []struct {
		name   string
		eff    *time.Time
		reason string
		want   time.Time
		fields string
	}{
		{"now when absent", nil, "why", now, ""},
		{"scheduled", at(time.Hour), "why", now.Add(time.Hour), ""},
		{"half a minute ago is now (clock skew)", at(-30 * time.Second), "why", now, ""},
		{"two minutes ago is refused", at(-2 * time.Minute), "why", time.Time{}, "effective_from:in_the_past"},
		{"more than two years ahead", at(3 * 365 * 24 * time.Hour), "why", time.Time{}, "effective_from:out_of_range"},
		{"a reason is required", nil, " ", time.Time{}, "reason:required"},
		{"every problem at once", at(-time.Hour), "", time.Time{}, "reason:required,effective_from:in_the_past"},
	} {
		got, err := domain.EffectiveFrom(c.eff, c.reason, now)
		if fields(err) != c.fields || (err == nil && !got.Equal(c.want)) {
			t.Errorf("%s: %s %q", c.name, got, fields(err))
		}
	}
}

func TestParseCandidate(t *testing.T) {
	d, ok := policy.Lookup(policy.CallbackDeadline)
	if !ok {
		t.Fatal("no callback deadline policy")
	}
	exists := func(n string) bool { return n == "standard" }
	good := string(d.Default.MustJSON())
	for _, c := range []struct {
		name, raw, fields string
	}{
		{"the default", good, ""},
		{"missing", "", "value:required"},
		{"null", "null", "value:required"},
		{"not a value", `{"timer": 5}`, "value:invalid"},
		{"an unknown calendar", `{"timer":{"duration":"8h","clock":"business","calendar":"mars"}}`, "value.timer.calendar:"},
	} {
		_, err := domain.ParseCandidate(d, json.RawMessage(c.raw), exists)
		got := fields(err)
		if c.fields == "" && got != "" || c.fields != "" && (len(got) < len(c.fields) || got[:len(c.fields)] != c.fields) {
			t.Errorf("%s: %q, want %q…", c.name, got, c.fields)
		}
	}
}

func TestFieldErrorsPrefixValueFields(t *testing.T) {
	err := domain.FieldErrors([]policy.FieldError{{Field: "timer.duration", Code: "too_short"}, {Field: "value", Code: "required"},
		{Field: "reason", Code: "required"}, {Field: "effective_from", Code: "in_the_past"}})
	if got := fields(err); got != "value.timer.duration:too_short,value:required,reason:required,effective_from:in_the_past" {
		t.Errorf("%q", got)
	}
}

func TestMergeValidation(t *testing.T) {
	var a, b apperr.Validation
	a.Add("a", "bad", "")
	b.Add("b", "bad", "")
	if got := fields(domain.MergeValidation(a.Err(), b.Err())); got != "b:bad,a:bad" {
		t.Errorf("both: %q", got)
	}
	other := errors.New("boom")
	if got := domain.MergeValidation(other, b.Err()); got != other {
		t.Errorf("not a validation: %v", got)
	}
	if got := domain.MergeValidation(a.Err(), nil); fields(got) != "a:bad" {
		t.Errorf("one: %v", got)
	}
}

func TestLookupAndSeedPolicy(t *testing.T) {
	if _, err := domain.LookupPolicy("nope"); code(err) != "policy_not_found" {
		t.Errorf("unknown policy: %v", err)
	}
	d, err := domain.LookupPolicy(policy.CallbackDeadline)
	if err != nil {
		t.Fatal(err)
	}
	v, a := domain.SeedPolicy(d, t0)
	if v.Version != 1 || !v.EffectiveFrom.Equal(domain.SeedEpoch) || v.CreatedBy != "system" || v.Reason != "shipped default" || !v.CreatedAt.Equal(t0) {
		t.Errorf("seed %+v", v)
	}
	if a.Action != "seeded" || a.Version != 1 || a.Subject != d.Name || len(a.Changes) == 0 {
		t.Errorf("audit %+v", a)
	}
}
