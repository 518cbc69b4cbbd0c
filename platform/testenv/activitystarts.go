package testenv

import (
	"context"
	"sort"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
)

// ActivityStarts records which activities a workflow run in Temporal's
// time-skipping test environment started as local activities and which as
// activity tasks, by activity type.
type ActivityStarts struct {
	mu            sync.Mutex
	local, remote map[string]int
}

// RecordActivityStarts sets env's activity-start listeners to record into
// the returned ActivityStarts (it replaces listeners set before).
func RecordActivityStarts(env *testsuite.TestWorkflowEnvironment) *ActivityStarts {
	s := &ActivityStarts{local: map[string]int{}, remote: map[string]int{}}
	env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
		s.mu.Lock()
		s.local[info.ActivityType.Name]++
		s.mu.Unlock()
	})
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		s.mu.Lock()
		s.remote[info.ActivityType.Name]++
		s.mu.Unlock()
	})
	return s
}

// Tasks is how many activity tasks of type name the run started.
func (s *ActivityStarts) Tasks(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remote[name]
}

// Locals is how many times the run started type name as a local activity.
func (s *ActivityStarts) Locals(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.local[name]
}

// Check fails t unless each activity in want started — as a local activity
// when local is true, as an activity task otherwise — no activity whose
// type starts with own (the hosting service's, e.g. "customer.") started
// the other way, and no other service's activity started locally.
func (s *ActivityStarts) Check(t testing.TB, local bool, own string, want ...string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	called, other, how, otherHow := s.remote, s.local, "an activity task", "a local activity"
	if local {
		called, other, how, otherHow = s.local, s.remote, "a local activity", "an activity task"
	}
	for _, name := range want {
		if called[name] == 0 {
			t.Errorf("%s: not started as %s (local %v, tasks %v)", name, how, names(s.local), names(s.remote))
		}
	}
	for _, name := range names(other) {
		if strings.HasPrefix(name, own) {
			t.Errorf("%s: started %d times as %s", name, other[name], otherHow)
		}
	}
	for _, name := range names(s.local) {
		if !strings.HasPrefix(name, own) {
			t.Errorf("%s, another service's activity, ran locally", name)
		}
	}
}

func names(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
