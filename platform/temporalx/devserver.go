package temporalx

// DevServerArgs are the dynamic configuration the dev server runs with, in
// the tests (platform/testenv) and in `make run` (platform/cmd/devstack): one partition per
// task queue. The server's default of four suits a fleet of workers; with
// the one worker process of a development stack, a task that lands on a
// partition none of its two pollers is waiting on waits to be forwarded,
// and BenchmarkCaseBreaches measured breaches p95 934 ms late with four
// partitions against 111 ms with one (docs/performance.md).
func DevServerArgs() []string {
	return []string{
		"--dynamic-config-value", "matching.numTaskqueueReadPartitions=1",
		"--dynamic-config-value", "matching.numTaskqueueWritePartitions=1",
	}
}
