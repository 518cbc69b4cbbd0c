package domain

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/workflows/policy"
)

// Statuses of a policy version.
const (
	StatusActive     = "active"     // in force now
	StatusScheduled  = "scheduled"  // in force later
	StatusSuperseded = "superseded" // was or would have been in force, replaced by a later one
	StatusWithdrawn  = "withdrawn"
)

// Kinds of audited subject.
const (
	AuditPolicy   = "policy"
	AuditCalendar = "calendar"
)

// SeedEpoch is when a policy's shipped default (version 1) comes into force.
var SeedEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// PolicyVersion is one immutable version of a timer policy: its value as
// JSON, from when it is in force, and whether it was withdrawn.
type PolicyVersion struct {
	Policy        string
	Version       int64
	Value         string
	EffectiveFrom time.Time
	CreatedBy     string
	CreatedAt     time.Time
	Reason        string
	CopiedFrom    *int64
	WithdrawnAt   *time.Time
	WithdrawnBy   *string
}

// AuditEntry is one entry of a policy's or calendar's audit trail. The
// repository gives it its id, trace id and time when it stores it.
type AuditEntry struct {
	ID      string
	Kind    string // AuditPolicy or AuditCalendar
	Subject string
	Version int64
	Action  string
	Actor   string
	Reason  string
	Changes []policy.Change
	TraceID string
	At      time.Time
}

// LookupPolicy returns a policy's definition from the catalogue.
func LookupPolicy(name string) (policy.Definition, error) {
	d, ok := policy.Lookup(name)
	if !ok {
		return d, ErrPolicyNotFound(name)
	}
	return d, nil
}

// InForce returns the index of the version in force at t — the latest
// effective_from at or before t that was not withdrawn, the higher version on
// a tie — or -1.
func InForce(versions []PolicyVersion, t time.Time) int {
	best := -1
	for i, r := range versions {
		if r.WithdrawnAt != nil || r.EffectiveFrom.After(t) {
			continue
		}
		if best < 0 || r.EffectiveFrom.After(versions[best].EffectiveFrom) ||
			(r.EffectiveFrom.Equal(versions[best].EffectiveFrom) && r.Version > versions[best].Version) {
			best = i
		}
	}
	return best
}

// NextChange is the earliest instant after t at which a version not
// withdrawn comes into force (a scheduled change), and false when none is
// scheduled: until then the version in force at t stays in force.
func NextChange(versions []PolicyVersion, t time.Time) (time.Time, bool) {
	var next time.Time
	for _, r := range versions {
		if r.WithdrawnAt == nil && r.EffectiveFrom.After(t) && (next.IsZero() || r.EffectiveFrom.Before(next)) {
			next = r.EffectiveFrom
		}
	}
	return next, !next.IsZero()
}

// Status is the status of versions[i] at now, where active is the index of
// the version in force (InForce, -1 for none).
func Status(versions []PolicyVersion, i int, now time.Time, active int) string {
	r := versions[i]
	switch {
	case r.WithdrawnAt != nil:
		return StatusWithdrawn
	case i == active:
		return StatusActive
	case r.EffectiveFrom.After(now) && (active < 0 || r.Version > versions[active].Version || r.EffectiveFrom.After(versions[active].EffectiveFrom)):
		return StatusScheduled
	}
	return StatusSuperseded
}

// IndexOf returns the index of a version number, or -1.
func IndexOf(versions []PolicyVersion, version int64) int {
	for i, r := range versions {
		if r.Version == version {
			return i
		}
	}
	return -1
}

// SeedPolicy is a policy's version 1, the shipped default, with its audit entry.
func SeedPolicy(d policy.Definition, now time.Time) (PolicyVersion, AuditEntry) {
	return PolicyVersion{Policy: d.Name, Version: 1, Value: string(d.Default.MustJSON()), EffectiveFrom: SeedEpoch,
			CreatedBy: "system", CreatedAt: now, Reason: "shipped default"},
		AuditEntry{Kind: AuditPolicy, Subject: d.Name, Version: 1, Action: "seeded", Actor: "system", Reason: "shipped default",
			Changes: policy.Diff(policy.Value{}, d.Default)}
}

// PolicyHistory is every version of one policy, oldest first: what a new
// version or a withdrawal is decided against. Add and Withdraw change it and
// add their audit entry to Audit; the repository stores the difference.
type PolicyHistory struct {
	Policy   string
	Versions []PolicyVersion
	Audit    []AuditEntry
}

// Add appends a new version with value, in force from eff (a rollback's
// copyOf names the version whose value it brings back). The audit entry
// records what changes against the version that would otherwise be in force
// at eff, and says created, scheduled (eff after now) or rolled_back.
func (h *PolicyHistory) Add(value policy.Value, eff time.Time, by, reason string, copyOf *int64, now time.Time) PolicyVersion {
	prev := policy.Value{}
	if a := InForce(h.Versions, eff); a >= 0 {
		prev, _ = policy.Parse([]byte(h.Versions[a].Value))
	}
	next := int64(1)
	if len(h.Versions) > 0 {
		next = h.Versions[len(h.Versions)-1].Version + 1
	}
	v := PolicyVersion{Policy: h.Policy, Version: next, Value: string(value.MustJSON()), EffectiveFrom: eff,
		CreatedBy: by, CreatedAt: now, Reason: strings.TrimSpace(reason), CopiedFrom: copyOf}
	h.Versions = append(h.Versions, v)
	action := "created"
	switch {
	case copyOf != nil:
		action = "rolled_back"
	case eff.After(now):
		action = "scheduled"
	}
	h.Audit = append(h.Audit, AuditEntry{Kind: AuditPolicy, Subject: h.Policy, Version: next, Action: action, Actor: by,
		Reason: v.Reason, Changes: policy.Diff(prev, value)})
	return v
}

// Withdraw cancels a scheduled version before it comes into force: one in
// force or past, or already withdrawn, cannot be.
func (h *PolicyHistory) Withdraw(version int64, by, reason string, now time.Time) (PolicyVersion, error) {
	i := IndexOf(h.Versions, version)
	if i < 0 {
		return PolicyVersion{}, ErrVersionNotFound(h.Policy, version)
	}
	v := &h.Versions[i]
	if v.WithdrawnAt != nil {
		return PolicyVersion{}, ErrAlreadyWithdrawn
	}
	if !v.EffectiveFrom.After(now) {
		return PolicyVersion{}, ErrAlreadyInForce
	}
	at, who := now, by
	v.WithdrawnAt, v.WithdrawnBy = &at, &who
	h.Audit = append(h.Audit, AuditEntry{Kind: AuditPolicy, Subject: h.Policy, Version: version, Action: "withdrawn", Actor: by,
		Reason: strings.TrimSpace(reason)})
	return *v, nil
}

// CheckWithdrawReason refuses a withdrawal without a reason.
func CheckWithdrawReason(reason string) error {
	if strings.TrimSpace(reason) == "" {
		var v apperr.Validation
		v.Add("reason", "required", "say why the version is withdrawn")
		return v.Err()
	}
	return nil
}

// EffectiveFrom validates when a proposed version comes into force and why,
// and returns the instant: now when absent; a minute in the past is taken as
// now (clock skew), earlier or more than two years ahead is refused. A
// reason is required.
func EffectiveFrom(effectiveFrom *time.Time, reason string, now time.Time) (time.Time, error) {
	var v apperr.Validation
	v.Check(strings.TrimSpace(reason) != "", "reason", "required", "say why the policy changes; it is kept in the audit trail")
	v.Check(len(reason) <= 2000, "reason", "too_long", "at most 2000 characters")
	eff := now
	if effectiveFrom != nil {
		eff = effectiveFrom.UTC().Truncate(time.Microsecond)
		// A minute of grace for clock skew between the analyst's machine and ours.
		v.Check(!eff.Before(now.Add(-time.Minute)), "effective_from", "in_the_past", "a new version cannot take effect in the past; omit effective_from to apply it now")
		v.Check(!eff.After(now.AddDate(2, 0, 0)), "effective_from", "out_of_range", "schedule at most two years ahead")
		if eff.Before(now) {
			eff = now
		}
	}
	return eff, v.Err()
}

// ParseCandidate decodes and validates a value submitted for a policy
// (policy.Validate, with the calendars that exist); every problem is a field
// error in one 422.
func ParseCandidate(d policy.Definition, raw json.RawMessage, calendarExists func(string) bool) (policy.Value, error) {
	if len(strings.TrimSpace(string(raw))) == 0 || string(raw) == "null" {
		return policy.Value{}, FieldErrors([]policy.FieldError{{Field: "value", Code: policy.CodeRequired, Message: "the new value is required"}})
	}
	v, err := policy.Parse(raw)
	if err != nil {
		return policy.Value{}, FieldErrors([]policy.FieldError{{Field: "value", Code: policy.CodeInvalid, Message: err.Error()}})
	}
	if errs := policy.Validate(d, v, calendarExists); len(errs) > 0 {
		return policy.Value{}, FieldErrors(errs)
	}
	return v, nil
}

// FieldErrors turns policy field errors into one validation failure; fields
// of the value are reported under "value.".
func FieldErrors(errs []policy.FieldError) error {
	var v apperr.Validation
	for _, e := range errs {
		field := e.Field
		if !strings.HasPrefix(field, "value") && !strings.HasPrefix(field, "effective_from") && !strings.HasPrefix(field, "reason") {
			field = "value." + field
		}
		v.Add(field, e.Code, e.Message)
	}
	return v.Err()
}
