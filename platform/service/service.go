// Package service is the bootstrap every Closeloop binary shares. A service
// describes itself with a Spec (name, migrations, task queue, and a Setup that
// returns its routes and activities); Main turns that into a binary with the
// subcommands `serve` (default), `migrate` and `env`, and one configuration struct
// read from environment variables.
//
// Serving wires, in order: JSON logs with trace ids, OpenTelemetry tracing and
// Prometheus metrics, the database (migrated at start unless MIGRATE_ON_START=false),
// the Temporal client (with the tracing interceptor, so HTTP → workflow → activity
// → SQL share one trace), the bearer-token verifier, the gin API under /v1, the
// health and OpenAPI endpoints, /metrics on a port of its own (metrics.go), and
// Temporal workers for the service's own task queue and its bulk queues (pollers,
// slots and the workflow cache from WorkerConfig, TEMPORAL_* variables). SIGTERM
// drains readiness, stops accepting HTTP, finishes in-flight requests, stops the
// workers (letting running activities finish) and flushes telemetry, all within SHUTDOWN_TIMEOUT.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/config"
	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/dbotel"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/logging"
	"github.com/closeloop/closeloop/platform/ratelimit"
	"github.com/closeloop/closeloop/platform/telemetry"
	"github.com/closeloop/closeloop/platform/temporalx"
)

// Config is what every binary reads from the environment.
type Config struct {
	HTTPAddr        string `env:"HTTP_ADDR" help:"address the HTTP API listens on (default per service)"`
	MetricsAddr     string `env:"METRICS_ADDR" help:"address GET /metrics is served on, never the HTTP port (default: HTTP_ADDR's port + 1000; off: none; metrics.go)"`
	DB              db.Config
	MigrateOnStart  bool `env:"MIGRATE_ON_START" default:"true" help:"apply pending database migrations at start"`
	Temporal        temporalx.Config
	Worker          WorkerConfig       // pollers, slots and cache of the Temporal workers (workeropts.go)
	Codec           CodecServerConfig  // CODEC_SERVER_*: the Temporal codec server (codec.go)
	OIDCIssuerURL   string             `env:"OIDC_ISSUER_URL" help:"OIDC issuer whose discovery document and JWKS verify bearer tokens (required to serve the API; not for migrate or the worker)"`
	OIDCAudience    string             `env:"OIDC_AUDIENCE" default:"closeloop" help:"audience (aud) tokens must carry"`
	OIDC            auth.OIDCOptions   // OIDC_ALLOW_INSECURE_ISSUER, OIDC_ALLOWED_CLIENTS, token lifetime, clock skew, JWKS refetch (platform/auth)
	Identity        IdentityConfig     // SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET, SERVICE_CALLERS (identity.go)
	OTLPEndpoint    string             `env:"OTEL_EXPORTER_OTLP_ENDPOINT" help:"OTLP/gRPC endpoint for traces; empty disables export"`
	ServiceName     string             `env:"OTEL_SERVICE_NAME" help:"service.name of traces and metrics (default: the binary's name)"`
	LogLevel        string             `env:"LOG_LEVEL" default:"info" help:"debug, info, warn or error"`
	MaxBodyBytes    int64              `env:"HTTP_MAX_BODY_BYTES" default:"1048576" help:"largest accepted request body in bytes"`
	HTTPServer      httpx.ServerConfig // HTTP_READ_TIMEOUT, HTTP_WRITE_TIMEOUT, HTTP_IDLE_TIMEOUT, HTTP_MAX_HEADER_BYTES
	RateLimit       ratelimit.Config   // RATE_LIMIT_*, TRUSTED_PROXIES (limits.go)
	ShutdownTimeout time.Duration      `env:"SHUTDOWN_TIMEOUT" default:"25s" help:"time allowed for a graceful stop; keep it below the pod's terminationGracePeriodSeconds"`
	DrainDelay      time.Duration      `env:"SHUTDOWN_DRAIN_DELAY" default:"0s" help:"on SIGTERM, how long /readyz reports draining before the listener closes (let load balancers notice; 5s on Kubernetes)"`
}

// Spec describes one service binary.
type Spec struct {
	Name            string // "customer"
	DefaultHTTPAddr string // ":8081"
	TaskQueue       string // worker task queue; empty for no worker
	Migrations      []migrate.Migration
	// Extra, when set, is a pointer to the service's own config struct; it is
	// loaded from the environment next to Config.
	Extra any
	// Setup builds the service from its dependencies.
	Setup func(ctx context.Context, d *Deps) (*Module, error)
	// NoDatabase is set by binaries without their own database (the workflow worker).
	NoDatabase bool
	// NoAPI is set by binaries that serve no /v1 API (the workflow worker); they
	// need no token issuer.
	NoAPI bool
	// NoTemporal is set by binaries that neither run workflows nor start them
	// (the web console): no Temporal client is dialled and /readyz does not
	// wait for Temporal.
	NoTemporal bool
	// Commands are extra subcommands (e.g. the worker's `setup`), run with the
	// loaded configuration and a cancellable context.
	Commands map[string]func(ctx context.Context, cfg Config) error
}

// Deps are what Setup receives.
type Deps struct {
	Config    Config
	Log       *slog.Logger
	DB        *gorm.DB // nil when Spec.NoDatabase
	Temporal  client.Client
	Telemetry *telemetry.Telemetry
	Verifier  auth.Verifier
	// ServiceTokens are the service's own tokens (SERVICE_CLIENT_ID), nil
	// without a client.
	ServiceTokens *auth.ServiceTokens
}

// Module is what a service contributes.
type Module struct {
	// Routes mounts the API on the /v1 group, which already requires a valid token.
	Routes func(v1 *gin.RouterGroup)
	// Internal mounts routes for other services on /internal/v1, which
	// already requires a service's own token from SERVICE_CALLERS.
	Internal func(g *gin.RouterGroup)
	// Register adds activities (and, for the worker binary, workflows) to the worker.
	Register func(r worker.Registry)
	// Queues adds workers on the binary's bulk task queues (customer-bulk,
	// marketing-bulk, workflows-bulk): queue name → what it registers there.
	// Each is served with the TEMPORAL_BULK_* pollers and slots of
	// WorkerConfig, apart from the main queue's.
	Queues map[string]func(r worker.Registry)
	// OpenAPI is the service's OpenAPI 3 document, served at /openapi.json.
	OpenAPI []byte
	// Background tasks run until the context ends (e.g. purging idempotency keys).
	Background []func(ctx context.Context) error
	// Pages mounts routes at the root of the engine, outside /v1 and its
	// bearer-token check (the web console's pages, which authenticate with a
	// session cookie of their own).
	Pages func(e *gin.Engine)
	// Checks are further readiness checks of /readyz.
	Checks []httpx.Check
	// Close releases what Setup acquired.
	Close func()
}

// Main is the entry point of a service binary: main() { service.Main(spec) }.
func Main(spec Spec) {
	if err := run(spec, os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", spec.Name, err)
		os.Exit(1)
	}
}

func run(spec Spec, args []string) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "env":
		printEnv(spec)
		return nil
	case "serve", "migrate":
	default:
		if _, ok := spec.Commands[cmd]; !ok {
			return fmt.Errorf("unknown command %q (want serve, migrate, env%s)", cmd, extraNames(spec))
		}
	}
	cfg, err := LoadConfig(spec)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if cmd == "migrate" {
		return Migrate(ctx, spec, cfg)
	}
	if fn, ok := spec.Commands[cmd]; ok {
		return fn(ctx, cfg)
	}
	app, err := Build(ctx, spec, cfg, Options{})
	if err != nil {
		return err
	}
	defer app.Close()
	return app.Run(ctx)
}

func extraNames(spec Spec) string {
	var out string
	for name := range spec.Commands {
		out += ", " + name
	}
	return out
}

func printEnv(spec Spec) {
	var cfg Config
	vars := config.Describe(&cfg)
	if spec.Extra != nil {
		vars = append(vars, config.Describe(spec.Extra)...)
	}
	for _, v := range vars {
		fmt.Printf("%-32s default=%-24q %s\n", v.Name, v.Default, v.Help)
	}
}

// LoadConfig reads Config (and spec.Extra) from the environment, filling the
// per-service defaults.
func LoadConfig(spec Spec) (Config, error) {
	var cfg Config
	err := config.Load(&cfg)
	if spec.Extra != nil {
		err = errors.Join(err, config.Load(spec.Extra))
	}
	err = errors.Join(err, cfg.Worker.validate(func(name string) bool {
		return err != nil && strings.Contains(err.Error(), name+"=") // unparsable: named already
	}))
	if err != nil {
		return cfg, fmt.Errorf("configuration: %w", err)
	}
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = spec.DefaultHTTPAddr
	}
	if cfg.MetricsAddr, err = resolveMetricsAddr(cfg.MetricsAddr, cfg.HTTPAddr); err != nil {
		return cfg, fmt.Errorf("configuration: %w", err)
	}
	if cfg.DB.URL == "" {
		cfg.DB.URL = "sqlite://.data/" + spec.Name + ".db"
	}
	if cfg.ServiceName == "" {
		cfg.ServiceName = "closeloop-" + spec.Name
	}
	return cfg, nil
}

// errNoIssuer is why a service that serves the /v1 API will not start without
// OIDC_ISSUER_URL. Only serving verifies tokens: `migrate`, `env`, the worker and
// its commands never need an issuer.
var errNoIssuer = errors.New("configuration: OIDC_ISSUER_URL is required to serve the API (every /v1 endpoint verifies bearer tokens; `make run` starts a dev issuer)")

// Migrate applies pending migrations and reports the schema status: the
// `migrate` subcommand and the Helm pre-upgrade hook.
func Migrate(ctx context.Context, spec Spec, cfg Config) error {
	if spec.NoDatabase {
		return nil
	}
	log := logging.New(cfg.LogLevel, os.Stderr)
	gdb, err := db.Open(ctx, cfg.DB, log)
	if err != nil {
		return err
	}
	defer closeDB(gdb)
	applied, err := migrate.Run(ctx, gdb, spec.Name, spec.Migrations, log)
	if err != nil {
		return err
	}
	st, err := migrate.Inspect(ctx, gdb, spec.Migrations)
	if err != nil {
		return err
	}
	log.Info("migrations complete", "service", spec.Name, "applied_now", applied, "applied_total", len(st.Applied), "newer_in_database", st.Unknown)
	return nil
}

// Options override dependencies, for tests.
type Options struct {
	Telemetry *telemetry.Telemetry // share one telemetry (and its exporter) across services in a test
	Verifier  auth.Verifier
	Logger    *slog.Logger
}

// App is a built service, ready to Run.
type App struct {
	spec      Spec
	cfg       Config
	deps      *Deps
	module    *Module
	engine    *gin.Engine
	handler   http.Handler
	health    *httpx.Health
	metrics   *metricsListener // METRICS_ADDR (metrics.go)
	workers   []queueWorker
	ownTel    bool
	closeOnce sync.Once
	addr      chan net.Addr
}

// Build wires the service without starting anything that listens.
func Build(ctx context.Context, spec Spec, cfg Config, o Options) (*App, error) {
	if !spec.NoAPI && o.Verifier == nil && cfg.OIDCIssuerURL == "" {
		return nil, errNoIssuer
	}
	if err := auth.CheckIssuerURL(cfg.OIDCIssuerURL, cfg.OIDC.AllowInsecureIssuer); cfg.OIDCIssuerURL != "" && err != nil {
		return nil, fmt.Errorf("configuration: OIDC_ISSUER_URL: %w", err)
	}
	if err := errors.Join(checkCodecServer(cfg, o.Verifier != nil), cfg.Identity.validate()); err != nil {
		return nil, err
	}
	log := o.Logger
	if log == nil {
		log = logging.New(cfg.LogLevel, os.Stdout).With("service", spec.Name)
		slog.SetDefault(log)
	}
	a := &App{spec: spec, cfg: cfg, addr: make(chan net.Addr, 1)}
	tel := o.Telemetry
	if tel == nil {
		var err error
		tel, err = telemetry.Setup(ctx, telemetry.Options{ServiceName: cfg.ServiceName, OTLPEndpoint: cfg.OTLPEndpoint})
		if err != nil {
			return nil, fmt.Errorf("telemetry: %w", err)
		}
		a.ownTel = true
	}
	d := &Deps{Config: cfg, Log: log, Telemetry: tel}
	a.deps = d
	var checks []httpx.Check
	if !spec.NoDatabase {
		gdb, err := db.Open(ctx, cfg.DB, log)
		if err != nil {
			a.Close()
			return nil, err
		}
		d.DB = gdb
		if err := gdb.Use(dbotel.New(tel.TracerProvider(), tel.MeterProvider())); err != nil {
			a.Close()
			return nil, err
		}
		if sqlDB, err := gdb.DB(); err == nil {
			_ = dbotel.RegisterDBStats(tel.Registry(), sqlDB, spec.Name)
		}
		if cfg.MigrateOnStart {
			if _, err := migrate.Run(ctx, gdb, spec.Name, spec.Migrations, log); err != nil {
				a.Close()
				return nil, err
			}
		}
		checks = append(checks, httpx.Check{Name: "database", Fn: func(ctx context.Context) error { return db.Ping(ctx, gdb) }})
	}
	tracing, err := tel.TemporalInterceptor()
	if err != nil {
		a.Close()
		return nil, err
	}
	var tc client.Client
	if !spec.NoTemporal {
		tc, err = temporalx.Dial(ctx, cfg.Temporal, temporalx.Options{
			Logger: log, Interceptors: []interceptor.ClientInterceptor{tracing},
			MetricsHandler: tel.TemporalMetricsHandler(), Identity: spec.Name + "@" + hostname(), Lazy: true,
		})
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("temporal: %w", err)
		}
		d.Temporal = tc
		checks = append(checks, httpx.Check{Name: "temporal", Fn: func(ctx context.Context) error { return temporalx.Ping(ctx, tc) }})
	}

	d.Verifier = o.Verifier
	if d.Verifier == nil && (!spec.NoAPI || cfg.Codec.Enabled) {
		// The verifier is created with the process-lifetime context: its lazy
		// discovery keeps retrying while the issuer is unreachable.
		v, err := auth.NewOIDCVerifierWith(context.WithoutCancel(ctx), cfg.OIDCIssuerURL, cfg.OIDCAudience, cfg.OIDC)
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("oidc: %w", err)
		}
		d.Verifier = v
	}
	if d.ServiceTokens, err = serviceTokens(cfg); err != nil {
		a.Close()
		return nil, err
	}
	mod, err := spec.Setup(ctx, d)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.module = mod

	checks = append(checks, mod.Checks...)
	a.health = httpx.NewHealth(checks...)
	e := httpx.NewEngine(httpx.EngineOptions{Logger: log, MaxBodyBytes: cfg.MaxBodyBytes})
	byUser, err := useLimits(e, cfg, tel)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.health.Register(e)
	a.metrics = newMetricsListener(cfg.MetricsAddr, tel.MetricsHandler())
	if len(mod.OpenAPI) > 0 {
		doc := mod.OpenAPI
		e.GET("/openapi.json", func(c *gin.Context) { c.Data(http.StatusOK, "application/json", doc) })
	}
	if !spec.NoAPI {
		authn := auth.Middleware(d.Verifier, httpx.WriteError)
		checks, err := contractChecks(mod.OpenAPI)
		if err != nil {
			a.Close()
			return nil, err
		}
		v1 := e.Group("/v1", authn, byUser, checks)
		if mod.Routes != nil {
			mod.Routes(v1)
		}
		// Unknown /v1 paths also need a token first, so unauthenticated callers
		// cannot enumerate the API.
		e.NoRoute(func(c *gin.Context) {
			if strings.HasPrefix(c.Request.URL.Path, "/v1/") {
				authn(c)
				if c.IsAborted() {
					return
				}
			}
			httpx.WriteError(c, apperr.NotFound("route_not_found", "no route "+c.Request.Method+" "+c.Request.URL.Path))
		})
	}
	mountInternal(e, mod, d.Verifier, cfg.Identity.Callers)
	if mod.Pages != nil {
		mod.Pages(e)
	}
	if cfg.Codec.Enabled {
		if err := mountCodec(e, cfg, d.Verifier, log); err != nil {
			a.Close()
			return nil, err
		}
	}
	a.engine = e
	a.handler = httpx.Instrument(e, cfg.ServiceName, tel.TracerProvider(), tel.MeterProvider())

	hasWorker := spec.TaskQueue != "" && (mod.Register != nil || !spec.NoDatabase)
	if (hasWorker || len(mod.Queues) > 0) && cfg.Worker.WorkflowCacheSize > 0 {
		// Process-wide, and read when the first worker starts: set before any.
		worker.SetStickyWorkflowCacheSize(cfg.Worker.WorkflowCacheSize)
	}
	if hasWorker {
		if mod.Register == nil {
			mod.Register = func(worker.Registry) {}
		}
		w := worker.New(tc, spec.TaskQueue, WorkerOptions(cfg.Worker, false, cfg.ShutdownTimeout*4/5))
		mod.Register(w)
		if !spec.NoDatabase {
			RegisterPing(w, spec.Name, d.DB, spec.Migrations)
		}
		a.workers = append(a.workers, queueWorker{spec.TaskQueue, w})
	}
	for _, q := range slices.Sorted(maps.Keys(mod.Queues)) {
		w := worker.New(tc, q, WorkerOptions(cfg.Worker, true, cfg.ShutdownTimeout*4/5))
		mod.Queues[q](w)
		if !spec.NoDatabase {
			RegisterPing(w, q, d.DB, spec.Migrations) // SystemCheck asks every queue
		}
		a.workers = append(a.workers, queueWorker{q, w})
	}
	return a, nil
}

// queueWorker is a Temporal worker and the task queue it polls.
type queueWorker struct {
	queue string
	w     worker.Worker
}

// Deps returns the wired dependencies (for tests and composition).
func (a *App) Deps() *Deps { return a.deps }

// Engine returns the gin engine (for route introspection in tests).
func (a *App) Engine() *gin.Engine { return a.engine }

// Handler is the instrumented HTTP handler.
func (a *App) Handler() http.Handler { return a.handler }

// Addr returns the address the server bound, once it listens.
func (a *App) Addr() <-chan net.Addr { return a.addr }

// Run serves HTTP and runs the worker and background tasks until ctx ends, then stops gracefully.
func (a *App) Run(ctx context.Context) error {
	log := a.deps.Log
	stopMetrics, merr := a.metrics.start(log)
	if merr != nil {
		return merr
	}
	defer stopMetrics()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	workerDone := make(chan struct{})
	var workers sync.WaitGroup
	for _, qw := range a.workers {
		wg.Add(1)
		workers.Add(1)
		go func() {
			defer wg.Done()
			defer workers.Done()
			a.startWorker(ctx, qw)
		}()
	}
	go func() { workers.Wait(); close(workerDone) }()
	for _, bg := range a.module.Background {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := bg(ctx); err != nil && ctx.Err() == nil {
				log.Error("background task stopped", "error", err)
			}
		}()
	}
	serveCtx, stopServe := context.WithCancel(context.Background())
	defer stopServe()
	go func() {
		<-ctx.Done()
		a.health.Drain()
		if a.cfg.DrainDelay > 0 {
			log.Info("draining: readiness reports not ready", "delay", a.cfg.DrainDelay.String())
			time.Sleep(a.cfg.DrainDelay)
		}
		stopServe()
	}()
	err := httpx.Serve(serveCtx, a.cfg.HTTPAddr, a.handler, a.cfg.ShutdownTimeout/2, func(addr net.Addr) {
		log.Info("listening", "addr", addr.String(), "task_queue", a.spec.TaskQueue)
		a.addr <- addr
	}, a.cfg.HTTPServer)
	cancel()
	wg.Wait()
	<-workerDone
	log.Info("stopped")
	return err
}

// startWorker starts the worker, retrying while Temporal is unreachable, and
// stops it when ctx ends.
func (a *App) startWorker(ctx context.Context, qw queueWorker) {
	log := a.deps.Log
	backoff := 500 * time.Millisecond
	for {
		err := qw.w.Start()
		if err == nil {
			break
		}
		log.Warn("temporal worker could not start; retrying", "task_queue", qw.queue, "error", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		if backoff < 10*time.Second {
			backoff *= 2
		}
	}
	log.Info("temporal worker started", "task_queue", qw.queue)
	<-ctx.Done()
	qw.w.Stop()
}

// Close releases the database, Temporal client and telemetry.
func (a *App) Close() {
	a.closeOnce.Do(func() {
		if a.module != nil && a.module.Close != nil {
			a.module.Close()
		}
		if a.deps == nil {
			return
		}
		if a.deps.Temporal != nil {
			a.deps.Temporal.Close()
		}
		if a.deps.DB != nil {
			closeDB(a.deps.DB)
		}
		if a.ownTel && a.deps.Telemetry != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = a.deps.Telemetry.Shutdown(ctx)
		}
	})
}

func closeDB(gdb *gorm.DB) {
	if sqlDB, err := gdb.DB(); err == nil {
		_ = sqlDB.Close()
	}
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}
