package service

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/closeloop/closeloop/platform/config"
)

// loadWorkerConfig reads a WorkerConfig from env (nothing else) and validates it.
func loadWorkerConfig(env map[string]string) (WorkerConfig, error) {
	var c WorkerConfig
	if err := config.LoadFrom(&c, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		return c, err
	}
	return c, c.Validate()
}

func TestWorkerConfigDefaults(t *testing.T) {
	c, err := loadWorkerConfig(nil)
	if err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
	// The SDK's own defaults (what every worker used before), except the bulk
	// queues' smaller slots.
	want := WorkerConfig{
		WorkflowTaskPollers: 2, ActivityTaskPollers: 2,
		MaxConcurrentWorkflowTasks: 1000, MaxConcurrentActivities: 1000, MaxConcurrentLocalActivities: 1000,
		BulkWorkflowTaskPollers: 2, BulkActivityTaskPollers: 2,
		BulkMaxConcurrentWorkflowTasks: 16, BulkMaxConcurrentActivities: 8, BulkMaxConcurrentLocalActivities: 8,
		WorkflowCacheSize: 10000,
	}
	if c != want {
		t.Fatalf("defaults %+v, want %+v", c, want)
	}
	for _, v := range config.Describe(&c) {
		if v.Help == "" || !strings.HasPrefix(v.Name, "TEMPORAL_") {
			t.Errorf("%s: want a TEMPORAL_ name and a help text", v.Name)
		}
	}
}

func TestWorkerConfigRefusesBadValues(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"TEMPORAL_WORKFLOW_TASK_POLLERS", "1"}, // the SDK panics on 1 (sticky alternation)
		{"TEMPORAL_WORKFLOW_TASK_POLLERS", "101"},
		{"TEMPORAL_ACTIVITY_TASK_POLLERS", "0"},
		{"TEMPORAL_ACTIVITY_TASK_POLLERS", "-3"},
		{"TEMPORAL_MAX_CONCURRENT_WORKFLOW_TASKS", "1"},
		{"TEMPORAL_MAX_CONCURRENT_ACTIVITIES", "0"},
		{"TEMPORAL_MAX_CONCURRENT_ACTIVITIES", "10001"},
		{"TEMPORAL_MAX_CONCURRENT_LOCAL_ACTIVITIES", "0"},
		{"TEMPORAL_BULK_WORKFLOW_TASK_POLLERS", "1"},
		{"TEMPORAL_BULK_ACTIVITY_TASK_POLLERS", "0"},
		{"TEMPORAL_BULK_MAX_CONCURRENT_WORKFLOW_TASKS", "1"},
		{"TEMPORAL_BULK_MAX_CONCURRENT_ACTIVITIES", "0"},
		{"TEMPORAL_BULK_MAX_CONCURRENT_LOCAL_ACTIVITIES", "20000"},
		{"TEMPORAL_WORKFLOW_CACHE_SIZE", "0"},
		{"TEMPORAL_WORKFLOW_CACHE_SIZE", "1000001"},
		{"TEMPORAL_MAX_CONCURRENT_ACTIVITIES", "many"},
		{"TEMPORAL_POLLER_AUTOSCALING", "maybe"},
	} {
		_, err := loadWorkerConfig(map[string]string{tc.name: tc.value})
		if err == nil || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%s=%s: error %v, want one naming the variable", tc.name, tc.value, err)
		}
	}
	// Every bad variable at once, each named.
	_, err := loadWorkerConfig(map[string]string{"TEMPORAL_ACTIVITY_TASK_POLLERS": "0", "TEMPORAL_WORKFLOW_CACHE_SIZE": "0"})
	if err == nil || !strings.Contains(err.Error(), "TEMPORAL_ACTIVITY_TASK_POLLERS") || !strings.Contains(err.Error(), "TEMPORAL_WORKFLOW_CACHE_SIZE") {
		t.Errorf("two bad variables: %v", err)
	}
	// Bounds are inclusive.
	if _, err := loadWorkerConfig(map[string]string{"TEMPORAL_WORKFLOW_TASK_POLLERS": "100", "TEMPORAL_ACTIVITY_TASK_POLLERS": "1",
		"TEMPORAL_MAX_CONCURRENT_ACTIVITIES": "10000", "TEMPORAL_WORKFLOW_CACHE_SIZE": "1"}); err != nil {
		t.Errorf("values at the bounds refused: %v", err)
	}
}

func TestLoadConfigValidatesWorkerOptions(t *testing.T) {
	t.Setenv("TEMPORAL_BULK_MAX_CONCURRENT_ACTIVITIES", "0")
	_, err := LoadConfig(Spec{Name: "customer"})
	if err == nil || !strings.Contains(err.Error(), "TEMPORAL_BULK_MAX_CONCURRENT_ACTIVITIES") {
		t.Fatalf("LoadConfig: %v, want the bad variable named", err)
	}
	// A value that does not parse and one out of range: both named, once each.
	t.Setenv("TEMPORAL_BULK_MAX_CONCURRENT_ACTIVITIES", "abc")
	t.Setenv("TEMPORAL_WORKFLOW_TASK_POLLERS", "1")
	_, err = LoadConfig(Spec{Name: "customer"})
	if err == nil || strings.Count(err.Error(), "TEMPORAL_BULK_MAX_CONCURRENT_ACTIVITIES") != 1 || !strings.Contains(err.Error(), "TEMPORAL_WORKFLOW_TASK_POLLERS=1") {
		t.Fatalf("LoadConfig: %v, want both variables named once", err)
	}
	t.Setenv("TEMPORAL_WORKFLOW_TASK_POLLERS", "2")
	t.Setenv("TEMPORAL_BULK_MAX_CONCURRENT_ACTIVITIES", "4")
	cfg, err := LoadConfig(Spec{Name: "customer"})
	if err != nil || cfg.Worker.BulkMaxConcurrentActivities != 4 {
		t.Fatalf("LoadConfig: %v, bulk activities %d", err, cfg.Worker.BulkMaxConcurrentActivities)
	}
}

func TestWorkerOptionsReachTheWorker(t *testing.T) {
	c := WorkerConfig{
		WorkflowTaskPollers: 3, ActivityTaskPollers: 4,
		MaxConcurrentWorkflowTasks: 50, MaxConcurrentActivities: 60, MaxConcurrentLocalActivities: 70,
		BulkWorkflowTaskPollers: 5, BulkActivityTaskPollers: 6,
		BulkMaxConcurrentWorkflowTasks: 7, BulkMaxConcurrentActivities: 8, BulkMaxConcurrentLocalActivities: 9,
		WorkflowCacheSize: 100,
	}
	main := WorkerOptions(c, false, 20*time.Second)
	want := worker.Options{
		WorkerStopTimeout:                       20 * time.Second,
		MaxConcurrentWorkflowTaskPollers:        3,
		MaxConcurrentActivityTaskPollers:        4,
		MaxConcurrentWorkflowTaskExecutionSize:  50,
		MaxConcurrentActivityExecutionSize:      60,
		MaxConcurrentLocalActivityExecutionSize: 70,
	}
	if !reflect.DeepEqual(main, want) {
		t.Errorf("main queue:\n got %+v\nwant %+v", main, want)
	}
	bulk := WorkerOptions(c, true, 20*time.Second)
	want = worker.Options{
		WorkerStopTimeout:                       20 * time.Second,
		MaxConcurrentWorkflowTaskPollers:        5,
		MaxConcurrentActivityTaskPollers:        6,
		MaxConcurrentWorkflowTaskExecutionSize:  7,
		MaxConcurrentActivityExecutionSize:      8,
		MaxConcurrentLocalActivityExecutionSize: 9,
	}
	if !reflect.DeepEqual(bulk, want) {
		t.Errorf("bulk queue:\n got %+v\nwant %+v", bulk, want)
	}

	// Autoscaling: the poller counts become maxima, no fixed count is set (the
	// SDK refuses both).
	c.PollerAutoscaling = true
	auto := WorkerOptions(c, true, time.Second)
	if auto.MaxConcurrentWorkflowTaskPollers != 0 || auto.MaxConcurrentActivityTaskPollers != 0 {
		t.Errorf("autoscaling with fixed poller counts: %+v", auto)
	}
	if w := worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{MaximumNumberOfPollers: 5}); !reflect.DeepEqual(auto.WorkflowTaskPollerBehavior, w) {
		t.Errorf("workflow-task pollers %+v, want %+v", auto.WorkflowTaskPollerBehavior, w)
	}
	if w := worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{MaximumNumberOfPollers: 6}); !reflect.DeepEqual(auto.ActivityTaskPollerBehavior, w) {
		t.Errorf("activity-task pollers %+v, want %+v", auto.ActivityTaskPollerBehavior, w)
	}
	if auto.MaxConcurrentActivityExecutionSize != 8 {
		t.Errorf("autoscaling changed the slots: %+v", auto)
	}

	// A Config built in code (zero values) keeps the SDK's defaults.
	if got := WorkerOptions(WorkerConfig{}, false, time.Second); !reflect.DeepEqual(got, worker.Options{WorkerStopTimeout: time.Second}) {
		t.Errorf("zero config: %+v", got)
	}
}

// TestWorkerOptionsAcceptedBySDK: the defaults and the bounds build workers
// without the SDK's panics (1 workflow poller, fixed pollers with a behavior).
func TestWorkerOptionsAcceptedBySDK(t *testing.T) {
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	def, err := loadWorkerConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	low := WorkerConfig{WorkflowTaskPollers: 2, ActivityTaskPollers: 1, MaxConcurrentWorkflowTasks: 2, MaxConcurrentActivities: 1,
		MaxConcurrentLocalActivities: 1, BulkWorkflowTaskPollers: 2, BulkActivityTaskPollers: 1, BulkMaxConcurrentWorkflowTasks: 2,
		BulkMaxConcurrentActivities: 1, BulkMaxConcurrentLocalActivities: 1, WorkflowCacheSize: 1}
	auto := def
	auto.PollerAutoscaling = true
	for name, c := range map[string]WorkerConfig{"defaults": def, "lowest": low, "autoscaling": auto} {
		if err := c.Validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, bulk := range []bool{false, true} {
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s (bulk %v): worker.New panicked: %v", name, bulk, r)
					}
				}()
				worker.New(tc, "workeropts-test", WorkerOptions(c, bulk, time.Second))
			}()
		}
	}
}
