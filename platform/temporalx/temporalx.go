// Package temporalx connects binaries to Temporal: client options from
// configuration (TLS, mTLS, API key), a readiness ping, and idempotent
// registration of the namespace and custom search attributes.
//
// Registration goes through the OperatorService at start rather than server
// flags because the dev server ignores --search-attribute on an existing
// database file, and a production cluster is configured by its operators' API
// anyway. It is safe to run from several replicas at once.
package temporalx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Config is the Temporal part of every binary's configuration.
type Config struct {
	Address       string        `env:"TEMPORAL_ADDRESS" default:"localhost:7233" help:"Temporal frontend host:port"`
	Namespace     string        `env:"TEMPORAL_NAMESPACE" default:"default" help:"Temporal namespace"`
	TLSEnabled    bool          `env:"TEMPORAL_TLS_ENABLED" default:"false" help:"connect with TLS"`
	TLSCertFile   string        `env:"TEMPORAL_TLS_CERT_FILE" help:"client certificate (PEM) for mTLS"`
	TLSKeyFile    string        `env:"TEMPORAL_TLS_KEY_FILE" help:"client key (PEM) for mTLS"`
	TLSCAFile     string        `env:"TEMPORAL_TLS_CA_FILE" help:"CA bundle (PEM) that signed the server certificate"`
	TLSServerName string        `env:"TEMPORAL_TLS_SERVER_NAME" help:"server name to verify, if different from the address"`
	APIKey        string        `env:"TEMPORAL_API_KEY" help:"API key (Temporal Cloud); implies TLS"`
	DialTimeout   time.Duration `env:"TEMPORAL_DIAL_TIMEOUT" default:"10s" help:"how long to wait for Temporal when dialling"`
}

// Options add observability to the client.
type Options struct {
	Logger         *slog.Logger
	Interceptors   []interceptor.ClientInterceptor
	MetricsHandler client.MetricsHandler
	Identity       string
	// Lazy defers connecting until first use, so a binary can start (and report
	// not-ready) while Temporal is down.
	Lazy bool
}

// ClientOptions builds the SDK options from configuration.
func ClientOptions(cfg Config, o Options) (client.Options, error) {
	co := client.Options{
		HostPort:       cfg.Address,
		Namespace:      cfg.Namespace,
		Interceptors:   o.Interceptors,
		MetricsHandler: o.MetricsHandler,
		Identity:       o.Identity,
	}
	if o.Logger != nil {
		co.Logger = log.NewStructuredLogger(o.Logger)
	}
	if cfg.TLSEnabled || cfg.APIKey != "" || cfg.TLSCertFile != "" || cfg.TLSCAFile != "" {
		t, err := tlsConfig(cfg)
		if err != nil {
			return co, err
		}
		co.ConnectionOptions.TLS = t
	}
	if cfg.APIKey != "" {
		co.Credentials = client.NewAPIKeyStaticCredentials(cfg.APIKey)
	}
	return co, nil
}

func tlsConfig(cfg Config) (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.TLSServerName}
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		return nil, errors.New("TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE must be set together")
	}
	if cfg.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("load Temporal client certificate: %w", err)
		}
		t.Certificates = []tls.Certificate{cert}
	}
	if cfg.TLSCAFile != "" {
		pem, err := os.ReadFile(cfg.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("read TEMPORAL_TLS_CA_FILE: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("TEMPORAL_TLS_CA_FILE holds no PEM certificate")
		}
		t.RootCAs = pool
	}
	return t, nil
}

// Dial connects (or, with Lazy, prepares to connect) to Temporal.
func Dial(ctx context.Context, cfg Config, o Options) (client.Client, error) {
	co, err := ClientOptions(cfg, o)
	if err != nil {
		return nil, err
	}
	if o.Lazy {
		return client.NewLazyClient(co)
	}
	dctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	c, err := client.DialContext(dctx, co)
	if err != nil {
		return nil, fmt.Errorf("dial Temporal at %s: %w", cfg.Address, err)
	}
	return c, nil
}

// Ping reports whether the Temporal frontend answers.
func Ping(ctx context.Context, c client.Client) error {
	_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err
}

// EnsureNamespace registers the namespace unless it exists.
func EnsureNamespace(ctx context.Context, c client.Client, name string, retention time.Duration) error {
	_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: name})
	if err == nil {
		return nil
	}
	var nf *serviceerror.NamespaceNotFound
	if !errors.As(err, &nf) {
		return fmt.Errorf("describe namespace %s: %w", name, err)
	}
	_, err = c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: name, WorkflowExecutionRetentionPeriod: durationpb.New(retention),
		Description: "Closeloop CRM workflows",
	})
	var exists *serviceerror.NamespaceAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("register namespace %s: %w", name, err)
	}
	return nil
}

// EnsureSearchAttributes adds the custom search attributes that are missing.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string, attrs map[string]enums.IndexedValueType) error {
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enums.IndexedValueType{}
	for name, typ := range attrs {
		if got, ok := have.GetCustomAttributes()[name]; ok {
			if got != typ {
				return fmt.Errorf("search attribute %s exists with type %s, want %s", name, got, typ)
			}
			continue
		}
		missing[name] = typ
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("add search attributes: %w", err)
	}
	return nil
}
