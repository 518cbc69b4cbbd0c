package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/services/followup/internal/domain"
	"github.com/closeloop/closeloop/workflows/policy"
)

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// auditRow is one entry of policy_audit: the policies' and calendars'
// audit trail.
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

// writeAudit stores an audit entry with a new id, the trace it was made in
// and the current time.
func writeAudit(ctx context.Context, tx *gorm.DB, e domain.AuditEntry) error {
	changes := e.Changes
	if changes == nil {
		changes = []policy.Change{}
	}
	raw, _ := json.Marshal(changes)
	traceID := ""
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		traceID = sc.TraceID().String()
	}
	return tx.Create(&auditRow{ID: newID(), SubjectKind: e.Kind, Subject: e.Subject, Version: e.Version,
		Action: e.Action, Actor: e.Actor, Reason: e.Reason, Changes: string(raw), TraceID: traceID, At: now()}).Error
}

// Audit returns the last 500 entries of a policy's or calendar's audit trail
// (kind domain.AuditPolicy or domain.AuditCalendar), newest first.
func (r *Policies) Audit(ctx context.Context, kind, subject string) ([]domain.AuditEntry, error) {
	var rows []auditRow
	if err := r.db.WithContext(ctx).Where("subject_kind = ? AND subject = ?", kind, subject).Order("id DESC").Limit(500).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.AuditEntry, len(rows))
	for i, a := range rows {
		var ch []policy.Change
		_ = json.Unmarshal([]byte(a.Changes), &ch)
		out[i] = domain.AuditEntry{ID: a.ID, Kind: a.SubjectKind, Subject: a.Subject, Version: a.Version, Action: a.Action, Actor: a.Actor,
			Reason: a.Reason, Changes: ch, TraceID: a.TraceID, At: a.At}
	}
	return out, nil
}
