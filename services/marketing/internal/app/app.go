// Package app holds the marketing service's use cases: campaigns (plan,
// approve, launch, complete, cancel, costs), their segments (preview, manual
// enrolment), their evaluation against the holdout, opt-outs and win-back
// candidates — and the steps the marketing workflows ask of the service
// (enrolment pages, touches, how a win-back ended, outcomes). Each use case
// reads top to bottom: who asks, what they may see, the rule (package
// domain), the store (package adapters).
package app

import (
	"context"
	"encoding/base64"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/services/marketing/internal/adapters"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// Workflows is where the marketing service reaches the workflow engine.
type Workflows interface {
	// Preview reads one page of a segment with its count (the
	// SegmentPreview workflow: the customer service reads it).
	Preview(ctx context.Context, in *marketingv1.SegmentPageInput) (*marketingv1.SegmentPageResult, error)
	// Launch starts a campaign's CampaignLaunch workflow (once: a second
	// start of the same campaign's launch is not an error).
	Launch(ctx context.Context, in *marketingv1.CampaignLaunchInput) error
	// StartWinBack starts a customer's WinBack workflow in a campaign
	// (once).
	StartWinBack(ctx context.Context, in *marketingv1.WinBackInput) error
	// Respond signals a customer's WinBack workflow that they responded
	// (an opt-out); a workflow that has ended is not an error.
	Respond(ctx context.Context, customerID, campaignID string, r *marketingv1.WinBackResponse) error
	// Cancel signals a customer's WinBack workflow that its campaign ended;
	// a workflow that has ended is not an error.
	Cancel(ctx context.Context, customerID, campaignID string, end *marketingv1.WinBackEndInput) error
	// Notify starts the CampaignNotice workflow of one campaign event
	// (once per event: a second start of the same event is not an error).
	Notify(ctx context.Context, in *followupv1.NotifyInput) error
}

// App is the marketing service's use cases.
type App struct {
	store *adapters.Store
	org   domain.Marketing
	wf    Workflows
	log   *slog.Logger
	now   func() time.Time
	// links sign the unsubscribe links of email touches (email.go); nil
	// when they are not set up.
	links *EmailLinks
}

// New returns the use cases on store, with the marketing department's teams.
func New(store *adapters.Store, org domain.Marketing, wf Workflows, log *slog.Logger) *App {
	return &App{store: store, org: org, wf: wf, log: log, now: func() time.Time { return time.Now().UTC() }}
}

// SetClock replaces the clock (tests).
func (a *App) SetClock(now func() time.Time) { a.now = now }

// actor is the caller, as the domain's rules see them.
func actor(ctx context.Context) (domain.Actor, auth.Principal) {
	p, _ := auth.FromContext(ctx)
	return domain.ActorOf(p), p
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// Limits of lists.
const (
	defaultLimit = 50
	maxLimit     = 200
)

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return defaultLimit
	case n > maxLimit:
		return maxLimit
	}
	return n
}

// badQuery turns field errors of query parameters into a 400
// invalid_query naming them, like every other bad query parameter.
func badQuery(err error) error {
	e := apperr.From(err)
	if len(e.Fields) == 0 {
		return err
	}
	out := apperr.Invalid("invalid_query", "a query parameter has a value it does not take: "+e.Fields[0].Field+": "+e.Fields[0].Message)
	out.Fields = e.Fields
	return out
}

// encodeCursor and decodeCursor keep a list's keyset position opaque.
func encodeCursor(c adapters.Cursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.At.UTC().Format(time.RFC3339Nano) + "|" + c.ID))
}

func decodeCursor(s string) (*adapters.Cursor, bool) {
	if s == "" {
		return nil, true
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	at, id, ok := strings.Cut(string(raw), "|")
	t, err := time.Parse(time.RFC3339Nano, at)
	if !ok || err != nil || id == "" {
		return nil, false
	}
	return &adapters.Cursor{At: t, ID: id}, true
}

// ignoreNotFound drops a not-found error (a campaign deleted or unknown to
// an activity: nothing to do).
func ignoreNotFound(err error) error {
	if err == domain.ErrNotFound {
		return nil
	}
	return err
}
