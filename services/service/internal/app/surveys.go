package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/mail"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/domain"
	"github.com/closeloop/closeloop/workflows/policy"
)

// Satisfaction surveys (docs/satisfaction.md): issue a closed case's survey
// (the ServiceCase workflow calls Issue once the policy's survey delay has
// passed), show and answer it through its one-time link (no login), open a
// recovery call after a low score, and show a case's survey and a
// customer's satisfaction history and loyalty level to who sees them.

// SurveyMail is one survey email, rendered and sent by a SurveyMailer.
type SurveyMail struct {
	// ID is the delivery id (the Message-ID's left part): one per attempt,
	// since every attempt carries a new link.
	ID       string
	To       string
	Language string // "en", "zh-Hans", or "" (both)
	Link     string
	// Subject is the case's subject, so the customer knows what is asked about.
	Subject   string
	ClosedAt  time.Time
	ExpiresAt time.Time
}

// SurveyMailer sends survey emails. A failure that retrying cannot help
// satisfies mail.Permanent.
type SurveyMailer interface {
	SendSurvey(ctx context.Context, m SurveyMail) error
}

// StartFollowUp starts a follow-up's workflow, idempotent on its id
// (workflows/followup.Start).
type StartFollowUp func(ctx context.Context, spec *followupv1.FollowUpSpec) error

// Surveys serves the survey use cases.
type Surveys struct {
	repo  *adapters.Surveys
	cases *adapters.Cases
	// Policy is the surveys' configuration; NPSPeriod comes with each Issue.
	Policy domain.SurveyPolicy
	// BaseURL is the public base URL of links (https://crm.example.com);
	// empty: links are relative and no email is sent.
	BaseURL string
	// Mail sends survey emails; nil: links go on the timeline.
	Mail SurveyMailer
	// MaxAttempts is how many emails are tried before the link goes on the
	// timeline instead.
	MaxAttempts int
	// FollowUps starts recovery calls; nil: they stay pending.
	FollowUps StartFollowUp
	Log       *slog.Logger
	// Answered, when set, is told of every stored answer (the standings'
	// sync loop, Standings.Answered); the answer's transaction queued the
	// sync already.
	Answered func()
	// Now is the clock (tests may set it).
	Now func() time.Time
	// kick wakes RecoveryRetrier when an answer asks for a recovery call.
	kick chan struct{}
}

// NewSurveys returns the survey use cases over a migrated database.
func NewSurveys(gdb *gorm.DB, p domain.SurveyPolicy, baseURL string) *Surveys {
	return &Surveys{repo: adapters.NewSurveys(gdb), cases: adapters.NewCases(gdb), Policy: p, BaseURL: strings.TrimRight(baseURL, "/"),
		MaxAttempts: 5, Log: slog.Default(), Now: time.Now, kick: make(chan struct{}, 1)}
}

// Issued is what Issue did: Outcome is "issued" (now), "already_issued", or
// the reason the case gets no survey (domain.Skip…).
type Issued struct {
	Outcome       string `json:"outcome"`
	SurveyID      string `json:"survey_id,omitempty"`
	Delivery      string `json:"delivery,omitempty"`
	DeliveryState string `json:"delivery_state,omitempty"`
}

// Issue decides a closed case's survey once and sends it: by email to the
// case's contact, or as a link on the case's timeline. npsPeriod is the
// policy's NPS period in force. Called again (a retried activity), it sends
// a pending email again with a new link — the previous one may never have
// left — and changes nothing else. A temporary mail failure is returned (the
// caller retries); after MaxAttempts, or a permanent failure, the link goes
// on the timeline for staff to pass on.
func (a *Surveys) Issue(ctx context.Context, caseID string, npsPeriod time.Duration) (Issued, error) {
	if !domain.ValidRef(caseID) {
		return Issued{}, domain.ErrCaseNotFound
	}
	p := a.Policy
	p.NPSPeriod = npsPeriod
	now := a.Now()
	var token, email string
	d, fresh, err := a.repo.Decide(ctx, caseID, now, func(f domain.Facts) (*domain.Survey, string, []domain.Entry, error) {
		tok, hash := domain.NewToken()
		s, skip, err := domain.Decide(f, p, adapters.NewID(), hash, a.Mail != nil && a.BaseURL != "", now)
		if err != nil || s == nil {
			return nil, skip, nil, err
		}
		token, email = tok, f.Case.ContactEmail
		var es []domain.Entry
		if s.Delivery == domain.DeliveryTimeline {
			es = append(es, domain.SentEntry(*s, "", a.link(tok), now))
		}
		return s, "", es, nil
	})
	if err != nil {
		return Issued{}, err
	}
	if d.Skip != "" {
		return Issued{Outcome: d.Skip}, nil
	}
	s := *d.Survey
	if s.Delivery != domain.DeliveryEmail || s.DeliveryState != domain.DeliveryPending || a.Mail == nil {
		return issued(s, fresh), nil
	}
	if !fresh {
		c, err := a.repo.Closed(ctx, caseID)
		if err != nil {
			return Issued{}, err
		}
		email = c.ContactEmail
		var hash string
		token, hash = domain.NewToken()
		attempts := s.DeliveryAttempts
		s, err = a.repo.Update(ctx, s.ID, func(x *domain.Survey) ([]domain.Entry, error) {
			if x.DeliveryState != domain.DeliveryPending || x.DeliveryAttempts != attempts {
				return nil, nil // another attempt got there first
			}
			x.TokenHash, x.DeliveryAttempts, x.ExpiresAt = hash, attempts+1, instant(now).Add(a.Policy.TokenTTL)
			return nil, nil
		})
		if err != nil {
			return Issued{}, err
		}
		if s.DeliveryState != domain.DeliveryPending || s.TokenHash != hash {
			return issued(s, false), nil
		}
	}
	return a.deliver(ctx, s, email, token)
}

func issued(s domain.Survey, fresh bool) Issued {
	out := Issued{Outcome: "already_issued", SurveyID: s.ID, Delivery: s.Delivery, DeliveryState: s.DeliveryState}
	if fresh {
		out.Outcome = "issued"
	}
	return out
}

// deliver sends the survey's email with token's link and records the outcome.
func (a *Surveys) deliver(ctx context.Context, s domain.Survey, email, token string) (Issued, error) {
	c, err := a.repo.Closed(ctx, s.CaseID)
	if err != nil {
		return Issued{}, err
	}
	link := a.link(token)
	sendErr := a.Mail.SendSurvey(ctx, SurveyMail{ID: fmt.Sprintf("survey.%s.%d", s.ID, s.DeliveryAttempts), To: email, Language: s.Language,
		Link: link, Subject: c.Subject, ClosedAt: s.ClosedAt, ExpiresAt: s.ExpiresAt})
	now := instant(a.Now())
	giveUp := sendErr != nil && (mail.Permanent(sendErr) || s.DeliveryAttempts >= a.MaxAttempts)
	hash := s.TokenHash
	out, err := a.repo.Update(ctx, s.ID, func(x *domain.Survey) ([]domain.Entry, error) {
		if x.TokenHash != hash || x.DeliveryState != domain.DeliveryPending {
			return nil, nil
		}
		switch {
		case sendErr == nil:
			x.DeliveryState, x.DeliveredAt, x.DeliveryError = domain.DeliverySent, &now, ""
			return []domain.Entry{domain.SentEntry(*x, email, "", now)}, nil
		case giveUp:
			x.DeliveryState, x.DeliveryError = domain.DeliveryFailed, clip(sendErr.Error(), 300)
			return []domain.Entry{domain.SentEntry(*x, email, link, now)}, nil
		}
		x.DeliveryError = clip(sendErr.Error(), 300)
		return nil, nil
	})
	if err != nil {
		return Issued{}, err
	}
	if sendErr != nil && !giveUp {
		return Issued{}, fmt.Errorf("survey %s: email attempt %d: %w", s.ID, s.DeliveryAttempts, sendErr)
	}
	if giveUp {
		a.Log.WarnContext(ctx, "survey email undeliverable: its link is on the case's timeline", "survey", s.ID, "case", s.CaseID, "error", sendErr)
	}
	return issued(out, true), nil
}

// link is the public link of a token.
func (a *Surveys) link(token string) string { return a.BaseURL + "/surveys/" + token }

// Open returns the open survey of a link (404 for a link that names none,
// 409 once answered, 410 once expired).
func (a *Surveys) Open(ctx context.Context, token string) (PublicSurvey, error) {
	s, err := a.byToken(ctx, token)
	if err != nil {
		return PublicSurvey{}, err
	}
	if err := s.CheckOpen(a.Now()); err != nil {
		return PublicSurvey{}, err
	}
	return a.public(ctx, s)
}

func (a *Surveys) byToken(ctx context.Context, token string) (domain.Survey, error) {
	if !domain.ValidToken(token) {
		return domain.Survey{}, domain.ErrSurveyNotFound
	}
	return a.repo.ByToken(ctx, domain.HashToken(token))
}

func (a *Surveys) public(ctx context.Context, s domain.Survey) (PublicSurvey, error) {
	c, err := a.repo.Closed(ctx, s.CaseID)
	if err != nil {
		return PublicSurvey{}, err
	}
	return PublicOf(s, c.Subject, a.Policy, a.Now()), nil
}

// Answer records the one answer of a link's survey. A refused answer
// (bad fields 422, answered 409, expired 410, unknown link 404) changes
// nothing. A low score opens a recovery call for the case's team: the
// answer records it as pending and RecoveryRetrier starts it right after,
// so the customer never waits for the follow-up engine, and an engine that
// cannot be reached delays the call, never the answer.
func (a *Surveys) Answer(ctx context.Context, token string, ans domain.Answer) (PublicSurvey, error) {
	s, err := a.byToken(ctx, token)
	if err != nil {
		return PublicSurvey{}, err
	}
	hash := s.TokenHash
	s, err = a.repo.Update(ctx, s.ID, func(x *domain.Survey) ([]domain.Entry, error) {
		if x.TokenHash != hash {
			return nil, domain.ErrSurveyNotFound // a new link replaced this one meanwhile
		}
		y, err := domain.AnswerSurvey(*x, ans, a.Policy, a.Now())
		if err != nil {
			return nil, err
		}
		if y.RecoveryState == domain.RecoveryPending {
			y.RecoveryFollowUpID = RecoveryFollowUpID(y.ID)
		}
		*x = y
		return []domain.Entry{domain.AnsweredEntry(y)}, nil
	})
	if err != nil {
		return PublicSurvey{}, err
	}
	if s.RecoveryState == domain.RecoveryPending {
		select {
		case a.kick <- struct{}{}:
		default:
		}
	}
	if a.Answered != nil {
		a.Answered()
	}
	return a.public(ctx, s)
}

// RecoveryFollowUpID is the id of the recovery call of a survey: derived
// from it, so that starting it again starts nothing new.
func RecoveryFollowUpID(surveyID string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("closeloop:survey-recovery:"+surveyID)).String()
}

// openRecovery starts the recovery call of an answered survey and records
// it. Its owner is who worked the case (its assignee, else who filed it), in
// the case's team: the follow-up engine escalates an overdue call to the
// team's managers (service.recovery_escalation_ladder).
func (a *Surveys) openRecovery(ctx context.Context, s domain.Survey) error {
	c, err := a.repo.Closed(ctx, s.CaseID)
	if err != nil {
		return err
	}
	owner := c.AssigneeID
	if owner == "" {
		owner = c.CreatedBy
	}
	title := fmt.Sprintf("Recovery call: CSAT %d of 5 on “%s”", *s.CSAT, clip(c.Subject, 120))
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := a.FollowUps(ctx, &followupv1.FollowUpSpec{
		Id: s.RecoveryFollowUpID, Kind: policy.KindRecoveryCall, CustomerId: s.CustomerID, OwnerId: owner, Team: s.Team,
		Title: title, AnchorAt: timestamppb.New(*s.AnsweredAt), OpenedBy: domain.SurveyActor,
	}); err != nil {
		return err
	}
	now := instant(a.Now())
	_, err = a.repo.Update(ctx, s.ID, func(x *domain.Survey) ([]domain.Entry, error) {
		if x.RecoveryState == domain.RecoveryPending {
			x.RecoveryState, x.RecoveryOpenedAt = domain.RecoveryOpened, &now
		}
		return nil, nil
	})
	return err
}

// RetryRecoveries starts the recovery calls still pending and returns how
// many it started.
func (a *Surveys) RetryRecoveries(ctx context.Context) (int, error) {
	if a.FollowUps == nil {
		return 0, nil
	}
	pending, err := a.repo.PendingRecoveries(ctx, 100)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, r := range pending {
		if err := a.openRecovery(ctx, r.Survey); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// RecoveryRetrier is a background task: RetryRecoveries after every answer
// that asks for a recovery call, and every interval for those the engine
// could not start.
func (a *Surveys) RecoveryRetrier(interval time.Duration) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		return outboxLoop(ctx, interval, a.FollowUps == nil, a.kick, func(ctx context.Context) {
			if n, err := a.RetryRecoveries(ctx); err != nil && ctx.Err() == nil {
				a.Log.WarnContext(ctx, "recovery calls still pending", "started", n, "error", err)
			}
		})
	}
}

func instant(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
