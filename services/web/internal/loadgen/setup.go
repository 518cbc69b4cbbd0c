package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
)

// policyReason is the reason of the run's policy versions: the run's tag
// is in it, so Cleanup (and a person reading the audit trail) finds them.
func (t *Target) policyReason() string {
	return "loadgen " + t.tag + ": load-test edit scheduled a year ahead and withdrawn at once; never in force"
}

// PreparePolicy reads the policy's value in force (else its default): the
// value every edit of the run proposes again.
func (t *Target) PreparePolicy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	res, err := t.analystFU.GetPoliciesByNameWithResponse(ctx, t.policyName)
	if err != nil {
		return fmt.Errorf("read policy %s: %w", t.policyName, err)
	}
	if res.JSON200 == nil {
		return fmt.Errorf("read policy %s as the analyst: %d %s", t.policyName, res.StatusCode(), strings.TrimSpace(string(res.Body)))
	}
	p := res.JSON200
	switch {
	case p.Active != nil && p.Active.Value != nil:
		t.policyValue = p.Active.Value
	case p.Default != nil:
		t.policyValue = p.Default
	default:
		return fmt.Errorf("policy %s has neither a value in force nor a default", t.policyName)
	}
	return nil
}

// policy is an analyst's policy edit that changes nothing: a new version
// of the policy with its current value, effective a year from now, then
// withdrawn (recorded as policy.withdraw). The policy in force never
// changes; the history and audit trail keep both steps, with the run's tag.
func (t *Target) policy(ctx context.Context, i int, scheduled time.Time) {
	eff := time.Now().UTC().AddDate(1, 0, 0)
	body := followupapi.ProposeRequest{Value: t.policyValue, Reason: ptr(t.policyReason()), EffectiveFrom: &eff}
	status, b := t.call(withIdem(ctx, fmt.Sprintf("%s-policy-%d", t.tag, i)), ActPolicy, scheduled, nil, nil, func(ctx context.Context) (any, error) {
		return t.analystFU.PostPoliciesByNameVersionsWithResponse(ctx, t.policyName, body)
	})
	if status != 201 {
		return
	}
	var v followupapi.VersionView
	if json.Unmarshal(b, &v) != nil || v.Version == nil {
		return
	}
	t.withdraw(ctx, *v.Version)
}

func (t *Target) withdraw(ctx context.Context, version int) {
	status, _ := t.call(ctx, ActPolicy+".withdraw", time.Time{}, nil, nil, func(ctx context.Context) (any, error) {
		return t.analystFU.PostPoliciesByNameVersionsByVersionWithdrawWithResponse(ctx, t.policyName, version,
			followupapi.WithdrawRequest{Reason: ptr("loadgen " + t.tag + ": end of the load-test edit")})
	})
	if status < 200 || status >= 300 {
		t.mu.Lock()
		t.leftOver = append(t.leftOver, version)
		t.mu.Unlock()
	}
}

// CleanupPolicy withdraws every version of the run that is still
// scheduled (a withdraw that failed or timed out during the run); it
// returns the versions it could not withdraw.
func (t *Target) CleanupPolicy(ctx context.Context) ([]int, error) {
	ctx, cancel := context.WithTimeout(ctx, 4*t.timeout)
	defer cancel()
	res, err := t.analystFU.GetPoliciesByNameWithResponse(ctx, t.policyName)
	if err != nil {
		return nil, err
	}
	if res.JSON200 == nil {
		return nil, fmt.Errorf("read policy %s: %d", t.policyName, res.StatusCode())
	}
	var left []int
	if res.JSON200.Scheduled != nil {
		for _, v := range *res.JSON200.Scheduled {
			if v.Version == nil || v.Reason == nil || *v.Reason != t.policyReason() || v.WithdrawnAt != nil {
				continue
			}
			r, err := t.analystFU.PostPoliciesByNameVersionsByVersionWithdrawWithResponse(ctx, t.policyName, *v.Version,
				followupapi.WithdrawRequest{Reason: ptr("loadgen " + t.tag + ": cleanup after the run")})
			if err != nil || r.StatusCode() != 200 {
				left = append(left, *v.Version)
			}
		}
	}
	return left, nil
}

// UseCustomers makes the run's visits and contacts go to ids.
func (t *Target) UseCustomers(ids []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.customers = append(t.customers, ids...)
}

// Customers are the run's customers.
func (t *Target) Customers() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.customers...)
}

// SeedCustomers creates n customers owned by the rep, named "LG <tag>
// customer 0001" … with Idempotency-Keys derived from the tag: a second run
// with the same tag finds them again (the replayed answer within 24 hours,
// the duplicate's existing_id after that) instead of creating more.
func (t *Target) SeedCustomers(ctx context.Context, n int) error {
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for k := 0; k < n; k++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(k int) {
			defer func() { <-sem; wg.Done() }()
			ids[k], errs[k] = t.seedOne(ctx, k+1)
		}(k)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	t.UseCustomers(ids)
	return nil
}

func (t *Target) seedOne(ctx context.Context, k int) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 4*t.timeout)
	defer cancel()
	name := fmt.Sprintf("LG %s customer %04d", t.tag, k)
	key := fmt.Sprintf("%s-customer-%d", t.tag, k)
	res, err := t.repCust.PostCustomersWithResponse(ctx, &customerapi.PostCustomersParams{IdempotencyKey: &key},
		customerapi.CreateCustomerRequest{Name: &name, Region: &t.region, Industry: &t.industry})
	if err != nil {
		return "", fmt.Errorf("create customer %q: %w", name, err)
	}
	if res.JSON201 != nil && res.JSON201.Id != nil {
		return *res.JSON201.Id, nil
	}
	if res.JSON409 != nil && res.JSON409.Details != nil {
		if id, ok := (*res.JSON409.Details)["existing_id"].(string); ok && id != "" {
			return id, nil
		}
	}
	return "", fmt.Errorf("create customer %q as the rep: %d %s", name, res.StatusCode(), strings.TrimSpace(string(res.Body)))
}

// LeftOver are the policy versions the run could not withdraw.
func (t *Target) LeftOver() []int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]int(nil), t.leftOver...)
}
