package workflows_test

import (
	"reflect"
	"runtime"
	"strings"
	"testing"

	"go.temporal.io/sdk/workflow"

	"github.com/closeloop/closeloop/workflows"
)

// registrations records what RegisterWorkflows registers.
type registrations struct{ fn, name []string }

func (r *registrations) RegisterWorkflowWithOptions(w any, o workflow.RegisterOptions) {
	full := runtime.FuncForPC(reflect.ValueOf(w).Pointer()).Name()
	r.fn = append(r.fn, full[strings.LastIndex(full, ".")+1:])
	r.name = append(r.name, o.Name)
}

// TestNoWorkflowFunctionShadowsAnotherType: the Go SDK maps a registered
// function's own name to the name it is registered under, and resolves a
// workflow type through that map first. So a function registered under
// another name whose Go name is another workflow's type takes that type
// over: campaign.Notice registered as CampaignNotice ran every service
// notice (type Notice) — a replayed Notice history failed, and so would
// every running one. No function may be named like another's type.
func TestNoWorkflowFunctionShadowsAnotherType(t *testing.T) {
	var r registrations
	workflows.RegisterWorkflows(&r)
	types := map[string]bool{}
	for _, n := range r.name {
		if types[n] {
			t.Errorf("workflow type %s registered twice", n)
		}
		types[n] = true
	}
	for i, fn := range r.fn {
		if fn != r.name[i] && types[fn] {
			t.Errorf("the function %s, registered as %s, shadows the workflow type %s", fn, r.name[i], fn)
		}
	}
}
