package ports

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/mail"
	platform "github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/temporalx"
	servicec "github.com/closeloop/closeloop/proto/contract/service"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/domain"
	"github.com/closeloop/closeloop/workflows/followup"
)

// SurveyConfig is the satisfaction surveys' configuration (docs/satisfaction.md).
type SurveyConfig struct {
	SampleShare          float64       `env:"SURVEY_SAMPLE_SHARE" default:"1" help:"share of closed cases that get a satisfaction survey, 0 to 1 (which ones is a fixed function of the case id)"`
	CommentRequiredBelow int           `env:"SURVEY_COMMENT_REQUIRED_BELOW" default:"3" help:"a CSAT score below this needs a comment (0: a comment is never required)"`
	RecoveryBelow        int           `env:"SURVEY_RECOVERY_BELOW" default:"3" help:"a CSAT score below this opens a recovery call for the case's team (follow-up kind recovery_call; 0: never)"`
	LinkTTL              time.Duration `env:"SURVEY_LINK_TTL" default:"720h" help:"how long a survey link works after it is sent"`
	PublicBaseURL        string        `env:"SURVEY_PUBLIC_BASE_URL" help:"external base URL under which customers reach this service's /surveys pages (https://crm.example.com); empty: no survey emails, links go on the case's timeline as relative paths"`
	EmailAttempts        int           `env:"SURVEY_EMAIL_ATTEMPTS" default:"5" help:"emails tried per survey before its link goes on the case's timeline for staff to pass on"`
	RecoveryRetry        time.Duration `env:"SURVEY_RECOVERY_RETRY" default:"1m" help:"how often recovery calls the follow-up engine could not start yet are tried again"`
	// Mail is the SMTP relay survey emails go through (SMTP_*); none when
	// SMTP_HOST is empty.
	Mail mail.Config
}

// Check validates the configuration, naming each variable at fault.
func (c SurveyConfig) Check() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.SampleShare < 0 || c.SampleShare > 1 {
		bad("SURVEY_SAMPLE_SHARE=%v: a share from 0 to 1", c.SampleShare)
	}
	if c.CommentRequiredBelow < 0 || c.CommentRequiredBelow > domain.MaxCSAT+1 {
		bad("SURVEY_COMMENT_REQUIRED_BELOW=%d: 0 to 6", c.CommentRequiredBelow)
	}
	if c.RecoveryBelow < 0 || c.RecoveryBelow > domain.MaxCSAT+1 {
		bad("SURVEY_RECOVERY_BELOW=%d: 0 to 6", c.RecoveryBelow)
	}
	if c.LinkTTL < time.Hour {
		bad("SURVEY_LINK_TTL=%s: at least 1h", c.LinkTTL)
	}
	if c.EmailAttempts < 1 {
		bad("SURVEY_EMAIL_ATTEMPTS=%d: at least 1", c.EmailAttempts)
	}
	if c.PublicBaseURL != "" {
		if u, err := url.Parse(c.PublicBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			bad("SURVEY_PUBLIC_BASE_URL=%q: an absolute http(s) URL, such as https://crm.example.com", c.PublicBaseURL)
		}
	}
	return errors.Join(errs...)
}

// Policy is the domain's part of the configuration.
func (c SurveyConfig) Policy() domain.SurveyPolicy {
	return domain.SurveyPolicy{SampleShare: c.SampleShare, TokenTTL: c.LinkTTL, CommentRequiredBelow: c.CommentRequiredBelow, RecoveryBelow: c.RecoveryBelow}
}

// SurveysHTTP serves the satisfaction surveys: the public link (a page and
// a JSON API, no login), a case's survey and a customer's satisfaction
// (under /v1), the IssueSurvey activity and the background retry of
// recovery calls.
type SurveysHTTP struct {
	Surveys *app.Surveys
	// RecoveryRetry is the background retry's interval.
	RecoveryRetry time.Duration
}

// NewSurveys assembles the surveys from the service's dependencies. Mount
// them with Routes (on /v1), Public (on the engine), Register (activities)
// and Background.
func NewSurveys(d *platform.Deps, cfg SurveyConfig) (*SurveysHTTP, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	s := app.NewSurveys(d.DB, cfg.Policy(), cfg.PublicBaseURL)
	s.MaxAttempts = cfg.EmailAttempts
	if d.Log != nil {
		s.Log = d.Log
	}
	if cfg.Mail.Enabled() {
		sender, err := mail.New(cfg.Mail)
		if err != nil {
			return nil, err
		}
		s.Mail = SurveyMailer{Sender: sender}
		if cfg.PublicBaseURL == "" {
			s.Log.Warn("surveys: SMTP is configured but SURVEY_PUBLIC_BASE_URL is not: survey links go on the cases' timelines instead of by email")
		}
	}
	if d.Temporal != nil {
		c := d.Temporal
		s.FollowUps = func(ctx context.Context, spec *followupv1.FollowUpSpec) error { return followup.Start(ctx, c, spec) }
	}
	return &SurveysHTTP{Surveys: s, RecoveryRetry: cfg.RecoveryRetry}, nil
}

// Register adds the surveys' activity to the service's worker.
func (h *SurveysHTTP) Register(r worker.Registry) {
	r.RegisterActivityWithOptions(h.IssueSurvey, activity.RegisterOptions{Name: servicec.ActivityIssueSurvey})
}

// IssueSurvey is the ActivityIssueSurvey activity. A refusal (the case is
// not closed, or does not exist) is not retried; a mail relay that fails
// for now is.
func (h *SurveysHTTP) IssueSurvey(ctx context.Context, in *servicev1.IssueSurveyInput) (*servicev1.IssueSurveyResult, error) {
	out, err := h.Surveys.Issue(ctx, in.GetCaseId(), time.Duration(in.GetNpsPeriodMs())*time.Millisecond)
	if err != nil {
		return nil, temporalx.NonRetryable(err)
	}
	return &servicev1.IssueSurveyResult{Outcome: out.Outcome, SurveyId: out.SurveyID, Delivery: out.Delivery, DeliveryState: out.DeliveryState}, nil
}

// Background is the surveys' background task: starting the recovery calls
// the follow-up engine could not start when the answer came.
func (h *SurveysHTTP) Background() func(ctx context.Context) error {
	return h.Surveys.RecoveryRetrier(h.RecoveryRetry)
}

// Routes mounts the authenticated endpoints on /v1.
func (h *SurveysHTTP) Routes(v1 *gin.RouterGroup) {
	v1.GET("/cases/:id/survey", h.caseSurvey)
	v1.GET("/customers/:customerId/satisfaction", h.satisfaction)
}

// Public mounts the customer's endpoints, without login: the page behind a
// survey link and its JSON API. Bodies are limited to MaxPublicBody.
func (h *SurveysHTTP) Public(e *gin.Engine) {
	pages := e.Group("/surveys", publicHeaders, pageBodyLimit)
	pages.GET("/:token", h.page)
	pages.POST("/:token", h.pagePost)
	api := e.Group("/public/v1/surveys", publicHeaders, httpx.BodyLimit(MaxPublicBody))
	api.GET("/:token", h.publicGet)
	api.POST("/:token", h.publicPost)
}

// pageBodyLimit caps the page's form bodies at MaxPublicBody; the form
// handler answers a longer one with the page saying so (413).
func pageBodyLimit(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxPublicBody)
	c.Next()
}

// MaxPublicBody is the largest body the public endpoints take: a comment of
// domain.MaxComment Chinese characters, form-encoded, with room to spare.
const MaxPublicBody = 32 << 10

// publicHeaders keep a survey link out of caches, referrers and frames.
func publicHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	c.Next()
}

// AnswerRequest is the body of POST /public/v1/surveys/{token}.
type AnswerRequest struct {
	// CSAT: how satisfied, 1 (very dissatisfied) to 5 (very satisfied).
	CSAT *int `json:"csat"`
	// NPS: how likely to recommend us, 0 to 10; only when the survey asks
	// (asks_nps), and optional then.
	NPS *int `json:"nps"`
	// Comment: required below the survey's comment_required_below.
	Comment string `json:"comment"`
}

func (h *SurveysHTTP) publicGet(c *gin.Context) {
	v, err := h.Surveys.Open(c.Request.Context(), c.Param("token"))
	publicRespond(c, v, err)
}

func (h *SurveysHTTP) publicPost(c *gin.Context) {
	var req AnswerRequest
	if err := httpx.Bind(c, &req); err != nil {
		publicError(c, err)
		return
	}
	v, err := h.Surveys.Answer(c.Request.Context(), c.Param("token"), domain.Answer{CSAT: req.CSAT, NPS: req.NPS, Comment: req.Comment})
	publicRespond(c, v, err)
}

func publicRespond(c *gin.Context, v app.PublicSurvey, err error) {
	if err != nil {
		publicError(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// publicError writes err as every endpoint does, except that an expired
// link is 410 Gone: it existed, and will not come back.
func publicError(c *gin.Context, err error) {
	if errors.Is(err, domain.ErrSurveyExpired) {
		_, body := httpx.Body(err)
		c.AbortWithStatusJSON(http.StatusGone, body)
		return
	}
	httpx.WriteError(c, err)
}

// publicStatus is the status publicError writes for err.
func publicStatus(err error) int {
	if errors.Is(err, domain.ErrSurveyExpired) {
		return http.StatusGone
	}
	return httpx.Status(apperr.From(err).Kind)
}

func (h *SurveysHTTP) caseSurvey(c *gin.Context) {
	v, err := h.Surveys.CaseSurvey(c.Request.Context(), c.Param("id"))
	respond(c, v, err)
}

func (h *SurveysHTTP) satisfaction(c *gin.Context) {
	cur, limit, err := pageArgs(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.Surveys.Satisfaction(c.Request.Context(), c.Param("customerId"), cur, limit, httpx.EncodeCursor)
	respond(c, v, err)
}
