// Package marketing is the marketing service: campaigns planned, approved,
// run and judged against a control group, and win-back of lost customers
// (docs/campaigns.md, docs/win-back.md).
//
// This file is the service's contract at a glance: its name, task queue,
// configuration and how it is assembled. The pieces live in internal/, in
// the shape every service follows: domain (the rules: a campaign's states
// and who may move them, saved segments, the holdout, precedence between
// running campaigns, contact pressure, the evaluation's statistics), app
// (the use cases, and the steps the marketing workflows ask of the
// service), adapters (the migrations and the gorm store) and ports (the
// HTTP API and its OpenAPI document, the Temporal activities, and how the
// service starts and signals its workflows).
//
// The service holds no customers: a segment is read by the customer
// service's worker (customer.SegmentPage) through the SegmentPreview and
// CampaignLaunch workflows; a touch is an action plan the customer service
// stores, or an email the follow-up service delivers with a signed
// unsubscribe link this service answers (/unsubscribe, without login); a responding lost customer becomes a lead through the Lead
// workflow; sales outcomes come from the sales service (CampaignOutcomes).
package marketing

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/closeloop/closeloop/platform/apperr"
	platform "github.com/closeloop/closeloop/platform/service"
	marketingc "github.com/closeloop/closeloop/proto/contract/marketing"
	"github.com/closeloop/closeloop/services/marketing/internal/adapters"
	"github.com/closeloop/closeloop/services/marketing/internal/app"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
	"github.com/closeloop/closeloop/services/marketing/internal/ports"
)

// TaskQueue is the marketing service's Temporal task queue.
const TaskQueue = "marketing"

// Config is the marketing service's own configuration, next to
// platform.Config.
type Config struct {
	Teams       string        `env:"MARKETING_TEAMS" default:"marketing" help:"the marketing department's teams (comma-separated): their reps are marketers, their managers approve campaigns"`
	PreviewWait time.Duration `env:"PREVIEW_WAIT" default:"10s" help:"how long a segment preview (and a launch's check of its segment) waits for the customer service before answering 503"`
	Newcomers   time.Duration `env:"NEWCOMERS_INTERVAL" default:"24h" help:"how often the segment of each running campaign that enrols newcomers is read again for customers who entered it (win-back newcomers: the worker's WINBACK_SWEEP_INTERVAL)"`
	StartEvery  time.Duration `env:"LAUNCH_START_INTERVAL" default:"15s" help:"how often launches the workflow engine did not take are started again, and the win-backs of ended campaigns told"`
	// Email touches (docs/campaigns.md#email-touches): without a key and a
	// public URL, every email touch becomes an action plan for the owner.
	Unsubscribe UnsubscribeConfig
}

// UnsubscribeConfig signs the unsubscribe links of campaign emails.
type UnsubscribeConfig struct {
	Key     string        `env:"UNSUBSCRIBE_KEY" help:"secret key of at least 32 bytes (from a Secret; never logged) that signs the unsubscribe links of campaign emails with HMAC-SHA256; changing it invalidates the links already sent; empty: no email touches (each becomes an action plan for the owner)"`
	BaseURL string        `env:"UNSUBSCRIBE_PUBLIC_BASE_URL" help:"external base URL under which customers reach this service's /unsubscribe pages (https://crm.example.com); empty: no email touches"`
	TTL     time.Duration `env:"UNSUBSCRIBE_LINK_TTL" default:"2160h" help:"how long an unsubscribe link works after its email is written (at least 24h)"`
}

// links checks the configuration and returns the links' signer: nil
// without a key (no email touches, no link honoured); without a URL, links
// already sent are honoured but no email touch is sent.
func (c UnsubscribeConfig) links() (*app.EmailLinks, error) {
	if c.TTL < 24*time.Hour {
		return nil, apperr.Invalid("invalid_config", fmt.Sprintf("UNSUBSCRIBE_LINK_TTL=%s: at least 24h (customers open their email days later)", c.TTL))
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, apperr.Invalid("invalid_config", fmt.Sprintf("UNSUBSCRIBE_PUBLIC_BASE_URL=%q: an absolute http(s) URL, such as https://crm.example.com", c.BaseURL))
		}
	}
	if c.Key == "" {
		return nil, nil
	}
	signer, err := domain.NewUnsubscribeSigner(c.Key, c.TTL)
	if err != nil {
		return nil, apperr.Invalid("invalid_config", "UNSUBSCRIBE_KEY: "+err.Error())
	}
	return &app.EmailLinks{Signer: signer, BaseURL: c.BaseURL}, nil
}

// OpenAPI returns the service's OpenAPI document, built from its request and response types.
func OpenAPI() []byte { return ports.OpenAPI() }

// Spec describes the marketing service binary.
func Spec() platform.Spec {
	cfg := &Config{}
	return platform.Spec{
		Name:            "marketing",
		DefaultHTTPAddr: ":8084",
		TaskQueue:       TaskQueue,
		Migrations:      adapters.Migrations,
		Extra:           cfg,
		Setup: func(ctx context.Context, d *platform.Deps) (*platform.Module, error) {
			return Setup(d, *cfg)
		},
	}
}

// Setup assembles the service from its dependencies.
func Setup(d *platform.Deps, cfg Config) (*platform.Module, error) {
	org := domain.Marketing{}
	for _, t := range strings.Split(cfg.Teams, ",") {
		if t = strings.TrimSpace(t); t != "" {
			org.Teams = append(org.Teams, t)
		}
	}
	if err := org.Validate(); err != nil {
		return nil, err
	}
	links, err := cfg.Unsubscribe.links()
	if err != nil {
		return nil, err
	}
	wf := ports.Workflows{Client: d.Temporal, PreviewWait: cfg.PreviewWait}
	uc := app.New(adapters.NewStore(d.DB), org, wf, d.Log)
	if links != nil {
		uc.UseEmail(*links)
	}
	if links == nil || links.BaseURL == "" {
		d.Log.Info("marketing: email touches are off (UNSUBSCRIBE_KEY and UNSUBSCRIBE_PUBLIC_BASE_URL not both set): each becomes an action plan for the customer's owner")
	}
	h := &ports.HTTP{App: uc}
	acts := &ports.Activities{App: uc}
	return &platform.Module{
		Register: acts.Register,
		// The same activities on the bulk queue, for the launches' and
		// sweeps' pages (marketingc.BulkTaskQueue).
		Queues:  map[string]func(worker.Registry){marketingc.BulkTaskQueue: acts.Register},
		Routes:  h.Routes,
		Pages:   (&ports.Unsubscribe{App: uc}).Public, // the unsubscribe links customers open, without login
		OpenAPI: ports.OpenAPI(),
		Background: []func(context.Context) error{platform.PurgeIdempotencyKeys(d.DB, d.Log),
			outbox(uc, cfg.StartEvery, cfg.Newcomers, d.Log)},
	}, nil
}

// outbox, every interval, starts the launches the workflow engine did not
// take, tells the win-backs of ended campaigns that their campaign ended,
// and starts the newcomers runs that are due: the campaigns and enrolments
// tables are the outbox of those workflows.
func outbox(uc *app.App, every, newcomers time.Duration, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			if n, err := uc.StartPendingLaunches(ctx, every, 20); err != nil {
				log.WarnContext(ctx, "starting the launches of running campaigns", "started", n, "error", err)
			}
			uc.TellEnded(ctx, 200)
			uc.TellEvents(ctx, 200) // campaign events the engine did not take at once (app/notices.go)
			if newcomers > 0 {
				if n, err := uc.StartNewcomers(ctx, newcomers, 20); err != nil {
					log.WarnContext(ctx, "reading running campaigns' segments for newcomers", "started", n, "error", err)
				}
			}
		}
	}
}
