// Package systemcheck holds the SystemCheck workflow: it asks each service's
// worker, on the service's own task queue, to report in (the "<service>.Ping"
// activity every service registers) and returns what each said — or that it did
// not answer. It proves end to end that every worker polls Temporal and reaches
// its database at the expected schema; `worker check` and the Helm test run it.
package systemcheck

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/closeloop/closeloop/platform/service"
)

// WorkflowName is the registered workflow type.
const WorkflowName = "SystemCheck"

// Services are the task queues checked when the input names none: every
// service's, the follow-up engine's, and the customer and marketing
// services' bulk queues (the campaign workflows' pages; served by the same
// binaries, so a deployment that does not poll them fails the check).
var Services = []string{"customer", "sales", "service", "marketing", "followup", "customer-bulk", "marketing-bulk"}

// Report is one service's answer.
type Report struct {
	OK    bool               `json:"ok"`
	Error string             `json:"error,omitempty"`
	Ping  service.PingResult `json:"ping"`
}

// Input names the services to check and how long each may take to answer.
type Input struct {
	Services []string      `json:"services"`
	Timeout  time.Duration `json:"timeout"`
}

// SystemCheck pings every service in parallel.
func SystemCheck(ctx workflow.Context, in Input) (map[string]Report, error) {
	services := in.Services
	if len(services) == 0 {
		services = Services
	}
	timeout := in.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	futures := make(map[string]workflow.Future, len(services))
	for _, name := range services {
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			TaskQueue:              name,
			ScheduleToCloseTimeout: timeout,
			RetryPolicy:            &temporal.RetryPolicy{MaximumAttempts: 1},
		})
		futures[name] = workflow.ExecuteActivity(actx, service.PingActivityName(name))
	}
	out := make(map[string]Report, len(services))
	for _, name := range services {
		var r Report
		if err := futures[name].Get(ctx, &r.Ping); err != nil {
			r.Error = "no answer from the " + name + " worker: " + err.Error()
		} else {
			r.OK = r.Ping.DatabaseOK && len(r.Ping.Pending) == 0
			if !r.OK {
				r.Error = "database unreachable or migrations pending"
			}
		}
		out[name] = r
	}
	return out, nil
}
