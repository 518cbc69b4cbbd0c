package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/closeloop/closeloop/platform/temporalx"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
)

// TemporalAddressEnv names the variable that points the tests at a running
// Temporal frontend (host:port), such as the production-shaped server of
// `make temporal-postgres`, instead of a dev server that testenv starts.
const TemporalAddressEnv = "CLOSELOOP_TEMPORAL_ADDRESS"

// TemporalNamespaceEnv names the namespace to use on the server of
// TemporalAddressEnv. It is registered when missing and kept afterwards.
// Unset, each test process registers a namespace of its own,
// closeloop-test-<time>-<random>, and deletes it when its tests end: the tests
// assume a server that has never seen their workflow ids, as a fresh dev
// server has not.
const TemporalNamespaceEnv = "CLOSELOOP_TEMPORAL_NAMESPACE"

// TemporalBackendEnv names the label benchmarks print for the server of
// TemporalAddressEnv ("postgres" in `make bench`); see TemporalBackend.
const TemporalBackendEnv = "CLOSELOOP_TEMPORAL_BACKEND"

// TemporalPIDEnv names the process id of the server of TemporalAddressEnv,
// when it runs on this machine (`make bench` passes the one of
// `make temporal-postgres`), so benchmarks can read its CPU time.
const TemporalPIDEnv = "CLOSELOOP_TEMPORAL_PID"

// TemporalServerPID is the process id of the Temporal server the tests of this
// process use: the dev server testenv started, else CLOSELOOP_TEMPORAL_PID; 0
// when unknown. Call it after Temporal.
func TemporalServerPID() int {
	if TemporalBackend() == "dev" {
		return temporalPID
	}
	pid, err := strconv.Atoi(strings.TrimSpace(os.Getenv(TemporalPIDEnv)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// existingTemporalRetention is the history retention of the namespaces testenv
// registers on an existing server.
const existingTemporalRetention = 24 * time.Hour

// TemporalBackend names the Temporal the tests of this process use, for
// benchmark output: "dev" for the dev server testenv starts; with
// TemporalAddressEnv set, the value of TemporalBackendEnv, else "existing".
func TemporalBackend() string {
	if strings.TrimSpace(os.Getenv(TemporalAddressEnv)) == "" {
		return "dev"
	}
	if b := strings.TrimSpace(os.Getenv(TemporalBackendEnv)); b != "" {
		return b
	}
	return "existing"
}

// useExistingTemporal prepares a namespace on the running server at hostPort:
// the one named by TemporalNamespaceEnv, else a fresh one deleted at exit.
// Either way it gets Closeloop's custom search attributes, as the worker's
// setup gives the namespace in a deployment.
func useExistingTemporal(hostPort string) (namespace string, err error) {
	namespace = strings.TrimSpace(os.Getenv(TemporalNamespaceEnv))
	fresh := namespace == ""
	if fresh {
		namespace = freshNamespace(time.Now())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{
		HostPort: hostPort, Namespace: namespace,
		Logger: log.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	if err != nil {
		return "", fmt.Errorf("%s=%s: %w (unset it to start a dev server; `make temporal-postgres` starts the production-shaped one)", TemporalAddressEnv, hostPort, err)
	}
	if err := temporalx.EnsureNamespace(ctx, c, namespace, existingTemporalRetention); err != nil {
		c.Close()
		return "", fmt.Errorf("Temporal at %s: %w", hostPort, err)
	}
	if fresh {
		atExit(func() {
			defer c.Close()
			// Test stacks register namespaces of their own named after
			// this one (<namespace>-visits-3, ...): their workflows wait on
			// timers and would fire during a later run on the same server.
			for _, ns := range derivedNamespaces(c, namespace) {
				deleteNamespace(c, ns)
			}
			deleteNamespace(c, namespace)
		})
	} else {
		defer c.Close()
	}
	if err := temporalx.EnsureSearchAttributes(ctx, c, namespace, searchAttributes()); err != nil {
		return "", fmt.Errorf("Temporal at %s: %w", hostPort, err)
	}
	return namespace, nil
}

// derivedNamespaces lists the registered namespaces named <namespace>-….
func derivedNamespaces(c client.Client, namespace string) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []string
	var token []byte
	for {
		resp, err := c.WorkflowService().ListNamespaces(ctx, &workflowservice.ListNamespacesRequest{PageSize: 100, NextPageToken: token})
		if err != nil {
			return out
		}
		for _, ns := range resp.GetNamespaces() {
			if name := ns.GetNamespaceInfo().GetName(); strings.HasPrefix(name, namespace+"-") {
				out = append(out, name)
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return out
		}
	}
}

// deleteNamespace deletes a namespace testenv registered and waits, two
// minutes at most, until the server has deleted its workflows: the server does
// that in the background, and a benchmark run next should not pay for it.
func deleteNamespace(c client.Client, namespace string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	resp, err := c.OperatorService().DeleteNamespace(ctx, &operatorservice.DeleteNamespaceRequest{Namespace: namespace})
	if err != nil {
		return
	}
	deleted := resp.GetDeletedNamespace()
	for ctx.Err() == nil {
		_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: deleted})
		var notFound *serviceerror.NamespaceNotFound
		if errors.As(err, &notFound) {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// searchAttributes are Closeloop's custom search attributes, keywords, as
// workflows.Setup registers them (testenv cannot import package workflows,
// whose tests import testenv).
func searchAttributes() map[string]enums.IndexedValueType {
	attrs := map[string]enums.IndexedValueType{}
	for name := range wfc.SearchAttributes() {
		attrs[name] = enums.INDEXED_VALUE_TYPE_KEYWORD
	}
	return attrs
}

// freshNamespace names a test process's own namespace: sortable by time, and
// unique across processes started in the same second.
func freshNamespace(now time.Time) string {
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("testenv: no randomness: " + err.Error()))
	}
	return "closeloop-test-" + now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}
