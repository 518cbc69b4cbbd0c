// Package followup is the follow-up service: the engine every Closeloop
// workflow tracks its obligations on. It owns timer policies and their
// versions, business calendars and their assignments to teams and regions,
// follow-ups with their escalation history, the managers' overdue views and
// counts, policy dry runs, the activities of the policy rollout and
// reconcile workflows, and the notifications' email and webhook channels —
// which also deliver marketing campaigns' touch emails to customers
// (followup.QueueTouchEmails).
//
// Workflows reach it only through the activities on its task queue
// ("followup", proto/contract/followup); people and other services through
// its HTTP API. It does not own customers (it asks the customer service, as
// the caller, who a follow-up's customer belongs to), nor the workflows that
// track follow-ups (those run in the worker, workflows/followup), nor what a
// closed follow-up means for its subject (the owning service is told through
// the follow-up's close notice, and acts on it).
//
// This file is the service's whole contract at a glance: its name, task
// queue, configuration and how it is assembled. The pieces live in internal/,
// in the shape every service follows (docs/architecture.md, "Inside a
// service"): domain (the rules: follow-up state changes, lateness, rollouts,
// dry-run impact, policy versions, calendars and presets), app (the use
// cases: app.FollowUps and app.Policies), adapters (the migrations and the
// import from the customer database) with adapters/store (the gorm
// repositories: FollowUps, Policies, Calendars) and ports (HTTP handlers,
// Temporal activities and client, the customer service's API, OpenAPI).
package followup

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/metric"
	"go.temporal.io/sdk/worker"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/mail"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/webhook"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	"github.com/closeloop/closeloop/services/followup/internal/adapters"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/app"
	"github.com/closeloop/closeloop/services/followup/internal/ports"
)

// TaskQueue is the follow-up service's Temporal task queue.
const TaskQueue = followupc.TaskQueue

// Config is the follow-up service's own configuration, next to service.Config.
type Config struct {
	CustomerAPI string `env:"CUSTOMER_API_URL" default:"http://127.0.0.1:8081" help:"base URL of the customer service, used to look a follow-up's customer, and a reassigned follow-up's new owner, up as the caller"`
	// TemporalUI is where follow-ups link to their workflow.
	TemporalUI string        `env:"TEMPORAL_UI_URL" default:"http://localhost:8233" help:"Temporal web UI base URL that follow-ups link their workflow to; empty for no link"`
	OpenWait   time.Duration `env:"FOLLOWUP_OPEN_WAIT" default:"5s" help:"how long POST /v1/follow-ups waits for the new follow-up to be stored before answering 202 Accepted"`
	// DefaultCalendarCountry picks the business calendars a fresh database gets.
	// DefaultTimeZone is the time zone of people's messages until they choose one.
	DefaultTimeZone        string `env:"NOTIFY_DEFAULT_TIME_ZONE" default:"UTC" help:"IANA time zone of notification messages, quiet hours and digests for people who have not chosen one in their notification preferences"`
	DefaultCalendarCountry string `env:"DEFAULT_CALENDAR_COUNTRY" default:"" help:"business calendars a fresh database is seeded with: CN (China mainland holidays and make-up days, default cn-mainland) or plain/empty (Monday–Friday, no holidays, default standard); ignored once calendars exist"`
	Notify                 NotifyConfig
	// Mail is the SMTP relay of email notifications (SMTP_*); none when
	// SMTP_HOST is empty.
	Mail mail.Config
}

// NotifyConfig is how notifications go out by email and webhook
// (docs/notifications.md).
type NotifyConfig struct {
	ConsoleURL          string        `env:"CONSOLE_URL" help:"the web console's external base URL (https://crm.example.com), for links in emails and webhooks; empty: no links"`
	Dispatch            bool          `env:"NOTIFY_DISPATCH" default:"true" help:"send email and webhook deliveries from this replica (every replica may; they share the work through claims in the database)"`
	Poll                time.Duration `env:"NOTIFY_POLL" default:"500ms" help:"how often new messages are looked for"`
	DigestCheck         time.Duration `env:"NOTIFY_DIGEST_CHECK" default:"1m" help:"how often the daily digests due are looked for (a digest goes out within this of its hour)"`
	Claim               time.Duration `env:"NOTIFY_CLAIM" default:"1m" help:"how long a replica holds a delivery it is sending; one left unsent by a replica that died is sent by another after this"`
	Concurrency         int           `env:"NOTIFY_CONCURRENCY" default:"16" help:"sends in flight per replica"`
	RetryFor            time.Duration `env:"NOTIFY_RETRY_FOR" default:"24h" help:"how long a failed delivery is retried before it goes on the dead-letter list"`
	RetryInitial        time.Duration `env:"NOTIFY_RETRY_INITIAL" default:"30s" help:"first retry interval of a failed delivery; it doubles up to NOTIFY_RETRY_MAX_INTERVAL"`
	RetryMaxInterval    time.Duration `env:"NOTIFY_RETRY_MAX_INTERVAL" default:"1h" help:"longest interval between retries of a failed delivery"`
	WebhookAllowPrivate bool          `env:"WEBHOOK_ALLOW_PRIVATE" default:"false" help:"let webhook subscriptions reach loopback, private and link-local addresses (an on-premises chat server); never on a shared cloud host"`
	WebhookAllowHTTP    bool          `env:"WEBHOOK_ALLOW_HTTP" default:"false" help:"let webhook subscriptions use plain http (development only: bodies and signatures cross the network in clear)"`
	WebhookTimeout      time.Duration `env:"WEBHOOK_TIMEOUT" default:"10s" help:"limit of one webhook request, response included"`
	WebhookDisableAfter int           `env:"WEBHOOK_DISABLE_AFTER" default:"20" help:"consecutive failed attempts after which a webhook subscription is disabled (with the reason); an admin re-enables it"`
}

// OpenAPI returns the service's OpenAPI document, built from its request and response types.
func OpenAPI() []byte { return ports.OpenAPI() }

// Spec describes the follow-up service binary.
func Spec() service.Spec {
	cfg := &Config{}
	return service.Spec{
		Name:            "followup",
		DefaultHTTPAddr: ":8086",
		TaskQueue:       TaskQueue,
		Migrations:      adapters.Migrations,
		Extra:           cfg,
		Setup: func(ctx context.Context, d *service.Deps) (*service.Module, error) {
			return Setup(d, *cfg)
		},
		Commands: map[string]func(context.Context, service.Config) error{
			// Copies an existing install's policies, calendars and follow-ups
			// from the customer service's database (IMPORT_FROM_DATABASE_URL)
			// once; safe to run again (docs/deploy.md).
			"import-customer-db": func(ctx context.Context, c service.Config) error {
				return adapters.ImportCommand(ctx, c.DB, c.LogLevel)
			},
		},
	}
}

// Setup assembles the service from its dependencies.
func Setup(d *service.Deps, cfg Config) (*service.Module, error) {
	engine := ports.TemporalEngine{Client: d.Temporal}
	pol := app.NewPolicies(store.NewPolicies(d.DB), store.NewCalendars(d.DB), engine, d.Log)
	if err := pol.SetDefaultCountry(cfg.DefaultCalendarCountry); err != nil {
		return nil, apperr.Invalid("invalid_config", err.Error())
	}
	if err := pol.Seed(context.Background()); err != nil {
		return nil, fmt.Errorf("seed policies and calendars: %w", err)
	}
	customers := ports.NewCustomerAPI(cfg.CustomerAPI)
	users := ports.NewUserDirectory(cfg.CustomerAPI)
	fu := app.NewFollowUps(store.NewFollowUps(d.DB), pol, engine, customers.Lookup, users.Find, app.Links{TemporalUI: cfg.TemporalUI, Namespace: d.Config.Temporal.Namespace})
	h := &ports.EngineHTTP{Policies: pol, FollowUps: fu, OpenWait: cfg.OpenWait}
	if _, err := time.LoadLocation(cfg.DefaultTimeZone); err != nil || cfg.DefaultTimeZone == "Local" {
		return nil, apperr.Invalid("invalid_config", fmt.Sprintf("NOTIFY_DEFAULT_TIME_ZONE=%q: an IANA time zone, such as Asia/Shanghai", cfg.DefaultTimeZone))
	}
	inbox := &ports.InboxHTTP{Inbox: app.NewInbox(store.NewInbox(d.DB)),
		Preferences: app.NewNotificationPreferences(store.NewPreferences(d.DB), cfg.DefaultTimeZone)}
	var mp metric.MeterProvider
	if d.Telemetry != nil {
		mp = d.Telemetry.MeterProvider()
	}
	pace, err := ports.NewRolloutPace(mp, d.Log)
	if err != nil {
		return nil, fmt.Errorf("rollout metrics: %w", err)
	}
	fu.RolloutPace = pace
	acts := &ports.EngineActivities{Policies: pol, FollowUps: fu}
	recipients := app.NewRecipients(store.NewRecipients(d.DB, cfg.DefaultTimeZone))
	deliveries, hooks, err := notifications(d, cfg)
	if err != nil {
		return nil, err
	}
	delActs := &ports.DeliveryActivities{Deliveries: deliveries, Inbox: inbox.Inbox}
	background := []func(context.Context) error{service.PurgeIdempotencyKeys(d.DB, d.Log),
		// A request opening a follow-up on this replica hears when another
		// replica's activity stored it (PostgreSQL).
		func(ctx context.Context) error { return db.Listen(ctx, d.DB, store.StoredChannel, fu.Stored, d.Log) }}
	if cfg.Notify.Dispatch {
		background = append(background, deliveries.Run)
	}
	if mp != nil {
		if err := ports.RegisterGauges(mp, d.DB, d.Log); err != nil {
			return nil, fmt.Errorf("follow-up gauges: %w", err)
		}
	}
	return &service.Module{
		Routes: func(v1 *gin.RouterGroup) {
			v1.Use(httpx.ForwardBearer) // customer look-ups are made as the caller
			v1.Use(func(c *gin.Context) {
				if err := recipients.Saw(c.Request.Context()); err != nil {
					d.Log.Warn("notifications: recording who the caller is failed", "error", err)
				}
			})
			h.Routes(v1)
			inbox.Routes(v1)
			(&ports.DeliveriesHTTP{Deliveries: deliveries}).Routes(v1)
			hooks.Routes(v1)
		},
		// For the workers of services whose workflows track a follow-up with
		// the engine's calls as local activities (platform/activityhttp), as
		// the callers of SERVICE_CALLERS.
		Internal:   acts.InternalRoutes,
		Register:   func(r worker.Registry) { acts.Register(r); delActs.Register(r); ports.RegisterFollowUpWorkflow(r) },
		OpenAPI:    ports.OpenAPI(),
		Background: background,
	}, nil
}

// notifications assembles the email and webhook channels: the SMTP sender
// when SMTP_HOST is set, the webhook client under the admins' address
// policy, and the Delivery workflows for what waits or retries.
func notifications(d *service.Deps, cfg Config) (*app.Deliveries, *ports.WebhooksHTTP, error) {
	n := cfg.Notify
	if n.Claim < 5*time.Second || n.Poll <= 0 || n.DigestCheck <= 0 || n.Concurrency < 1 || n.RetryFor <= 0 || n.RetryInitial <= 0 ||
		n.RetryMaxInterval < n.RetryInitial || n.WebhookTimeout <= 0 || n.WebhookDisableAfter < 1 {
		return nil, nil, apperr.Invalid("invalid_config", "NOTIFY_CLAIM must be at least 5s; NOTIFY_POLL, NOTIFY_DIGEST_CHECK, NOTIFY_RETRY_FOR, NOTIFY_RETRY_INITIAL and "+
			"WEBHOOK_TIMEOUT positive; NOTIFY_RETRY_MAX_INTERVAL at least NOTIFY_RETRY_INITIAL; NOTIFY_CONCURRENCY and WEBHOOK_DISABLE_AFTER at least 1")
	}
	if n.ConsoleURL != "" {
		if u, err := url.Parse(n.ConsoleURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, apperr.Invalid("invalid_config", fmt.Sprintf("CONSOLE_URL=%q: an absolute http(s) URL, such as https://crm.example.com", n.ConsoleURL))
		}
	}
	policy := webhook.Policy{AllowPrivate: n.WebhookAllowPrivate, AllowHTTP: n.WebhookAllowHTTP}
	hooksStore := store.NewWebhooks(d.DB)
	del := app.NewDeliveries(store.NewDeliveries(d.DB), store.NewRecipients(d.DB, cfg.DefaultTimeZone), hooksStore, store.NewFollowUps(d.DB), d.Log)
	del.Config = app.DeliveryConfig{Claim: n.Claim, Poll: n.Poll, DigestCheck: n.DigestCheck, Concurrency: n.Concurrency, DisableAfter: n.WebhookDisableAfter, ConsoleURL: n.ConsoleURL}
	del.Webhook = policy.Client(n.WebhookTimeout)
	del.Retry = ports.DeliveryRetrier{Client: d.Temporal, RetryFor: n.RetryFor, RetryInitial: n.RetryInitial, RetryMaxInterval: n.RetryMaxInterval}
	if cfg.Mail.Enabled() {
		sender, err := mail.New(cfg.Mail)
		if err != nil {
			return nil, nil, apperr.Invalid("invalid_config", err.Error())
		}
		del.Mail = sender
	} else {
		d.Log.Info("notifications: no SMTP relay configured (SMTP_HOST); messages go to the in-app inbox and webhooks only")
	}
	if d.Telemetry != nil {
		c, err := ports.NewDeliveryCounter(d.Telemetry.MeterProvider())
		if err != nil {
			return nil, nil, fmt.Errorf("delivery metrics: %w", err)
		}
		del.Metrics = c
	}
	return del, &ports.WebhooksHTTP{Webhooks: app.NewWebhooks(hooksStore, policy)}, nil
}
