package app_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/mail"
	"github.com/closeloop/closeloop/platform/testenv"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

type fakeMail struct {
	mu   sync.Mutex
	sent []app.SurveyMail
	errs []error // returned in turn, then nil
}

func (f *fakeMail) SendSurvey(_ context.Context, m app.SurveyMail) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, m)
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return err
	}
	return nil
}

// setup is a migrated SQLite database with a closed case, and the surveys
// over it at t0.
func setup(t *testing.T, email string) (*app.Surveys, *gorm.DB, string) {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gdb, err := db.Open(ctx, db.Config{URL: testenv.SQLite(t), MaxOpenConns: 1, MaxIdleConns: 1, ConnMaxLifetime: time.Minute, SlowQuery: time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s, err := gdb.DB(); err == nil {
			s.Close()
		}
	})
	if _, err := migrate.Run(ctx, gdb, "service", adapters.Migrations, log); err != nil {
		t.Fatal(err)
	}
	c, e, err := domain.New(domain.Draft{ID: adapters.NewID(), CustomerID: "c-basalt", Type: domain.TypeRepair, Channel: domain.ChannelPhone,
		Subject: "Crane stops under load", Team: "service-north", AssigneeID: "svc-sun", CreatedBy: "rep-ana"}, t0.Add(-48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := adapters.NewCases(gdb).Create(ctx, c, e); err != nil {
		t.Fatal(err)
	}
	gdb.Exec(`UPDATE cases SET state = 'closed', closed_at = ?, contact_email = ?, language = 'en' WHERE id = ?`, t0, email, c.ID)
	s := app.NewSurveys(gdb, domain.SurveyPolicy{SampleShare: 1, TokenTTL: 720 * time.Hour, CommentRequiredBelow: 3, RecoveryBelow: 3}, "https://crm.example.com/")
	s.Log, s.MaxAttempts = log, 3
	s.Now = func() time.Time { return t0.Add(2 * time.Hour) }
	return s, gdb, c.ID
}

func token(link string) string { return link[strings.LastIndex(link, "/")+1:] }

// The email goes out with a working link; a retried activity after a
// temporary failure sends a new link and the old one stops working.
func TestIssueByEmail(t *testing.T) {
	s, gdb, id := setup(t, "li.wei@basalt.example")
	m := &fakeMail{errs: []error{errors.New("relay busy")}}
	s.Mail = m
	ctx := context.Background()
	if _, err := s.Issue(ctx, id, 90*24*time.Hour); err == nil {
		t.Fatal("a temporary failure is returned, so the activity is retried")
	}
	out, err := s.Issue(ctx, id, 90*24*time.Hour)
	if err != nil || out.Outcome != "issued" || out.DeliveryState != domain.DeliverySent {
		t.Fatalf("retry: %+v %v", out, err)
	}
	if len(m.sent) != 2 || m.sent[0].Link == m.sent[1].Link || m.sent[0].ID == m.sent[1].ID || m.sent[1].To != "li.wei@basalt.example" ||
		!strings.HasPrefix(m.sent[1].Link, "https://crm.example.com/surveys/") || m.sent[1].Language != "en" || m.sent[1].Subject != "Crane stops under load" {
		t.Fatalf("sent %+v", m.sent)
	}
	if _, err := s.Open(ctx, token(m.sent[0].Link)); !errors.Is(err, domain.ErrSurveyNotFound) {
		t.Errorf("the first link: %v", err)
	}
	if v, err := s.Open(ctx, token(m.sent[1].Link)); err != nil || v.State != "open" {
		t.Errorf("the second link: %+v %v", v, err)
	}
	var body, vis string
	gdb.Raw(`SELECT body, visibility FROM case_entries WHERE kind = 'survey_sent'`).Row().Scan(&body, &vis)
	if body != "l***@basalt.example" || vis != domain.Public {
		t.Errorf("timeline: %q %s", body, vis)
	}
	// Delivered: asking again sends nothing.
	if out, _ := s.Issue(ctx, id, 90*24*time.Hour); out.Outcome != "already_issued" || len(m.sent) != 2 {
		t.Errorf("after delivery: %+v, %d sent", out, len(m.sent))
	}
}

// An email the relay refuses for good puts the link on the timeline.
func TestIssueUndeliverable(t *testing.T) {
	s, gdb, id := setup(t, "nobody@basalt.example")
	m := &fakeMail{errs: []error{&mail.Error{}}}
	s.Mail = m
	perm := mail.Permanent(m.errs[0])
	out, err := s.Issue(context.Background(), id, 0)
	if !perm {
		// A zero mail.Error is temporary: fail twice more (MaxAttempts 3).
		if err == nil {
			t.Fatal("temporary failure not returned")
		}
		m.errs = []error{errors.New("busy"), errors.New("busy")}
		s.Issue(context.Background(), id, 0)
		out, err = s.Issue(context.Background(), id, 0)
	}
	if err != nil || out.DeliveryState != domain.DeliveryFailed {
		t.Fatalf("gave up: %+v %v", out, err)
	}
	var body, vis string
	gdb.Raw(`SELECT body, visibility FROM case_entries WHERE kind = 'survey_sent'`).Row().Scan(&body, &vis)
	if vis != domain.Internal || body != m.sent[len(m.sent)-1].Link {
		t.Errorf("timeline: %q %s, last link %s", body, vis, m.sent[len(m.sent)-1].Link)
	}
	if v, err := s.Open(context.Background(), token(body)); err != nil || v.AsksNPS {
		t.Errorf("the link on the timeline: %+v %v (no NPS period: not asked)", v, err)
	}
}

// A low score opens the recovery call for who worked the case, in its
// team; the engine being down delays it, never the answer.
func TestRecoveryCall(t *testing.T) {
	s, gdb, id := setup(t, "")
	var specs []*followupv1.FollowUpSpec
	down := true
	s.FollowUps = func(_ context.Context, spec *followupv1.FollowUpSpec) error {
		if down {
			return errors.New("temporal unreachable")
		}
		specs = append(specs, spec)
		return nil
	}
	ctx := context.Background()
	if _, err := s.Issue(ctx, id, 0); err != nil {
		t.Fatal(err)
	}
	var link string // on the timeline: no email
	gdb.Raw(`SELECT body FROM case_entries WHERE kind = 'survey_sent'`).Row().Scan(&link)
	v, err := s.Answer(ctx, token(link), domain.Answer{CSAT: new(1), Comment: "Nobody called back."})
	if err != nil || v.State != "answered" {
		t.Fatalf("answer: %+v %v", v, err)
	}
	if n, err := s.RetryRecoveries(ctx); n != 0 || err == nil {
		t.Errorf("engine down: %d started, %v", n, err)
	}
	down = false
	if n, err := s.RetryRecoveries(ctx); n != 1 || err != nil {
		t.Fatalf("engine up: %d started, %v", n, err)
	}
	sp := specs[0]
	if sp.GetKind() != "recovery_call" || sp.GetCustomerId() != "c-basalt" || sp.GetOwnerId() != "svc-sun" || sp.GetTeam() != "service-north" ||
		!sp.GetAnchorAt().AsTime().Equal(t0.Add(2*time.Hour)) || !strings.Contains(sp.GetTitle(), "CSAT 1") || sp.GetId() == "" {
		t.Errorf("spec %+v", sp)
	}
	if n, _ := s.RetryRecoveries(ctx); n != 0 {
		t.Error("started twice")
	}
}
