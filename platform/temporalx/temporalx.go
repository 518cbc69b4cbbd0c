// Package temporalx connects Closeloop binaries to Temporal: client options
// built from configuration (TLS, mTLS, API key, payload encryption with a key
// ring: codec.go), a readiness ping, and
// idempotent registration of the namespace and the custom search attributes.
//
// Registration happens through the API when a binary starts (EnsureNamespace,
// EnsureSearchAttributes) rather than through server flags: the dev server
// applies `--search-attribute` only when it creates a fresh database and
// ignores it on an existing --db-filename, and production clusters are
// configured through the OperatorService anyway. Both functions are idempotent
// and safe to run from several replicas at once.
package temporalx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"time"

	"go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Config is the Temporal part of every binary's configuration (see package
// config for the tags).
//
// TLS is used when TLSEnabled is set, and also implied by a client
// certificate, a CA file or an API key.
type Config struct {
	Address       string        `env:"TEMPORAL_ADDRESS" default:"localhost:7233" help:"Temporal frontend host:port"`
	Namespace     string        `env:"TEMPORAL_NAMESPACE" default:"default" help:"Temporal namespace"`
	TLSEnabled    bool          `env:"TEMPORAL_TLS_ENABLED" default:"false" help:"connect to Temporal with TLS (implied by a certificate, CA file or API key)"`
	TLSCertFile   string        `env:"TEMPORAL_TLS_CERT_FILE" help:"client certificate (PEM) for mTLS; needs TEMPORAL_TLS_KEY_FILE"`
	TLSKeyFile    string        `env:"TEMPORAL_TLS_KEY_FILE" help:"client private key (PEM) for mTLS; needs TEMPORAL_TLS_CERT_FILE"`
	TLSCAFile     string        `env:"TEMPORAL_TLS_CA_FILE" help:"CA bundle (PEM) that signed the server certificate; system roots when empty"`
	TLSServerName string        `env:"TEMPORAL_TLS_SERVER_NAME" help:"server name to verify, when it differs from the host in TEMPORAL_ADDRESS"`
	APIKey        string        `env:"TEMPORAL_API_KEY" help:"API key (Temporal Cloud); implies TLS"`
	DialTimeout   time.Duration `env:"TEMPORAL_DIAL_TIMEOUT" default:"10s" help:"how long Dial waits for the Temporal frontend"`
	// Payload encryption (codec.go); neither set: payloads in clear.
	PayloadKeys     string `env:"TEMPORAL_PAYLOAD_KEYS" help:"payload encryption key ring, id:base64key[,id:base64key…] (32-byte AES-256 keys; the first encrypts, all decrypt); empty with no TEMPORAL_PAYLOAD_KEYS_FILE: payloads in clear"`
	PayloadKeysFile string `env:"TEMPORAL_PAYLOAD_KEYS_FILE" help:"file holding the payload key ring (same syntax, one entry a line allowed), e.g. a mounted Secret; instead of TEMPORAL_PAYLOAD_KEYS"`
}

// DefaultDialTimeout applies when Config.DialTimeout is zero.
const DefaultDialTimeout = 10 * time.Second

// DefaultRetention applies when EnsureNamespace is given no retention.
const DefaultRetention = 72 * time.Hour

// Options add identity and observability to the client.
type Options struct {
	Logger         *slog.Logger // SDK log output; the SDK's default logger when nil
	Interceptors   []interceptor.ClientInterceptor
	MetricsHandler client.MetricsHandler
	Identity       string // worker/client identity; the SDK derives one from pid@host when empty
	// Lazy defers connecting until first use, so a binary can start (and
	// report not-ready through Ping) while Temporal is down.
	Lazy bool
}

// UsesTLS reports whether the configuration asks for TLS.
func (cfg Config) UsesTLS() bool {
	return cfg.TLSEnabled || cfg.APIKey != "" || cfg.TLSCertFile != "" || cfg.TLSKeyFile != "" || cfg.TLSCAFile != ""
}

// ClientOptions validates cfg and builds the SDK client options. Errors name
// the environment variable at fault. With a payload key ring (LoadKeyRing) the
// client, and every worker built on it, encrypts payloads and failures.
func ClientOptions(cfg Config, o Options) (client.Options, error) {
	co := client.Options{
		HostPort:       cfg.Address,
		Namespace:      cfg.Namespace,
		Interceptors:   o.Interceptors,
		MetricsHandler: o.MetricsHandler,
		Identity:       o.Identity,
	}
	if strings.TrimSpace(cfg.Address) == "" {
		return co, errors.New("TEMPORAL_ADDRESS is empty")
	}
	if o.Logger != nil {
		co.Logger = log.NewStructuredLogger(o.Logger)
	}
	if cfg.UsesTLS() {
		t, err := tlsConfig(cfg)
		if err != nil {
			return co, err
		}
		co.ConnectionOptions.TLS = t
	}
	if cfg.APIKey != "" {
		co.Credentials = client.NewAPIKeyStaticCredentials(cfg.APIKey)
	}
	ring, err := LoadKeyRing(cfg)
	if err != nil {
		return co, err
	}
	co.DataConverter = DataConverter()
	if ring != nil {
		co.DataConverter = ring.DataConverter()
		co.FailureConverter = FailureConverter(co.DataConverter)
	}
	return co, nil
}

func tlsConfig(cfg Config) (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.TLSServerName}
	switch {
	case cfg.TLSCertFile != "" && cfg.TLSKeyFile == "":
		return nil, errors.New("TEMPORAL_TLS_CERT_FILE is set but TEMPORAL_TLS_KEY_FILE is not: mTLS needs both")
	case cfg.TLSCertFile == "" && cfg.TLSKeyFile != "":
		return nil, errors.New("TEMPORAL_TLS_KEY_FILE is set but TEMPORAL_TLS_CERT_FILE is not: mTLS needs both")
	case cfg.TLSCertFile != "":
		certPEM, err := readFile("TEMPORAL_TLS_CERT_FILE", cfg.TLSCertFile)
		if err != nil {
			return nil, err
		}
		keyPEM, err := readFile("TEMPORAL_TLS_KEY_FILE", cfg.TLSKeyFile)
		if err != nil {
			return nil, err
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CERT_FILE/TEMPORAL_TLS_KEY_FILE (%s, %s): %w", cfg.TLSCertFile, cfg.TLSKeyFile, err)
		}
		t.Certificates = []tls.Certificate{cert}
	}
	if cfg.TLSCAFile != "" {
		caPEM, err := readFile("TEMPORAL_TLS_CA_FILE", cfg.TLSCAFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, fmt.Errorf("TEMPORAL_TLS_CA_FILE %s holds no PEM certificate", cfg.TLSCAFile)
		}
		t.RootCAs = pool
	}
	return t, nil
}

func readFile(variable, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", variable, err)
	}
	return b, nil
}

// Dial validates cfg and connects to Temporal, waiting at most
// cfg.DialTimeout (DefaultDialTimeout when zero). With o.Lazy it returns a
// client that connects on first use instead.
func Dial(ctx context.Context, cfg Config, o Options) (client.Client, error) {
	co, err := ClientOptions(cfg, o)
	if err != nil {
		return nil, fmt.Errorf("temporal config: %w", err)
	}
	if o.Lazy {
		return client.NewLazyClient(co)
	}
	timeout := cfg.DialTimeout
	if timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := client.DialContext(dctx, co)
	if err != nil {
		return nil, fmt.Errorf("dial Temporal at %s (namespace %s): %w", cfg.Address, co.Namespace, err)
	}
	return c, nil
}

// Ping reports whether the Temporal frontend answers its health check; use it
// for readiness probes. It respects ctx's deadline.
func Ping(ctx context.Context, c client.Client) error {
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return fmt.Errorf("temporal health check: %w", err)
	}
	return nil
}

// EnsureNamespace registers the namespace unless it exists, with the given
// workflow execution retention (DefaultRetention when zero), and waits until
// the frontend serves it. An existing namespace is left as it is. A
// concurrent registration by another replica counts as success.
func EnsureNamespace(ctx context.Context, c client.Client, name string, retention time.Duration) error {
	if name == "" {
		return errors.New("ensure namespace: empty name")
	}
	_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: name})
	if err == nil {
		return waitForNamespace(ctx, c, name) // another replica may just have registered it
	}
	var notFound *serviceerror.NamespaceNotFound
	if !errors.As(err, &notFound) {
		return fmt.Errorf("describe namespace %s: %w", name, err)
	}
	if retention <= 0 {
		retention = DefaultRetention
	}
	_, err = c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace:                        name,
		Description:                      "Closeloop CRM workflows",
		WorkflowExecutionRetentionPeriod: durationpb.New(retention),
	})
	var exists *serviceerror.NamespaceAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("register namespace %s: %w", name, err)
	}
	return waitForNamespace(ctx, c, name)
}

// waitForNamespace polls until the frontend serves the namespace. The
// frontend resolves namespaces through a cache that remembers a miss for a
// second and loads new entries on its next refresh, so calls right after
// RegisterNamespace can fail with NamespaceNotFound. DescribeNamespace reads
// the database and succeeds earlier, so the probe is a cheap visibility count
// that goes through the cache like every other call.
func waitForNamespace(ctx context.Context, c client.Client, name string) error {
	const limit = time.Minute
	deadline := time.Now().Add(limit)
	for {
		_, err := c.WorkflowService().CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Namespace: name, Query: "WorkflowId = 'closeloop-namespace-probe'",
		})
		var notFound *serviceerror.NamespaceNotFound
		switch {
		case err == nil:
			return nil
		case !errors.As(err, &notFound):
			return fmt.Errorf("use namespace %s after registering it: %w", name, err)
		case time.Now().After(deadline):
			return fmt.Errorf("namespace %s registered but not served after %v: %w", name, limit, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("namespace %s registered but not yet served: %w", name, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// EnsureSearchAttributes makes sure the namespace has the given custom search
// attributes. It lists the namespace's attributes through the OperatorService
// and adds only the missing ones, so it is idempotent. An attribute that exists
// with another type is an error (Temporal cannot change a type in place). It
// returns once the frontend accepts the attributes in queries, so workflows
// and schedules may set them right away (a frontend learns new attributes on
// its namespace cache's next refresh; the dev server reads them at once).
//
// This runs at start-up instead of relying on the dev server's
// `--search-attribute` flag, which is ignored when the server opens an
// existing database file.
//
// Several replicas may run it at once. The server answers such races with
// AlreadyExists (Elasticsearch visibility) or Unavailable (SQL visibility);
// the list is then read again and the remainder retried. With SQL visibility
// (PostgreSQL, MySQL, SQLite, the dev server) custom attributes are aliases of
// pre-allocated columns stored on the namespace, and the server plans the
// column before it writes, so two concurrent adds of one name can map it to
// two columns. EnsureSearchAttributes therefore checks the namespace's aliases
// afterwards and, for the attributes it was asked for, keeps the
// alphabetically first column of a doubly mapped name and unmaps the others
// (every replica picks the same one). Values written through an unmapped
// column in the meantime are no longer found by queries.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string, attrs map[string]enums.IndexedValueType) error {
	if len(attrs) == 0 {
		return nil
	}
	for name, typ := range attrs {
		if typ == enums.INDEXED_VALUE_TYPE_UNSPECIFIED {
			return fmt.Errorf("search attribute %s: type unspecified", name)
		}
	}
	const attempts = 6
	var lastErr error
	for attempt := 0; attempt < attempts; attempt++ {
		if attempt > 0 {
			pause := time.Duration(attempt)*100*time.Millisecond + time.Duration(rand.Int64N(int64(100*time.Millisecond)))
			select {
			case <-ctx.Done():
				return fmt.Errorf("add search attributes to %s: %w (last error: %v)", namespace, ctx.Err(), lastErr)
			case <-time.After(pause):
			}
		}
		err := ensureSearchAttributesOnce(ctx, c, namespace, attrs)
		if err == nil {
			return waitForSearchAttributes(ctx, c, namespace, attrs)
		}
		var again retryable
		if !errors.As(err, &again) {
			return err
		}
		lastErr = again.err
	}
	return fmt.Errorf("add search attributes to %s: gave up after %d attempts: %w", namespace, attempts, lastErr)
}

// retryable marks an error caused by a concurrent change; the caller reads
// the state again and retries.
type retryable struct{ err error }

func (r retryable) Error() string { return r.err.Error() }
func (r retryable) Unwrap() error { return r.err }

func isRace(err error) bool {
	var exists *serviceerror.AlreadyExists
	var unavailable *serviceerror.Unavailable
	return errors.As(err, &exists) || errors.As(err, &unavailable)
}

func ensureSearchAttributesOnce(ctx context.Context, c client.Client, namespace string, attrs map[string]enums.IndexedValueType) error {
	missing, err := missingSearchAttributes(ctx, c, namespace, attrs)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			Namespace: namespace, SearchAttributes: missing,
		})
		if err != nil {
			err = fmt.Errorf("add search attributes %s to %s: %w", names(missing), namespace, err)
			if isRace(err) {
				return retryable{err}
			}
			return err
		}
	}
	return unmapDuplicateAliases(ctx, c, namespace, attrs)
}

// waitForSearchAttributes polls a visibility count whose query names every
// attribute until the frontend stops answering "not a valid search attribute".
// Other errors end the wait without failing: the attributes are registered,
// and a visibility store may not support the probe.
func waitForSearchAttributes(ctx context.Context, c client.Client, namespace string, attrs map[string]enums.IndexedValueType) error {
	terms := []string{"WorkflowId = 'closeloop-search-attribute-probe'"}
	for _, name := range strings.Split(names(attrs), ", ") {
		terms = append(terms, "`"+name+"` IS NULL")
	}
	query := strings.Join(terms, " AND ")
	const limit = time.Minute
	deadline := time.Now().Add(limit)
	for {
		_, err := c.WorkflowService().CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: namespace, Query: query})
		var invalid *serviceerror.InvalidArgument
		if err == nil || !errors.As(err, &invalid) || !strings.Contains(err.Error(), "not a valid search attribute") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("search attributes %s registered in %s but not accepted in queries after %v: %w", names(attrs), namespace, limit, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("search attributes %s registered in %s but not yet accepted: %w", names(attrs), namespace, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func missingSearchAttributes(ctx context.Context, c client.Client, namespace string, want map[string]enums.IndexedValueType) (map[string]enums.IndexedValueType, error) {
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		err = fmt.Errorf("list search attributes of %s: %w", namespace, err)
		var unavailable *serviceerror.Unavailable
		if errors.As(err, &unavailable) {
			return nil, retryable{err}
		}
		return nil, err
	}
	missing := map[string]enums.IndexedValueType{}
	for name, typ := range want {
		if got, ok := have.GetSystemAttributes()[name]; ok {
			return nil, fmt.Errorf("search attribute %s is a system attribute (%s)", name, got)
		}
		got, ok := have.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = typ
		case got != typ:
			return nil, fmt.Errorf("search attribute %s exists in %s with type %s, want %s", name, namespace, got, typ)
		}
	}
	return missing, nil
}

// unmapDuplicateAliases repairs the SQL-visibility race described at
// EnsureSearchAttributes. Elasticsearch namespaces have no aliases: no-op.
func unmapDuplicateAliases(ctx context.Context, c client.Client, namespace string, attrs map[string]enums.IndexedValueType) error {
	desc, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("describe namespace %s: %w", namespace, err)
	}
	columns := map[string][]string{} // alias -> columns
	for column, alias := range desc.GetConfig().GetCustomSearchAttributeAliases() {
		if _, ok := attrs[alias]; ok {
			columns[alias] = append(columns[alias], column)
		}
	}
	unmap := map[string]string{}
	for _, cols := range columns {
		sort.Strings(cols)
		for _, col := range cols[1:] {
			unmap[col] = "" // an empty alias removes the mapping
		}
	}
	if len(unmap) == 0 {
		return nil
	}
	_, err = c.WorkflowService().UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
		Namespace: namespace,
		Config:    &namespacepb.NamespaceConfig{CustomSearchAttributeAliases: unmap},
	})
	if err != nil {
		// Another replica may be repairing the same namespace: look again.
		return retryable{fmt.Errorf("unmap duplicate search attribute columns %v in %s: %w", unmap, namespace, err)}
	}
	// Look again: a concurrent add may have mapped a name twice meanwhile.
	return retryable{fmt.Errorf("unmapped duplicate search attribute columns %v in %s", unmap, namespace)}
}

func names(m map[string]enums.IndexedValueType) string {
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
