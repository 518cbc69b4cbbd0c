// Package policies stores Closeloop's timer policies and business calendars:
// immutable, validated, audited versions that analysts list, read, diff,
// change, schedule, withdraw and roll back through the API, and that
// workflows resolve through an activity. The meaning of each policy (its
// shape, bounds and default) is the catalogue in workflows/policy.
package policies

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/workflows/policy"
)

// Rollouts brings running workflows onto a new version once it is in force
// (the PolicyRollout workflow). kind is "policy" or "calendar".
type Rollouts interface {
	Start(ctx context.Context, kind, name string, version int64, effectiveFrom time.Time) error
	Cancel(ctx context.Context, kind, name string, version int64, effectiveFrom time.Time) error
}

// Service is the policy and calendar use cases.
type Service struct {
	db       *gorm.DB
	rollouts Rollouts
	log      *slog.Logger
	now      func() time.Time
	country  string // calendar preset of a fresh database (SetDefaultCountry); empty: plain
}

// New returns the service. rollouts may be nil (no running workflows to tell).
func New(gdb *gorm.DB, r Rollouts, log *slog.Logger) *Service {
	return &Service{db: gdb, rollouts: r, log: log, now: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }}
}

type versionRow struct {
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

func (versionRow) TableName() string { return "policy_versions" }

type auditRow struct {
	ID          string
	SubjectKind string
	Subject     string
	Version     int64
	Action      string
	Actor       string
	Reason      string
	Changes     string
	TraceID     string
	At          time.Time
}

func (auditRow) TableName() string { return "policy_audit" }

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

func lookup(name string) (policy.Definition, error) {
	d, ok := policy.Lookup(name)
	if !ok {
		return d, apperr.NotFound("policy_not_found", fmt.Sprintf("no policy is named %q", name))
	}
	return d, nil
}

// Seed stores version 1 — the shipped default — of every policy that has no
// version yet, and the default calendar when there is no calendar. It is
// idempotent and safe to run from several replicas at once.
func (s *Service) Seed(ctx context.Context) error {
	epoch := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.seedCalendar(ctx); err != nil {
		return err
	}
	for _, d := range policy.Catalogue() {
		row := versionRow{Policy: d.Name, Version: 1, Value: string(d.Default.MustJSON()), EffectiveFrom: epoch,
			CreatedBy: "system", CreatedAt: s.now(), Reason: "shipped default"}
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error
			}
			return writeAudit(ctx, tx, "policy", d.Name, 1, "seeded", "system", "shipped default", policy.Diff(policy.Value{}, d.Default))
		})
		if err != nil {
			return fmt.Errorf("seed policy %s: %w", d.Name, err)
		}
	}
	return nil
}

func writeAudit(ctx context.Context, tx *gorm.DB, kind, subject string, version int64, action, actor, reason string, changes []policy.Change) error {
	if changes == nil {
		changes = []policy.Change{}
	}
	raw, _ := json.Marshal(changes)
	traceID := ""
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		traceID = sc.TraceID().String()
	}
	return tx.Create(&auditRow{ID: uuid.Must(uuid.NewV7()).String(), SubjectKind: kind, Subject: subject, Version: version,
		Action: action, Actor: actor, Reason: reason, Changes: string(raw), TraceID: traceID, At: time.Now().UTC().Truncate(time.Microsecond)}).Error
}

func (s *Service) versions(ctx context.Context, tx *gorm.DB, name string) ([]versionRow, error) {
	var rows []versionRow
	err := tx.WithContext(ctx).Where("policy = ?", name).Order("version").Find(&rows).Error
	return rows, err
}

// inForce returns the index of the version in force at t, or -1.
func inForce(rows []versionRow, t time.Time) int {
	best := -1
	for i, r := range rows {
		if r.WithdrawnAt != nil || r.EffectiveFrom.After(t) {
			continue
		}
		if best < 0 || r.EffectiveFrom.After(rows[best].EffectiveFrom) ||
			(r.EffectiveFrom.Equal(rows[best].EffectiveFrom) && r.Version > rows[best].Version) {
			best = i
		}
	}
	return best
}

func view(rows []versionRow, i int, now time.Time, active int) VersionView {
	r := rows[i]
	v := VersionView{Policy: r.Policy, Version: r.Version, Value: json.RawMessage(r.Value), EffectiveFrom: r.EffectiveFrom,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, Reason: r.Reason, CopiedFrom: r.CopiedFrom, WithdrawnAt: r.WithdrawnAt, WithdrawnBy: r.WithdrawnBy}
	switch {
	case r.WithdrawnAt != nil:
		v.Status = "withdrawn"
	case i == active:
		v.Status = "active"
	case r.EffectiveFrom.After(now) && (active < 0 || r.Version > rows[active].Version || r.EffectiveFrom.After(rows[active].EffectiveFrom)):
		v.Status = "scheduled"
	default:
		v.Status = "superseded"
	}
	return v
}

func (s *Service) policyView(ctx context.Context, d policy.Definition) (PolicyView, error) {
	rows, err := s.versions(ctx, s.db, d.Name)
	if err != nil {
		return PolicyView{}, err
	}
	now := s.now()
	active := inForce(rows, now)
	pv := PolicyView{Definition: d, FollowUpKinds: policy.KindsUsing(d.Name), Scheduled: []VersionView{}}
	if pv.FollowUpKinds == nil {
		pv.FollowUpKinds = []string{}
	}
	if active >= 0 {
		pv.Active = view(rows, active, now, active)
	}
	for i := range rows {
		if v := view(rows, i, now, active); v.Status == "scheduled" {
			pv.Scheduled = append(pv.Scheduled, v)
		}
	}
	return pv, nil
}

// List returns every policy with its version in force.
func (s *Service) List(ctx context.Context) ([]PolicyView, error) {
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
func (s *Service) Get(ctx context.Context, name string) (PolicyView, error) {
	if _, err := auth.Authorize(ctx, auth.PermPoliciesRead); err != nil {
		return PolicyView{}, err
	}
	d, err := lookup(name)
	if err != nil {
		return PolicyView{}, err
	}
	return s.policyView(ctx, d)
}

// Versions returns every version of a policy, oldest first.
func (s *Service) Versions(ctx context.Context, name string) ([]VersionView, error) {
	if _, err := auth.Authorize(ctx, auth.PermPoliciesRead); err != nil {
		return nil, err
	}
	if _, err := lookup(name); err != nil {
		return nil, err
	}
	rows, err := s.versions(ctx, s.db, name)
	if err != nil {
		return nil, err
	}
	now := s.now()
	active := inForce(rows, now)
	out := make([]VersionView, len(rows))
	for i := range rows {
		out[i] = view(rows, i, now, active)
	}
	return out, nil
}

// Version returns one version.
func (s *Service) Version(ctx context.Context, name string, version int64) (VersionView, error) {
	all, err := s.Versions(ctx, name)
	if err != nil {
		return VersionView{}, err
	}
	for _, v := range all {
		if v.Version == version {
			return v, nil
		}
	}
	return VersionView{}, apperr.NotFound("version_not_found", fmt.Sprintf("%s has no version %d", name, version))
}

// Diff compares two versions of a policy.
func (s *Service) Diff(ctx context.Context, name string, from, to int64) (DiffView, error) {
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

// Audit returns a policy's audit trail, newest first.
func (s *Service) Audit(ctx context.Context, kind, name string) ([]AuditView, error) {
	if _, err := auth.Authorize(ctx, auth.PermPoliciesRead); err != nil {
		return nil, err
	}
	if kind == "policy" {
		if _, err := lookup(name); err != nil {
			return nil, err
		}
	}
	var rows []auditRow
	if err := s.db.WithContext(ctx).Where("subject_kind = ? AND subject = ?", kind, name).Order("id DESC").Limit(500).Find(&rows).Error; err != nil {
		return nil, err
	}
	if kind == "calendar" && len(rows) == 0 {
		return nil, apperr.NotFound("calendar_not_found", fmt.Sprintf("no calendar is named %q", name))
	}
	out := make([]AuditView, len(rows))
	for i, r := range rows {
		var ch []policy.Change
		_ = json.Unmarshal([]byte(r.Changes), &ch)
		out[i] = AuditView{ID: r.ID, Version: r.Version, Action: r.Action, Actor: r.Actor, Reason: r.Reason, Changes: ch, TraceID: r.TraceID, At: r.At}
	}
	return out, nil
}

// parseCandidate decodes and validates a submitted value; every problem is a
// field error in one 422.
func (s *Service) parseCandidate(ctx context.Context, d policy.Definition, raw json.RawMessage) (policy.Value, error) {
	if len(strings.TrimSpace(string(raw))) == 0 || string(raw) == "null" {
		return policy.Value{}, fieldErrors([]policy.FieldError{{Field: "value", Code: policy.CodeRequired, Message: "the new value is required"}})
	}
	v, err := policy.Parse(raw)
	if err != nil {
		return policy.Value{}, fieldErrors([]policy.FieldError{{Field: "value", Code: policy.CodeInvalid, Message: err.Error()}})
	}
	names, err := s.calendarNames(ctx)
	if err != nil {
		return policy.Value{}, err
	}
	if errs := policy.Validate(d, v, func(n string) bool { return names[n] }); len(errs) > 0 {
		return policy.Value{}, fieldErrors(errs)
	}
	return v, nil
}

func fieldErrors(errs []policy.FieldError) error {
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

func (s *Service) checkWhen(p Proposal, now time.Time) (time.Time, error) {
	var v apperr.Validation
	v.Check(strings.TrimSpace(p.Reason) != "", "reason", "required", "say why the policy changes; it is kept in the audit trail")
	v.Check(len(p.Reason) <= 2000, "reason", "too_long", "at most 2000 characters")
	eff := now
	if p.EffectiveFrom != nil {
		eff = p.EffectiveFrom.UTC().Truncate(time.Microsecond)
		// A minute of grace for clock skew between the analyst's machine and ours.
		v.Check(!eff.Before(now.Add(-time.Minute)), "effective_from", "in_the_past", "a new version cannot take effect in the past; omit effective_from to apply it now")
		v.Check(!eff.After(now.AddDate(2, 0, 0)), "effective_from", "out_of_range", "schedule at most two years ahead")
		if eff.Before(now) {
			eff = now
		}
	}
	return eff, v.Err()
}

// Propose stores a new version of a policy after validating it. It comes into
// force at EffectiveFrom (now when absent); running workflows are told then.
func (s *Service) Propose(ctx context.Context, name string, p Proposal) (VersionView, error) {
	return s.create(ctx, name, p, nil)
}

// Rollback stores a new version whose value is that of an earlier one.
func (s *Service) Rollback(ctx context.Context, name string, to int64, p Proposal) (VersionView, error) {
	return s.create(ctx, name, p, &to)
}

func (s *Service) create(ctx context.Context, name string, p Proposal, copyOf *int64) (VersionView, error) {
	pr, err := auth.Authorize(ctx, auth.PermPoliciesWrite)
	if err != nil {
		return VersionView{}, err
	}
	d, err := lookup(name)
	if err != nil {
		return VersionView{}, err
	}
	now := s.now()
	eff, werr := s.checkWhen(p, now)
	var value policy.Value
	if copyOf == nil {
		value, err = s.parseCandidate(ctx, d, p.Value)
		if err != nil {
			if werr != nil {
				return VersionView{}, mergeValidation(err, werr)
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
		old, err := s.versions(ctx, s.db, name)
		if err != nil {
			return VersionView{}, err
		}
		i := indexOf(old, *copyOf)
		if i < 0 {
			return VersionView{}, apperr.NotFound("version_not_found", fmt.Sprintf("%s has no version %d", name, *copyOf))
		}
		if value, err = s.parseCandidate(ctx, d, json.RawMessage(old[i].Value)); err != nil {
			return VersionView{}, err
		}
	}
	var created versionRow
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		rows, err := s.versions(ctx, tx, name)
		if err != nil {
			return err
		}
		prev := policy.Value{}
		if a := inForce(rows, eff); a >= 0 {
			prev, _ = policy.Parse([]byte(rows[a].Value))
		}
		changes := policy.Diff(prev, value)
		next := int64(1)
		if len(rows) > 0 {
			next = rows[len(rows)-1].Version + 1
		}
		created = versionRow{Policy: name, Version: next, Value: string(value.MustJSON()), EffectiveFrom: eff,
			CreatedBy: pr.Subject, CreatedAt: now, Reason: strings.TrimSpace(p.Reason), CopiedFrom: copyOf}
		if err := tx.Create(&created).Error; err != nil {
			if db.IsUniqueViolation(err) {
				return apperr.Conflict("concurrent_change", "another version was created at the same moment; read the policy again and retry")
			}
			return err
		}
		action := "created"
		switch {
		case copyOf != nil:
			action = "rolled_back"
		case eff.After(now):
			action = "scheduled"
		}
		return writeAudit(ctx, tx, "policy", name, next, action, pr.Subject, created.Reason, changes)
	})
	if err != nil {
		return VersionView{}, err
	}
	s.startRollout(ctx, "policy", name, created.Version, eff)
	return s.Version(ctx, name, created.Version)
}

func (s *Service) startRollout(ctx context.Context, kind, name string, version int64, eff time.Time) {
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
func (s *Service) Withdraw(ctx context.Context, name string, version int64, reason string) (VersionView, error) {
	pr, err := auth.Authorize(ctx, auth.PermPoliciesWrite)
	if err != nil {
		return VersionView{}, err
	}
	if _, err := lookup(name); err != nil {
		return VersionView{}, err
	}
	if strings.TrimSpace(reason) == "" {
		var v apperr.Validation
		v.Add("reason", "required", "say why the version is withdrawn")
		return VersionView{}, v.Err()
	}
	now := s.now()
	var eff time.Time
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		rows, err := s.versions(ctx, tx, name)
		if err != nil {
			return err
		}
		i := indexOf(rows, version)
		if i >= 0 {
			eff = rows[i].EffectiveFrom
		}
		if i < 0 {
			return apperr.NotFound("version_not_found", fmt.Sprintf("%s has no version %d", name, version))
		}
		if rows[i].WithdrawnAt != nil {
			return apperr.Rule("already_withdrawn", "this version is already withdrawn")
		}
		if !rows[i].EffectiveFrom.After(now) {
			return apperr.Rule("already_in_force", "this version has come into force; roll back to an earlier version instead")
		}
		res := tx.Model(&versionRow{}).Where("policy = ? AND version = ? AND withdrawn_at IS NULL", name, version).
			Updates(map[string]any{"withdrawn_at": now, "withdrawn_by": pr.Subject})
		if res.Error != nil {
			return res.Error
		}
		return writeAudit(ctx, tx, "policy", name, version, "withdrawn", pr.Subject, strings.TrimSpace(reason), nil)
	})
	if err != nil {
		return VersionView{}, err
	}
	if s.rollouts != nil {
		if err := s.rollouts.Cancel(context.WithoutCancel(ctx), "policy", name, version, eff); err != nil {
			// The rollout finds no follow-up behind a withdrawn version's
			// number once it wakes: harmless, but worth knowing.
			s.log.WarnContext(ctx, "could not cancel the rollout of a withdrawn version", "name", name, "version", version, "error", err)
		}
	}
	return s.Version(ctx, name, version)
}

func indexOf(rows []versionRow, version int64) int {
	for i, r := range rows {
		if r.Version == version {
			return i
		}
	}
	return -1
}

func mergeValidation(a, b error) error {
	var ea, eb *apperr.Error
	if errors.As(a, &ea) && errors.As(b, &eb) && ea.Code == "validation_failed" && eb.Code == "validation_failed" {
		var v apperr.Validation
		for _, f := range append(append([]apperr.FieldError{}, eb.Fields...), ea.Fields...) {
			v.Add(f.Field, f.Code, f.Message)
		}
		return v.Err()
	}
	return a
}
