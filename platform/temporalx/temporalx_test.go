package temporalx_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/closeloop/closeloop/platform/temporalx"
	"github.com/closeloop/closeloop/platform/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func dial(t *testing.T, namespace string) client.Client {
	t.Helper()
	hostPort, _ := testenv.Temporal(t)
	// DialTimeout zero takes the default rather than expiring at once.
	c, err := temporalx.Dial(context.Background(), temporalx.Config{Address: hostPort, Namespace: namespace}, temporalx.Options{Identity: "temporalx-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func listCustom(t *testing.T, c client.Client, namespace string) map[string]enums.IndexedValueType {
	t.Helper()
	resp, err := c.OperatorService().ListSearchAttributes(context.Background(), &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetCustomAttributes()
}

func kindWorkflow(ctx workflow.Context) (string, error) { return "ok", nil }

func TestEnsureNamespaceAndSearchAttributesAreIdempotent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := dial(t, "default")
	if err := temporalx.Ping(ctx, c); err != nil {
		t.Fatal(err)
	}

	const ns = "closeloop-test"
	for pass := 1; pass <= 2; pass++ {
		if err := temporalx.EnsureNamespace(ctx, c, ns, 48*time.Hour); err != nil {
			t.Fatalf("EnsureNamespace, pass %d: %v", pass, err)
		}
	}
	desc, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	if got := desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got != 48*time.Hour {
		t.Errorf("retention %v, want 48h", got)
	}

	attrs := map[string]enums.IndexedValueType{
		"CloseloopTestKind":     enums.INDEXED_VALUE_TYPE_KEYWORD,
		"CloseloopTestCustomer": enums.INDEXED_VALUE_TYPE_KEYWORD,
	}
	for pass := 1; pass <= 2; pass++ {
		if err := temporalx.EnsureSearchAttributes(ctx, c, ns, attrs); err != nil {
			t.Fatalf("EnsureSearchAttributes, pass %d: %v", pass, err)
		}
	}
	have := listCustom(t, c, ns)
	for name, typ := range attrs {
		if have[name] != typ {
			t.Errorf("search attribute %s: have %v, want %v (all: %v)", name, have[name], typ, have)
		}
	}
	if len(have) != len(attrs) {
		t.Errorf("custom attributes %v, want exactly %v", have, attrs)
	}

	err = temporalx.EnsureSearchAttributes(ctx, c, ns, map[string]enums.IndexedValueType{"CloseloopTestKind": enums.INDEXED_VALUE_TYPE_INT})
	if err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a type clash must be an error, got %v", err)
	}

	// The namespace and the attributes are usable right away: a worker in the
	// new namespace runs a workflow that carries one of them.
	wc := dial(t, ns)
	w := worker.New(wc, "temporalx-test", worker.Options{})
	w.RegisterWorkflow(kindWorkflow)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	run, err := wc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		TaskQueue:             "temporalx-test",
		TypedSearchAttributes: temporal.NewSearchAttributes(temporal.NewSearchAttributeKeyKeyword("CloseloopTestKind").ValueSet("probe")),
	}, kindWorkflow)
	if err != nil {
		t.Fatal(err)
	}
	var out string
	if err := run.Get(ctx, &out); err != nil || out != "ok" {
		t.Fatalf("workflow in %s: %q, %v", ns, out, err)
	}
}

func TestEnsureSearchAttributesFromConcurrentReplicas(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := dial(t, "default")
	ns := fmt.Sprintf("closeloop-test-race-%d", time.Now().UnixNano())
	if err := temporalx.EnsureNamespace(ctx, c, ns, 0); err != nil {
		t.Fatal(err)
	}
	attrs := map[string]enums.IndexedValueType{
		"CloseloopRaceA": enums.INDEXED_VALUE_TYPE_KEYWORD,
		"CloseloopRaceB": enums.INDEXED_VALUE_TYPE_KEYWORD,
		"CloseloopRaceN": enums.INDEXED_VALUE_TYPE_INT,
	}
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := 0; i < cap(errs); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- temporalx.EnsureSearchAttributes(ctx, c, ns, attrs)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("replica: %v", err)
		}
	}
	have := listCustom(t, c, ns)
	for name, typ := range attrs {
		if have[name] != typ {
			t.Errorf("search attribute %s: have %v, want %v", name, have[name], typ)
		}
	}
	// Concurrent adds on SQL visibility can map one name to two columns; the
	// repair must leave exactly one column per name.
	desc, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	if aliases := desc.GetConfig().GetCustomSearchAttributeAliases(); len(aliases) != len(attrs) {
		t.Errorf("aliases %v: want one column per attribute", aliases)
	}
	// Repairs touch only the aliases: the default retention is still there.
	if got := desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got != temporalx.DefaultRetention {
		t.Errorf("retention %v, want %v", got, temporalx.DefaultRetention)
	}
}

func TestDialFailsClearlyWhenNothingListens(t *testing.T) {
	start := time.Now()
	_, err := temporalx.Dial(context.Background(), temporalx.Config{Address: "127.0.0.1:1", Namespace: "default", DialTimeout: 500 * time.Millisecond}, temporalx.Options{})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("want an error naming the address, got %v", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("Dial ignored its timeout: %v", took)
	}
	if _, err := temporalx.Dial(context.Background(), temporalx.Config{Address: "127.0.0.1:1"}, temporalx.Options{Lazy: true}); err != nil {
		t.Fatalf("a lazy client must not connect: %v", err)
	}
}

func writeKeyPair(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "closeloop"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestClientOptionsValidateTLSAndAPIKey(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeKeyPair(t, dir)
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	base := temporalx.Config{Address: "temporal.example:7233", Namespace: "closeloop"}
	with := func(f func(*temporalx.Config)) temporalx.Config { c := base; f(&c); return c }

	for _, tc := range []struct {
		name string
		cfg  temporalx.Config
		want string
	}{
		{"empty address", with(func(c *temporalx.Config) { c.Address = "" }), "TEMPORAL_ADDRESS"},
		{"cert without key", with(func(c *temporalx.Config) { c.TLSCertFile = cert }), "TEMPORAL_TLS_KEY_FILE"},
		{"key without cert", with(func(c *temporalx.Config) { c.TLSKeyFile = key }), "TEMPORAL_TLS_CERT_FILE"},
		{"unreadable cert", with(func(c *temporalx.Config) { c.TLSCertFile, c.TLSKeyFile = missing, key }), "TEMPORAL_TLS_CERT_FILE"},
		{"unreadable key", with(func(c *temporalx.Config) { c.TLSCertFile, c.TLSKeyFile = cert, missing }), "TEMPORAL_TLS_KEY_FILE"},
		{"key does not match", with(func(c *temporalx.Config) { c.TLSCertFile, c.TLSKeyFile = cert, notPEM }), "TEMPORAL_TLS_CERT_FILE/TEMPORAL_TLS_KEY_FILE"},
		{"unreadable CA", with(func(c *temporalx.Config) { c.TLSEnabled, c.TLSCAFile = true, missing }), "TEMPORAL_TLS_CA_FILE"},
		{"CA without PEM", with(func(c *temporalx.Config) { c.TLSEnabled, c.TLSCAFile = true, notPEM }), "no PEM certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := temporalx.ClientOptions(tc.cfg, temporalx.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error mentioning %q, got %v", tc.want, err)
			}
			if _, err := temporalx.Dial(context.Background(), tc.cfg, temporalx.Options{}); err == nil {
				t.Fatal("Dial must refuse the configuration too")
			}
		})
	}

	co, err := temporalx.ClientOptions(with(func(c *temporalx.Config) {
		c.TLSCertFile, c.TLSKeyFile, c.TLSCAFile, c.TLSServerName = cert, key, cert, "frontend.internal"
	}), temporalx.Options{Identity: "me"})
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg := co.ConnectionOptions.TLS
	if tlsCfg == nil || len(tlsCfg.Certificates) != 1 || tlsCfg.RootCAs == nil || tlsCfg.ServerName != "frontend.internal" {
		t.Fatalf("mTLS options not applied: %+v", tlsCfg)
	}
	if co.HostPort != base.Address || co.Namespace != base.Namespace || co.Identity != "me" {
		t.Fatalf("client options %+v", co)
	}

	co, err = temporalx.ClientOptions(with(func(c *temporalx.Config) { c.APIKey = "secret" }), temporalx.Options{})
	if err != nil || co.ConnectionOptions.TLS == nil || co.Credentials == nil {
		t.Fatalf("an API key implies TLS and credentials: %+v, %v", co.ConnectionOptions.TLS, err)
	}
	co, err = temporalx.ClientOptions(base, temporalx.Options{})
	if err != nil || co.ConnectionOptions.TLS != nil || co.Credentials != nil {
		t.Fatalf("plain configuration must not use TLS: %v", err)
	}
}

func ExampleDial() {
	ctx := context.Background()
	c, err := temporalx.Dial(ctx, temporalx.Config{Address: "localhost:7233", Namespace: "default", DialTimeout: 10 * time.Second}, temporalx.Options{Identity: "customer@host"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	_ = temporalx.EnsureNamespace(ctx, c, "closeloop", 7*24*time.Hour)
	_ = temporalx.EnsureSearchAttributes(ctx, c, "closeloop", map[string]enums.IndexedValueType{"CloseloopKind": enums.INDEXED_VALUE_TYPE_KEYWORD})
}
