package campaign

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// ErrPolicyUnresolved is the error type of a run whose policy the engine
// did not resolve (a version with an unreadable value).
const ErrPolicyUnresolved = "policy_unresolved"

// resolvePolicyValues asks the follow-up engine for the versions of the
// named policies in force at at, and reads their values.
func resolvePolicyValues(ctx workflow.Context, at time.Time, names ...string) (map[string]policy.Value, error) {
	ctx = wfx.Activities(ctx, wfx.Call{Queue: followupc.TaskQueue, Timeout: time.Minute, NonRetryable: []string{"invalid", "not_found"}})
	var res followupv1.ResolvePoliciesResult
	if err := workflow.ExecuteActivity(ctx, followupc.ActivityResolvePolicies, &followupv1.ResolvePoliciesInput{
		Names: names, At: timestamppb.New(at)}).Get(ctx, &res); err != nil {
		return nil, err
	}
	out := map[string]policy.Value{}
	for _, p := range res.GetPolicies() {
		v, err := policy.Parse(p.GetValueJson())
		if err != nil {
			return nil, temporal.NewNonRetryableApplicationError("policy "+p.GetName()+": "+err.Error(), ErrPolicyUnresolved, err)
		}
		out[p.GetName()] = v
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			return nil, temporal.NewNonRetryableApplicationError("the follow-up engine resolved no version of "+n, ErrPolicyUnresolved, nil)
		}
	}
	return out, nil
}

// maxPressureTouches bounds the keys PressureLimits reads.
const maxPressureTouches = 100

// PressureLimits reads marketing.contact_pressure: each table key is a
// number of touches, its timer the window in which no more are made.
func PressureLimits(v policy.Value) []*marketingv1.PressureLimit {
	var out []*marketingv1.PressureLimit
	for n := 1; n <= maxPressureTouches; n++ { // in order, without iterating a map
		if t, ok := v.Table[strconv.Itoa(n)]; ok && t.Duration > 0 {
			out = append(out, &marketingv1.PressureLimit{MaxTouches: int32(n), Window: durationpb.New(time.Duration(t.Duration))})
		}
	}
	return out
}
