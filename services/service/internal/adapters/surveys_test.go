package adapters_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

var surveyPolicy = domain.SurveyPolicy{SampleShare: 1, TokenTTL: 30 * 24 * time.Hour, NPSPeriod: 90 * 24 * time.Hour,
	CommentRequiredBelow: 3, RecoveryBelow: 3}

// closedCase files a case for customer and closes it at at, with a contact
// email, as the case workflow will.
func closedCase(t *testing.T, r *adapters.Cases, gdb *gorm.DB, customer string, at time.Time) domain.Case {
	t.Helper()
	d := draft(adapters.NewID())
	d.CustomerID = customer
	c := create(t, r, d, at.Add(-48*time.Hour))
	if err := gdb.Exec(`UPDATE cases SET state = 'closed', resolved_at = ?, closed_at = ?, contact_email = 'li.wei@basalt.example', language = 'zh-Hans' WHERE id = ?`,
		at.Add(-time.Hour), at, c.ID).Error; err != nil {
		t.Fatal(err)
	}
	return c
}

// decideFn decides as the app does, with entries for a survey's link.
func decideFn(p domain.SurveyPolicy, now time.Time) func(domain.Facts) (*domain.Survey, string, []domain.Entry, error) {
	return func(f domain.Facts) (*domain.Survey, string, []domain.Entry, error) {
		_, hash := domain.NewToken()
		s, skip, err := domain.Decide(f, p, adapters.NewID(), hash, false, now)
		if s == nil || err != nil {
			return nil, skip, nil, err
		}
		return s, "", []domain.Entry{domain.SentEntry(*s, "", "/surveys/x", now)}, nil
	}
}

func TestDecideOnce(t *testing.T) {
	each(t, func(t *testing.T, r *adapters.Cases, gdb *gorm.DB) {
		ctx := context.Background()
		s := adapters.NewSurveys(gdb)
		c := closedCase(t, r, gdb, "c-basalt", t0)
		now := t0.Add(2 * time.Hour)
		d, fresh, err := s.Decide(ctx, c.ID, now, decideFn(surveyPolicy, now))
		if err != nil || !fresh || d.Survey == nil {
			t.Fatalf("first decision: %+v %v %v", d, fresh, err)
		}
		if !d.Survey.AsksNPS || d.Survey.Language != domain.LangChinese || d.Survey.Delivery != domain.DeliveryTimeline {
			t.Errorf("survey %+v", d.Survey)
		}
		again, fresh, err := s.Decide(ctx, c.ID, now, func(domain.Facts) (*domain.Survey, string, []domain.Entry, error) {
			t.Fatal("decided twice")
			return nil, "", nil, nil
		})
		if err != nil || fresh || again.Survey == nil || again.Survey.ID != d.Survey.ID || again.Survey.TokenHash != d.Survey.TokenHash {
			t.Fatalf("second decision: %+v %v %v", again, fresh, err)
		}
		if n := count(t, gdb, `SELECT COUNT(*) FROM case_entries WHERE case_id = ? AND kind = 'survey_sent' AND visibility = 'internal'`, c.ID); n != 1 {
			t.Errorf("%d survey_sent entries, want 1", n)
		}
		got, err := s.ByToken(ctx, d.Survey.TokenHash)
		if err != nil || got.ID != d.Survey.ID || !got.SentAt.Equal(now) || !got.ClosedAt.Equal(t0) {
			t.Errorf("by token: %+v %v", got, err)
		}
		if _, err := s.ByToken(ctx, domain.HashToken("forged")); !errors.Is(err, domain.ErrSurveyNotFound) {
			t.Errorf("forged: %v", err)
		}
		// A case still being worked is refused and nothing is stored.
		open := create(t, r, draft(adapters.NewID()), t0)
		if _, _, err := s.Decide(ctx, open.ID, now, decideFn(surveyPolicy, now)); !errors.Is(err, domain.ErrCaseNotClosed) {
			t.Errorf("open case: %v", err)
		}
		if _, _, err := s.Decide(ctx, "0190a000-0000-7000-8000-00000000dead", now, decideFn(surveyPolicy, now)); !errors.Is(err, domain.ErrCaseNotFound) {
			t.Errorf("no case: %v", err)
		}
		if n := count(t, gdb, `SELECT COUNT(*) FROM case_surveys`) + count(t, gdb, `SELECT COUNT(*) FROM case_survey_skips`); n != 1 {
			t.Errorf("%d decisions stored, want 1", n)
		}
	})
}

func TestDecideSkipsAndFollowOns(t *testing.T) {
	each(t, func(t *testing.T, r *adapters.Cases, gdb *gorm.DB) {
		ctx := context.Background()
		s := adapters.NewSurveys(gdb)
		now := t0.Add(2 * time.Hour)
		byCustomer := closedCase(t, r, gdb, "c-basalt", t0)
		gdb.Exec(`UPDATE cases SET closed_by_customer = true WHERE id = ?`, byCustomer.ID)
		d, fresh, err := s.Decide(ctx, byCustomer.ID, now, decideFn(surveyPolicy, now))
		if err != nil || !fresh || d.Skip != domain.SkipClosedByCustomer || !d.SkippedAt.Equal(now) {
			t.Fatalf("closed by the customer: %+v %v", d, err)
		}
		if got, _ := s.ForCase(ctx, byCustomer.ID); got.Skip != domain.SkipClosedByCustomer {
			t.Errorf("stored skip: %+v", got)
		}
		first := closedCase(t, r, gdb, "c-basalt", t0)
		if _, _, err := s.Decide(ctx, first.ID, now, decideFn(surveyPolicy, now)); err != nil {
			t.Fatal(err)
		}
		followOn := closedCase(t, r, gdb, "c-basalt", t0.Add(time.Hour))
		gdb.Exec(`UPDATE cases SET follow_on_of = ? WHERE id = ?`, first.ID, followOn.ID)
		if d, _, err := s.Decide(ctx, followOn.ID, now, decideFn(surveyPolicy, now)); err != nil || d.Skip != domain.SkipFollowOnSurveyed {
			t.Errorf("follow-on of a surveyed case: %+v %v", d, err)
		}
	})
}

// Many cases of one customer decided at once ask the recommend question
// once: the claim is a compare-and-set.
func TestNPSAskedOncePerCustomer(t *testing.T) {
	each(t, func(t *testing.T, r *adapters.Cases, gdb *gorm.DB) {
		ctx := context.Background()
		s := adapters.NewSurveys(gdb)
		now := t0.Add(2 * time.Hour)
		var ids []string
		for range 8 {
			ids = append(ids, closedCase(t, r, gdb, "c-basalt", t0).ID)
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(ids))
		for _, id := range ids {
			wg.Go(func() {
				if _, _, err := s.Decide(ctx, id, now, decideFn(surveyPolicy, now)); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if n := count(t, gdb, `SELECT COUNT(*) FROM case_surveys WHERE asks_nps`); n != 1 {
			t.Errorf("%d surveys ask NPS, want 1", n)
		}
		// After the period the customer is asked again, once.
		later := now.Add(surveyPolicy.NPSPeriod)
		next := closedCase(t, r, gdb, "c-basalt", later)
		d, _, err := s.Decide(ctx, next.ID, later, decideFn(surveyPolicy, later))
		if err != nil || !d.Survey.AsksNPS {
			t.Errorf("after the period: %+v %v", d.Survey, err)
		}
	})
}

func TestSurveyUpdateAndHistory(t *testing.T) {
	each(t, func(t *testing.T, r *adapters.Cases, gdb *gorm.DB) {
		ctx := context.Background()
		s := adapters.NewSurveys(gdb)
		now := t0.Add(2 * time.Hour)
		var surveys []domain.Survey
		for i := range 3 {
			c := closedCase(t, r, gdb, "c-basalt", t0.Add(time.Duration(i)*time.Hour))
			d, _, err := s.Decide(ctx, c.ID, now, decideFn(surveyPolicy, now))
			if err != nil {
				t.Fatal(err)
			}
			surveys = append(surveys, *d.Survey)
		}
		// Another team's case of the customer: its answer is not shown to
		// the service-north team.
		west := draft(adapters.NewID())
		west.Team = "service-west"
		wc := create(t, r, west, t0)
		gdb.Exec(`UPDATE cases SET state = 'closed', closed_at = ? WHERE id = ?`, t0, wc.ID)
		dw, _, err := s.Decide(ctx, wc.ID, now, decideFn(surveyPolicy, now))
		if err != nil {
			t.Fatal(err)
		}
		surveys = append(surveys, *dw.Survey)
		for i, sv := range surveys {
			at := now.Add(time.Duration(i+1) * time.Hour)
			got, err := s.Update(ctx, sv.ID, func(x *domain.Survey) ([]domain.Entry, error) {
				y, err := domain.AnswerSurvey(*x, domain.Answer{CSAT: new(5 - i%2), Comment: "ok"}, surveyPolicy, at)
				*x = y
				return []domain.Entry{domain.AnsweredEntry(y)}, err
			})
			if err != nil || got.AnsweredAt == nil || !got.AnsweredAt.Equal(at) || *got.CSAT != 5-i%2 {
				t.Fatalf("answer %d: %+v %v", i, got, err)
			}
		}
		// A refused change stores nothing.
		if _, err := s.Update(ctx, surveys[0].ID, func(x *domain.Survey) ([]domain.Entry, error) {
			_, err := domain.AnswerSurvey(*x, domain.Answer{CSAT: new(4)}, surveyPolicy, now)
			return nil, err
		}); !errors.Is(err, domain.ErrSurveyAnswered) {
			t.Errorf("second answer: %v", err)
		}
		if n := count(t, gdb, `SELECT COUNT(*) FROM case_entries WHERE kind = 'survey_answered'`); n != 4 {
			t.Errorf("%d answers on timelines, want 4", n)
		}
		north := domain.ScopeOf(principal("svc-sun", []string{"service-north"}, auth.RoleRep))
		var seen []string
		var after *adapters.Cursor
		for {
			p, err := s.History(ctx, north, "c-basalt", after, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Items {
				seen = append(seen, it.Survey.ID)
				if it.Subject != "Crane stops under load" {
					t.Errorf("subject %q", it.Subject)
				}
			}
			if after = p.Next; after == nil {
				break
			}
		}
		want := []string{surveys[2].ID, surveys[1].ID, surveys[0].ID} // newest answer first, the west case left out
		if len(seen) != 3 || seen[0] != want[0] || seen[1] != want[1] || seen[2] != want[2] {
			t.Errorf("history %v, want %v", seen, want)
		}
		if ok, _ := s.SeesCustomer(ctx, north, "c-basalt"); !ok {
			t.Error("north sees the customer's cases")
		}
		if ok, _ := s.SeesCustomer(ctx, domain.ScopeOf(principal("svc-x", []string{"elsewhere"}, auth.RoleRep)), "c-basalt"); ok {
			t.Error("another team sees none")
		}
		all, err := s.CustomerSurveys(ctx, "c-basalt")
		if err != nil || len(all) != 4 {
			t.Fatalf("customer surveys: %d %v", len(all), err)
		}
		f, err := s.LoyaltyFacts(ctx, "c-basalt", all, now.Add(24*time.Hour))
		if err != nil || len(f.Answers) != 4 || len(f.CaseDates) != 4 || f.FirstCaseAt == nil || !f.FirstCaseAt.Equal(t0.Add(-48*time.Hour)) {
			t.Errorf("loyalty facts %+v %v", f, err)
		}
	})
}

func TestPendingRecoveries(t *testing.T) {
	each(t, func(t *testing.T, r *adapters.Cases, gdb *gorm.DB) {
		ctx := context.Background()
		s := adapters.NewSurveys(gdb)
		now := t0.Add(2 * time.Hour)
		c := closedCase(t, r, gdb, "c-basalt", t0)
		d, _, err := s.Decide(ctx, c.ID, now, decideFn(surveyPolicy, now))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Update(ctx, d.Survey.ID, func(x *domain.Survey) ([]domain.Entry, error) {
			y, err := domain.AnswerSurvey(*x, domain.Answer{CSAT: new(1), Comment: "never again"}, surveyPolicy, now)
			y.RecoveryFollowUpID = "0190a000-0000-7000-8000-0000000000f1"
			*x = y
			return nil, err
		}); err != nil {
			t.Fatal(err)
		}
		p, err := s.PendingRecoveries(ctx, 10)
		if err != nil || len(p) != 1 || p[0].Survey.RecoveryState != domain.RecoveryPending || p[0].CreatedBy != "svc-sun" || p[0].Subject == "" {
			t.Fatalf("pending %+v %v", p, err)
		}
	})
}
