package floor_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/closeloop/closeloop/platform/floor"
	"github.com/closeloop/closeloop/platform/testenv"
)

// BenchmarkFloor measures every shape with 1 and 16 concurrent callers (or
// FLOOR_CLIENTS, e.g. "1,4,16") on the Temporal testenv gives — the dev server,
// or the server of CLOSELOOP_TEMPORAL_ADDRESS — and prints the table. Each
// sub-benchmark reports p50 and p99 in milliseconds and the throughput:
//
//	go test -run '^$' -bench Floor -benchtime 1x ./platform/floor/
//	CLOSELOOP_TEMPORAL_ADDRESS=127.0.0.1:17233 CLOSELOOP_TEMPORAL_BACKEND=postgres go test -run '^$' -bench Floor -benchtime 1x ./platform/floor/
//
// About (FLOOR_WARMUP + FLOOR_DURATION) × 8, 100 s by default.
func BenchmarkFloor(b *testing.B) {
	concurrency, err := clientCounts(os.Getenv("FLOOR_CLIENTS"))
	if err != nil {
		b.Fatal(err)
	}
	hostPort, namespace := testenv.Temporal(b)
	c, err := client.Dial(client.Options{HostPort: hostPort, Namespace: namespace,
		Logger: log.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	pollers, err := floor.PollersFromEnv()
	if err != nil {
		b.Fatal(err)
	}
	r, err := floor.Start(c, testenv.TemporalBackend(), pollers)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	r.WatchServer(testenv.TemporalServerPID())
	var results []floor.Result
	for _, shape := range floor.Shapes {
		for _, n := range concurrency {
			o, err := floor.OptionsFromEnv(n)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("%s/clients=%d", shape, n), func(b *testing.B) {
				res, err := r.Measure(context.Background(), shape, o)
				if err != nil {
					b.Fatal(err)
				}
				results = append(results, res)
				b.ReportMetric(float64(res.P50.Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(res.P99.Microseconds())/1000, "p99-ms")
				b.ReportMetric(res.Throughput(), "ops/s")
				b.ReportMetric(float64(res.Errors), "errors")
				if res.ServerCPU > 0 {
					b.ReportMetric(float64(res.ServerCPU.Microseconds())/1000, "server-cpu-ms/op")
				}
			})
		}
	}
	fmt.Printf("Temporal at %s, namespace %s\n", hostPort, namespace)
	floor.WriteTable(os.Stdout, results)
}

func clientCounts(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return []int{1, 16}, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("FLOOR_CLIENTS=%q: want counts of callers such as 1,16", s)
		}
		out = append(out, n)
	}
	return out, nil
}
