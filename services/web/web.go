// Package web is the web console: the pages reps, managers and analysts work
// in. It holds no business data and no database: every page calls the
// services' public APIs (typed clients generated from their OpenAPI
// documents) with the signed-in user's access token, so the services apply
// that user's permissions and scope. Users sign in with OpenID Connect
// (authorization code + PKCE); the session lives in an encrypted cookie.
//
// Pages are server-rendered with html/template and updated in place with
// htmx; all assets are embedded. See docs/console.md.
package web

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/assets"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/pages/analytics"
	"github.com/closeloop/closeloop/services/web/internal/pages/board"
	"github.com/closeloop/closeloop/services/web/internal/pages/campaigns"
	"github.com/closeloop/closeloop/services/web/internal/pages/cases"
	"github.com/closeloop/closeloop/services/web/internal/pages/customer360"
	"github.com/closeloop/closeloop/services/web/internal/pages/customers"
	"github.com/closeloop/closeloop/services/web/internal/pages/deliveries"
	"github.com/closeloop/closeloop/services/web/internal/pages/importer"
	"github.com/closeloop/closeloop/services/web/internal/pages/inbox"
	"github.com/closeloop/closeloop/services/web/internal/pages/leads"
	"github.com/closeloop/closeloop/services/web/internal/pages/myday"
	"github.com/closeloop/closeloop/services/web/internal/pages/notices"
	"github.com/closeloop/closeloop/services/web/internal/pages/policies"
	"github.com/closeloop/closeloop/services/web/internal/pages/settings"
	"github.com/closeloop/closeloop/services/web/internal/pages/slips"
	"github.com/closeloop/closeloop/services/web/internal/pages/visits"
	"github.com/closeloop/closeloop/services/web/internal/pages/webhooks"
	"github.com/closeloop/closeloop/services/web/internal/session"
	"github.com/closeloop/closeloop/services/web/internal/signin"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// Config is the console's own configuration.
type Config struct {
	PublicURL       string        `env:"WEB_PUBLIC_URL" default:"http://127.0.0.1:8080" help:"the URL users reach the console at; the OIDC redirect URI is this + /auth/callback, and cookies are Secure when it is https"`
	ClientID        string        `env:"WEB_OIDC_CLIENT_ID" default:"closeloop-web" help:"the console's OIDC client id"`
	ClientSecret    string        `env:"WEB_OIDC_CLIENT_SECRET" help:"the console's OIDC client secret; empty for a public client (PKCE only)"`
	SessionKey      string        `env:"WEB_SESSION_KEY" help:"base64 of 32 random bytes that encrypt the session cookie (required; openssl rand -base64 32); every replica needs the same"`
	SessionMaxAge   time.Duration `env:"WEB_SESSION_MAX_AGE" default:"12h" help:"how long a sign-in lasts at most, whatever the tokens say"`
	CustomerAPI     string        `env:"CUSTOMER_API_URL" default:"http://127.0.0.1:8081" help:"base URL of the customer service"`
	FollowUpAPI     string        `env:"FOLLOWUP_API_URL" default:"http://127.0.0.1:8086" help:"base URL of the follow-up service"`
	SalesAPI        string        `env:"SALES_API_URL" default:"http://127.0.0.1:8082" help:"base URL of the sales service"`
	ServiceAPI      string        `env:"SERVICE_API_URL" default:"http://127.0.0.1:8083" help:"base URL of the after-sales (service) service"`
	MarketingAPI    string        `env:"MARKETING_API_URL" default:"http://127.0.0.1:8084" help:"base URL of the marketing service"`
	TemporalUI      string        `env:"TEMPORAL_UI_URL" default:"" help:"Temporal web UI base URL that pages link workflows to; empty for no link"`
	DefaultTimeZone string        `env:"WEB_DEFAULT_TIME_ZONE" default:"UTC" help:"IANA time zone for users whose identity provider and browser name none"`
}

// Page mounts one page (or a group of pages) of the console.
type Page func(e *gin.Engine, d *console.Deps) error

// Pages are the console's pages, in the order of the navigation.
var Pages = []Page{
	myday.Mount,
	board.Mount,
	customers.Mount,
	customer360.Mount,
	leads.Mount,
	cases.Mount,
	slips.Mount,
	notices.Mount,
	campaigns.Mount,
	visits.Mount,
	analytics.Mount,
	policies.Mount,
	importer.Mount,
	inbox.Mount,
	settings.Mount,
	webhooks.Mount,
	deliveries.Mount,
}

// Spec describes the web console binary.
func Spec() service.Spec {
	cfg := &Config{}
	return service.Spec{
		Name:            "web",
		DefaultHTTPAddr: ":8080",
		NoDatabase:      true,
		NoAPI:           true,
		NoTemporal:      true,
		Extra:           cfg,
		Setup: func(ctx context.Context, d *service.Deps) (*service.Module, error) {
			return Setup(ctx, d, *cfg)
		},
	}
}

// Setup assembles the console.
func Setup(ctx context.Context, d *service.Deps, cfg Config) (*service.Module, error) {
	if d.Config.OIDCIssuerURL == "" {
		return nil, errConfig("OIDC_ISSUER_URL is required: the console signs users in with it")
	}
	codec, err := session.NewCodec(cfg.SessionKey, len(cfg.PublicURL) > 8 && cfg.PublicURL[:8] == "https://", cfg.SessionMaxAge)
	if err != nil {
		return nil, err
	}
	apiCfg := apis.Config{Customer: cfg.CustomerAPI, FollowUp: cfg.FollowUpAPI, Sales: cfg.SalesAPI, Service: cfg.ServiceAPI,
		Marketing: cfg.MarketingAPI}
	if err := apiCfg.CheckURLs(); err != nil {
		return nil, err
	}
	views, err := view.New(cfg.DefaultTimeZone, cfg.TemporalUI)
	if err != nil {
		return nil, err
	}
	fail := func(c *gin.Context, status int, id, detail string) {
		views.Message(c, signin.From(c), status, id, detail)
	}
	a, err := signin.New(ctx, signin.Config{IssuerURL: d.Config.OIDCIssuerURL, ClientID: cfg.ClientID,
		ClientSecret: cfg.ClientSecret, PublicURL: cfg.PublicURL}, codec, d.Log, fail)
	if err != nil {
		return nil, err
	}
	deps := &console.Deps{View: views, Auth: a, APIs: apis.New(apiCfg), Log: d.Log, Namespace: d.Config.Temporal.Namespace}
	return &service.Module{
		Pages: func(e *gin.Engine) {
			e.Use(console.SecurityHeaders(cfg.PublicURL, d.Config.OIDCIssuerURL))
			assets.Mount(e)
			a.Mount(e)
			mountHome(e, deps)
			for _, p := range Pages {
				if err := p(e, deps); err != nil {
					panic(err) // embedded templates and catalogues: a programming error
				}
			}
			// An unknown page asks for a sign-in first, so the console does
			// not tell strangers which pages exist.
			e.NoRoute(a.Require(), func(c *gin.Context) {
				views.Message(c, signin.From(c), http.StatusNotFound, "notfound.title", "")
			})
		},
		Checks: []httpx.Check{{Name: "issuer", Fn: a.Ready}},
	}, nil
}

type errConfig string

func (e errConfig) Error() string { return string(e) }
