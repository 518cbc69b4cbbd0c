package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
	"github.com/closeloop/closeloop/workflows/policy"
)

// Rollouts brings running workflows onto a new version once it is in force
// (the PolicyRollout workflow). kind is "policy" or "calendar".
type Rollouts interface {
	Start(ctx context.Context, kind, name string, version int64, effectiveFrom time.Time) error
	Cancel(ctx context.Context, kind, name string, version int64, effectiveFrom time.Time) error
}

// Policies is the timer policy and business calendar use cases: analysts
// list, read, diff, change, schedule, withdraw and roll back policy versions
// and change calendars; workflows resolve them through activities.
type Policies struct {
	policies  *store.Policies
	calendars *store.Calendars
	rollouts  Rollouts
	log       *slog.Logger
	now       func() time.Time
	country   string // calendar preset of a fresh database (SetDefaultCountry); empty: plain
}

// NewPolicies returns the use cases. rollouts may be nil (no running
// workflows to tell), and so may log.
func NewPolicies(p *store.Policies, c *store.Calendars, r Rollouts, log *slog.Logger) *Policies {
	return &Policies{policies: p, calendars: c, rollouts: r, log: log, now: now}
}

// SetDefaultCountry picks the calendar preset a fresh database is seeded
// with (before Seed). An unknown country is refused and nothing is seeded.
func (s *Policies) SetDefaultCountry(country string) error {
	c, err := domain.NormalizeCountry(country)
	if err != nil {
		return err
	}
	s.country = c
	return nil
}

// Seed stores version 1 — the shipped default — of every policy that has no
// version yet, and the preset calendars when there is no calendar. It is
// idempotent and safe to run from several replicas at once.
func (s *Policies) Seed(ctx context.Context) error {
	country := s.country
	if country == "" {
		country = domain.CountryPlain
	}
	fresh, err := s.calendars.Seed(ctx, domain.PresetSeeds(country, s.now()))
	if err != nil {
		return err
	}
	if !fresh && s.country != "" && s.country != domain.CountryPlain && s.log != nil {
		s.log.Info("calendars exist already: DEFAULT_CALENDAR_COUNTRY only seeds a fresh database", "country", s.country)
	}
	for _, d := range policy.Catalogue() {
		v, a := domain.SeedPolicy(d, s.now())
		if err := s.policies.Seed(ctx, v, a); err != nil {
			return fmt.Errorf("seed policy %s: %w", d.Name, err)
		}
	}
	return nil
}

// VersionView is one version as the API shows it.
type VersionView struct {
	Policy        string          `json:"policy"`
	Version       int64           `json:"version"`
	Value         json.RawMessage `json:"value"`
	EffectiveFrom time.Time       `json:"effective_from"`
	// Status is "active" (in force now), "scheduled" (in force later),
	// "superseded" (was or would have been in force, replaced by a later one)
	// or "withdrawn".
	Status      string     `json:"status"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	Reason      string     `json:"reason"`
	CopiedFrom  *int64     `json:"copied_from,omitempty"`
	WithdrawnAt *time.Time `json:"withdrawn_at,omitempty"`
	WithdrawnBy *string    `json:"withdrawn_by,omitempty"`
}

// PolicyView is a policy: its definition, the version in force, and any
// scheduled ones.
type PolicyView struct {
	policy.Definition
	FollowUpKinds []string      `json:"follow_up_kinds"`
	Active        VersionView   `json:"active"`
	Scheduled     []VersionView `json:"scheduled"`
}

// AuditView is one entry of a policy's or calendar's audit trail.
type AuditView struct {
	ID      string          `json:"id"`
	Version int64           `json:"version"`
	Action  string          `json:"action"`
	Actor   string          `json:"actor"`
	Reason  string          `json:"reason"`
	Changes []policy.Change `json:"changes"`
	TraceID string          `json:"trace_id,omitempty"`
	At      time.Time       `json:"at"`
}

// DiffView compares two versions.
type DiffView struct {
	Policy  string          `json:"policy"`
	From    int64           `json:"from"`
	To      int64           `json:"to"`
	Changes []policy.Change `json:"changes"`
}

// Proposal is a new version: a value, when it comes into force (nil: now)
// and why.
type Proposal struct {
	Value         json.RawMessage
	EffectiveFrom *time.Time
	Reason        string
}

func versionView(vs []domain.PolicyVersion, i int, now time.Time, active int) VersionView {
	r := vs[i]
	return VersionView{Policy: r.Policy, Version: r.Version, Value: json.RawMessage(r.Value), EffectiveFrom: r.EffectiveFrom,
		Status: domain.Status(vs, i, now, active), CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, Reason: r.Reason,
		CopiedFrom: r.CopiedFrom, WithdrawnAt: r.WithdrawnAt, WithdrawnBy: r.WithdrawnBy}
}

func (s *Policies) policyView(ctx context.Context, d policy.Definition) (PolicyView, error) {
	vs, err := s.policies.Versions(ctx, d.Name)
	if err != nil {
		return PolicyView{}, err
	}
	now := s.now()
	active := domain.InForce(vs, now)
	pv := PolicyView{Definition: d, FollowUpKinds: policy.KindsUsing(d.Name), Scheduled: []VersionView{}}
	if pv.FollowUpKinds == nil {
		pv.FollowUpKinds = []string{}
	}
	if active >= 0 {
		pv.Active = versionView(vs, active, now, active)
	}
	for i := range vs {
		if v := versionView(vs, i, now, active); v.Status == domain.StatusScheduled {
			pv.Scheduled = append(pv.Scheduled, v)
		}
	}
	return pv, nil
}

// List returns every policy with its version in force.
func (s *Policies) List(ctx context.Context) ([]PolicyView, error) {
	if _, err := auth.Authorize(ctx, auth.PermPoliciesRead); err != nil {
		return nil, err
	}
	var out []PolicyView
	for _, d := range policy.Catalogue() {
		pv, err := s.policyView(ctx, d)
		if err != nil {
			return nil, err
		}
		out = append(out, pv)
	}
	return out, nil
}

// Get returns one policy.
func (s *Policies) Get(ctx context.Context, name string) (PolicyView, error) {
	if _, err := auth.Authorize(ctx, auth.PermPoliciesRead); err != nil {
		return PolicyView{}, err
	}
	d, err := domain.LookupPolicy(name)
	if err != nil {
		return PolicyView{}, err
	}
	return s.policyView(ctx, d)
}

// Versions returns every version of a policy, oldest first.
func (s *Policies) Versions(ctx context.Context, name string) ([]VersionView, error) {
	if _, err := auth.Authorize(ctx, auth.PermPoliciesRead); err != nil {
		return nil, err
	}
	if _, err := domain.LookupPolicy(name); err != nil {
		return nil, err
	}
	vs, err := s.policies.Versions(ctx, name)
	if err != nil {
		return nil, err
	}
	now := s.now()
	active := domain.InForce(vs, now)
	out := make([]VersionView, len(vs))
	for i := range vs {
		out[i] = versionView(vs, i, now, active)
	}
	return out, nil
}

// Version returns one version.
func (s *Policies) Version(ctx context.Context, name string, version int64) (VersionView, error) {
	all, err := s.Versions(ctx, name)
	if err != nil {
		return VersionView{}, err
	}
	for _, v := range all {
		if v.Version == version {
			return v, nil
		}
	}
	return VersionView{}, domain.ErrVersionNotFound(name, version)
}

// Diff compares two versions of a policy.
func (s *Policies) Diff(ctx context.Context, name string, from, to int64) (DiffView, error) {
	a, err := s.Version(ctx, name, from)
	if err != nil {
		return DiffView{}, err
	}
	b, err := s.Version(ctx, name, to)
	if err != nil {
		return DiffView{}, err
	}
	va, _ := policy.Parse(a.Value)
	vb, _ := policy.Parse(b.Value)
	ch := policy.Diff(va, vb)
	if ch == nil {
		ch = []policy.Change{}
	}
	return DiffView{Policy: name, From: from, To: to, Changes: ch}, nil
}

// Audit returns a policy's or a calendar's audit trail (kind "policy" or
// "calendar"), newest first.
func (s *Policies) Audit(ctx context.Context, kind, name string) ([]AuditView, error) {
	if _, err := auth.Authorize(ctx, auth.PermPoliciesRead); err != nil {
		return nil, err
	}
	if kind == domain.AuditPolicy {
		if _, err := domain.LookupPolicy(name); err != nil {
			return nil, err
		}
	}
	entries, err := s.policies.Audit(ctx, kind, name)
	if err != nil {
		return nil, err
	}
	if kind == domain.AuditCalendar && len(entries) == 0 {
		return nil, domain.ErrCalendarNotFound(name)
	}
	out := make([]AuditView, len(entries))
	for i, e := range entries {
		out[i] = AuditView{ID: e.ID, Version: e.Version, Action: e.Action, Actor: e.Actor, Reason: e.Reason, Changes: e.Changes, TraceID: e.TraceID, At: e.At}
	}
	return out, nil
}

// parseCandidate validates a value submitted for a policy against the
// calendars that exist.
func (s *Policies) parseCandidate(ctx context.Context, d policy.Definition, raw json.RawMessage) (policy.Value, error) {
	names, err := s.calendars.Names(ctx)
	if err != nil {
		return policy.Value{}, err
	}
	return domain.ParseCandidate(d, raw, func(n string) bool { return names[n] })
}

// Candidate validates a value proposed for a policy without storing it and
// returns it with the version in force now, for a dry run.
func (s *Policies) Candidate(ctx context.Context, name string, raw json.RawMessage) (domain.Candidate, VersionView, error) {
	if _, err := auth.Authorize(ctx, auth.PermPoliciesWrite); err != nil {
		return domain.Candidate{}, VersionView{}, err
	}
	d, err := domain.LookupPolicy(name)
	if err != nil {
		return domain.Candidate{}, VersionView{}, err
	}
	v, err := s.parseCandidate(ctx, d, raw)
	if err != nil {
		return domain.Candidate{}, VersionView{}, err
	}
	pv, err := s.policyView(ctx, d)
	return domain.Candidate{Def: d, Value: v}, pv.Active, err
}

// Propose stores a new version of a policy after validating it. It comes into
// force at EffectiveFrom (now when absent); running workflows are told then.
func (s *Policies) Propose(ctx context.Context, name string, p Proposal) (VersionView, error) {
	return s.create(ctx, name, p, nil)
}

// Rollback stores a new version whose value is that of an earlier one.
func (s *Policies) Rollback(ctx context.Context, name string, to int64, p Proposal) (VersionView, error) {
	return s.create(ctx, name, p, &to)
}

func (s *Policies) create(ctx context.Context, name string, p Proposal, copyOf *int64) (VersionView, error) {
	pr, err := auth.Authorize(ctx, auth.PermPoliciesWrite)
	if err != nil {
		return VersionView{}, err
	}
	d, err := domain.LookupPolicy(name)
	if err != nil {
		return VersionView{}, err
	}
	now := s.now()
	eff, werr := domain.EffectiveFrom(p.EffectiveFrom, p.Reason, now)
	var value policy.Value
	if copyOf == nil {
		value, err = s.parseCandidate(ctx, d, p.Value)
		if err != nil {
			if werr != nil {
				return VersionView{}, domain.MergeValidation(err, werr)
			}
			return VersionView{}, err
		}
	}
	if werr != nil {
		return VersionView{}, werr
	}
	if copyOf != nil {
		// Re-validate the old value: a calendar it names may be gone, or the
		// bounds may have changed since. (Outside the transaction: SQLite has
		// one connection, which the transaction holds.)
		old, err := s.policies.Versions(ctx, name)
		if err != nil {
			return VersionView{}, err
		}
		i := domain.IndexOf(old, *copyOf)
		if i < 0 {
			return VersionView{}, domain.ErrVersionNotFound(name, *copyOf)
		}
		if value, err = s.parseCandidate(ctx, d, json.RawMessage(old[i].Value)); err != nil {
			return VersionView{}, err
		}
	}
	var created domain.PolicyVersion
	err = s.policies.Update(ctx, name, func(h *domain.PolicyHistory) error {
		created = h.Add(value, eff, pr.Subject, p.Reason, copyOf, now)
		return nil
	})
	if err != nil {
		return VersionView{}, err
	}
	s.startRollout(ctx, domain.AuditPolicy, name, created.Version, eff)
	return s.Version(ctx, name, created.Version)
}

func (s *Policies) startRollout(ctx context.Context, kind, name string, version int64, eff time.Time) {
	if s.rollouts == nil {
		return
	}
	// The version is stored; if Temporal cannot be reached now, the periodic
	// reconciliation brings the workflows onto it instead.
	if err := s.rollouts.Start(context.WithoutCancel(ctx), kind, name, version, eff); err != nil {
		s.log.WarnContext(ctx, "could not start the rollout; the periodic reconciliation will bring running workflows onto the new version",
			"kind", kind, "name", name, "version", version, "error", err)
	}
}

// Withdraw cancels a scheduled version before it comes into force.
func (s *Policies) Withdraw(ctx context.Context, name string, version int64, reason string) (VersionView, error) {
	pr, err := auth.Authorize(ctx, auth.PermPoliciesWrite)
	if err != nil {
		return VersionView{}, err
	}
	if _, err := domain.LookupPolicy(name); err != nil {
		return VersionView{}, err
	}
	if err := domain.CheckWithdrawReason(reason); err != nil {
		return VersionView{}, err
	}
	var withdrawn domain.PolicyVersion
	err = s.policies.Update(ctx, name, func(h *domain.PolicyHistory) error {
		withdrawn, err = h.Withdraw(version, pr.Subject, reason, s.now())
		return err
	})
	if err != nil {
		return VersionView{}, err
	}
	if s.rollouts != nil {
		if err := s.rollouts.Cancel(context.WithoutCancel(ctx), domain.AuditPolicy, name, version, withdrawn.EffectiveFrom); err != nil {
			// The rollout finds no follow-up behind a withdrawn version's
			// number once it wakes: harmless, but worth knowing.
			s.log.WarnContext(ctx, "could not cancel the rollout of a withdrawn version", "name", name, "version", version, "error", err)
		}
	}
	return s.Version(ctx, name, version)
}
