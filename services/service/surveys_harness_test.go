package service_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/config"
	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/domain"
	"github.com/closeloop/closeloop/services/service/internal/ports"
)

// surveyEnv is the surveys' configuration in the tests.
var surveyEnv = map[string]string{"SURVEY_PUBLIC_BASE_URL": "https://crm.example.com", "SURVEY_SAMPLE_SHARE": "1",
	"SURVEY_COMMENT_REQUIRED_BELOW": "3", "SURVEY_RECOVERY_BELOW": "3", "SURVEY_LINK_TTL": "720h"}

// npsPeriod is the NPS period the tests issue surveys with (the policy's default).
const npsPeriod = 90 * 24 * time.Hour

// newSurveyStack is the stack the survey tests run on (newStack: the
// service mounts the surveys, configured by surveyEnv).
func newSurveyStack(t testing.TB, dsn func(testing.TB) string) *stack {
	t.Helper()
	return newStack(t, dsn)
}

// closeCase closes a case as the case workflow will: with the contact's
// email and language, and whether the customer asked for the close.
func (s *stack) closeCase(id, email, lang string, byCustomer bool) {
	s.t.Helper()
	now := time.Now().UTC()
	if err := s.db.Exec(`UPDATE cases SET state = 'closed', resolved_at = ?, closed_at = ?, contact_email = ?, language = ?, closed_by_customer = ? WHERE id = ?`,
		now.Add(-time.Hour), now, email, lang, byCustomer, id).Error; err != nil {
		s.t.Fatal(err)
	}
}

// issue issues a case's survey as the IssueSurvey activity does, with the
// surveys' configuration of the stack (no mail relay: links go on the
// timeline).
func (s *stack) issue(caseID string) app.Issued {
	s.t.Helper()
	var cfg ports.SurveyConfig
	if err := config.LoadFrom(&cfg, func(k string) (string, bool) { v, ok := surveyEnv[k]; return v, ok }); err != nil {
		s.t.Fatal(err)
	}
	out, err := app.NewSurveys(s.db, cfg.Policy(), cfg.PublicBaseURL).Issue(context.Background(), caseID, npsPeriod)
	if err != nil {
		s.t.Fatalf("issue the survey of %s: %v", caseID, err)
	}
	return out
}

// surveyLink is the link on a case's timeline (as staff who work it see it)
// and its token.
func (s *stack) surveyLink(caseID, user string) (link, token string) {
	s.t.Helper()
	page := s.must(http.StatusOK, "GET", "/v1/cases/"+caseID+"/timeline", user, nil)
	for _, it := range page["items"].([]any) {
		e := it.(map[string]any)
		if e["kind"] == "survey_sent" && e["visibility"] == "internal" {
			link = e["body"].(string)
			return link, link[strings.LastIndex(link, "/")+1:]
		}
	}
	s.t.Fatalf("no survey link on the timeline of %s: %v", caseID, page)
	return "", ""
}

// surveyRows is everything the surveys store, as text: compared before and
// after a refused request.
func (s *stack) surveyRows() string {
	s.t.Helper()
	var rows []map[string]any
	if err := s.db.Raw(`SELECT id, token_hash, expires_at, answered_at, csat, nps, comment, recovery_state FROM case_surveys ORDER BY id`).Scan(&rows).Error; err != nil {
		s.t.Fatal(err)
	}
	var n [3]int64
	for i, q := range []string{`SELECT COUNT(*) FROM case_entries`, `SELECT COUNT(*) FROM case_survey_skips`, `SELECT COUNT(*) FROM customer_nps_asks`} {
		if err := s.db.Raw(q).Scan(&n[i]).Error; err != nil {
			s.t.Fatal(err)
		}
	}
	return fmt.Sprint(rows, n)
}

func hashOf(token string) string { return domain.HashToken(token) }
