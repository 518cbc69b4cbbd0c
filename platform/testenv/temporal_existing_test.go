package testenv

import (
	"context"
	"regexp"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
)

func TestTemporalBackendNamesTheServerInUse(t *testing.T) {
	for _, tc := range []struct{ addr, backend, want string }{
		{"", "", "dev"},
		{"", "postgres", "dev"}, // a label without an address changes nothing
		{"127.0.0.1:17233", "postgres", "postgres"},
		{"127.0.0.1:17233", "", "existing"},
		{"  ", "postgres", "dev"},
	} {
		t.Setenv(TemporalAddressEnv, tc.addr)
		t.Setenv(TemporalBackendEnv, tc.backend)
		if got := TemporalBackend(); got != tc.want {
			t.Errorf("address %q, backend %q: TemporalBackend() = %q, want %q", tc.addr, tc.backend, got, tc.want)
		}
	}
}

func TestTemporalServerPIDOfAnExistingServerComesFromTheEnvironment(t *testing.T) {
	t.Setenv(TemporalAddressEnv, "127.0.0.1:17233")
	for _, tc := range []struct {
		env  string
		want int
	}{{"", 0}, {"4242", 4242}, {" 17 ", 17}, {"x", 0}, {"-3", 0}} {
		t.Setenv(TemporalPIDEnv, tc.env)
		if got := TemporalServerPID(); got != tc.want {
			t.Errorf("%s=%q: TemporalServerPID() = %d, want %d", TemporalPIDEnv, tc.env, got, tc.want)
		}
	}
}

func TestFreshNamespacesAreUniqueAndSayWhen(t *testing.T) {
	now := time.Date(2026, 12, 5, 7, 45, 1, 0, time.UTC)
	a, b := freshNamespace(now), freshNamespace(now)
	if a == b {
		t.Fatalf("two namespaces of the same second are both %s", a)
	}
	if !regexp.MustCompile(`^closeloop-test-20261205-074501-[0-9a-f]{6}$`).MatchString(a) {
		t.Fatalf("namespace %q", a)
	}
}

// The dev server of this process stands in for an existing server: what
// CLOSELOOP_TEMPORAL_ADDRESS points at gets a namespace with Closeloop's
// search attributes, the named one or a fresh one.
func TestAnExistingServerGetsTheNamespaceAndSearchAttributes(t *testing.T) {
	hostPort, _ := Temporal(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: hostPort})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	for _, named := range []string{"", "closeloop-testenv-named"} {
		t.Setenv(TemporalNamespaceEnv, named)
		ns, err := useExistingTemporal(hostPort)
		if err != nil {
			t.Fatalf("namespace %q: %v", named, err)
		}
		if named != "" && ns != named {
			t.Fatalf("asked for namespace %s, got %s", named, ns)
		}
		if named == "" && !regexp.MustCompile(`^closeloop-test-`).MatchString(ns) {
			t.Fatalf("fresh namespace %s", ns)
		}
		if _, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns}); err != nil {
			t.Fatalf("namespace %s not registered: %v", ns, err)
		}
		sa, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
		if err != nil {
			t.Fatal(err)
		}
		for name := range wfc.SearchAttributes() {
			if sa.GetCustomAttributes()[name] != enums.INDEXED_VALUE_TYPE_KEYWORD {
				t.Errorf("namespace %s: search attribute %s is %v, want a keyword", ns, name, sa.GetCustomAttributes()[name])
			}
		}
	}
}
