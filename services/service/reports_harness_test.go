package service_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/app"
)

// slaRow records a case's SLA target as the case workflow will (which is
// not built yet): its case_sla row and, in the same transaction, what the
// reports count of it. usedMS 0: no time counted.
func (s *stack) slaRow(id, target, state string, met, breached *time.Time, usedMS int64) {
	s.t.Helper()
	var used *int64
	if usedMS > 0 {
		used = &usedMS
	}
	err := s.db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("DELETE FROM case_sla WHERE case_id = ? AND target = ?", id, target).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO case_sla (case_id, target, state, due_at, met_at, breached_at, used_ms, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			id, target, state, time.Now().Add(time.Hour), met, breached, used, time.Now()).Error; err != nil {
			return err
		}
		return adapters.RecordCaseFacts(tx, id)
	})
	if err != nil {
		s.t.Fatalf("SLA row of case %s: %v", id, err)
	}
}

// surveyAnswer records the satisfaction survey of a case as the surveys
// do: sent, and answered at answered (nil: not yet) with these scores (nil:
// not given), and in the same transaction what the reports count of it.
func (s *stack) surveyAnswer(id string, answered *time.Time, csat, nps *int) {
	s.t.Helper()
	surveysTable(s.t, s.db)
	err := s.db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(insertSurvey, adapters.NewID(), adapters.NewID(), time.Now(), time.Now().Add(-time.Hour), time.Now().AddDate(0, 0, 30),
			answered, csat, nps, id).Error; err != nil {
			return err
		}
		return adapters.RecordCaseFacts(tx, id)
	})
	if err != nil {
		s.t.Fatalf("survey of case %s: %v", id, err)
	}
}

// insertSurvey stores a case's survey (id, token hash, closed at if the
// case is not, sent at, expires at, answered at, csat, nps, case id): the
// columns of case_surveys without a default.
const insertSurvey = `INSERT INTO case_surveys (id, case_id, customer_id, team, priority, type, token_hash, delivery, delivery_state,
		closed_at, sent_at, expires_at, answered_at, csat, nps)
	SELECT ?, id, customer_id, team, priority, type, ?, 'email', 'sent', COALESCE(closed_at, ?), ?, ?, ?, ?, ? FROM cases WHERE id = ?`

// surveysTable creates case_surveys with the columns insertSurvey writes,
// unless the surveys' migrations did.
func surveysTable(t testing.TB, gdb *gorm.DB) {
	t.Helper()
	if gdb.Migrator().HasTable("case_surveys") {
		return
	}
	if err := migrate.SQL(`CREATE TABLE case_surveys (id VARCHAR(36) PRIMARY KEY, case_id VARCHAR(36) NOT NULL, customer_id VARCHAR(36) NOT NULL,
			team VARCHAR(100) NOT NULL, priority VARCHAR(2) NOT NULL, type VARCHAR(20) NOT NULL, token_hash VARCHAR(64) NOT NULL,
			delivery VARCHAR(10) NOT NULL, delivery_state VARCHAR(10) NOT NULL, closed_at TIMESTAMPTZ NOT NULL, sent_at TIMESTAMPTZ NOT NULL,
			expires_at TIMESTAMPTZ NOT NULL, answered_at TIMESTAMPTZ, csat INTEGER, nps INTEGER)`,
		`CREATE UNIQUE INDEX ux_case_surveys_case ON case_surveys (case_id)`)(gdb); err != nil {
		t.Fatal(err)
	}
}

// serviceReport asks for the service report as user (query without the
// "?"), failing the test unless 200.
func (s *stack) serviceReport(user, query string) app.ServiceReport {
	s.t.Helper()
	r := s.api("GET", "/v1/reports/service?"+query, user, nil)
	if r.status != http.StatusOK {
		s.t.Fatalf("report ?%s as %s: %d %s", query, user, r.status, r.body)
	}
	var out app.ServiceReport
	if err := json.Unmarshal(r.body, &out); err != nil {
		s.t.Fatalf("report ?%s: %v: %s", query, err, r.body)
	}
	return out
}

// rowKeys is the rows' keys, in order.
func rowKeys(rep app.ServiceReport) []string {
	out := []string{}
	for _, r := range rep.Rows {
		out = append(out, r.Key)
	}
	return out
}

// reportRow is the row of key (failing the test without one).
func (s *stack) reportRow(rep app.ServiceReport, key string) app.ReportRow {
	s.t.Helper()
	for _, r := range rep.Rows {
		if r.Key == key {
			return r
		}
	}
	s.t.Fatalf("no row %q in %v", key, rowKeys(rep))
	return app.ReportRow{}
}

// valueRef is a pointer to v.
func valueRef[T any](v T) *T { return &v }
