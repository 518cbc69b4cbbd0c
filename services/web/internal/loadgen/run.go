package loadgen

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"time"
)

// Run prepares the target (reads the policy, creates or finds the run's
// customers), runs the open-loop schedule, withdraws any policy version
// left scheduled and returns the report. Setup failures are errors; what
// happens under load is in the report.
func Run(ctx context.Context, c Config, progress func(string)) (Report, error) {
	if progress == nil {
		progress = func(string) {}
	}
	if err := c.Validate(); err != nil {
		return Report{}, err
	}
	hc := &http.Client{Transport: &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        4 * c.Concurrency,
		MaxIdleConnsPerHost: c.Concurrency,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 5 * time.Second,
		ForceAttemptHTTP2:   true,
	}}
	defer hc.CloseIdleConnections()
	rec := NewRecorder()
	t, err := NewTarget(c.URLs, c.Tokens, hc, c, rec)
	if err != nil {
		return Report{}, err
	}
	if c.Mix[ActPolicy] > 0 {
		if err := t.PreparePolicy(ctx); err != nil {
			return Report{}, err
		}
	}
	t.UseCustomers(c.CustomerIDs)
	if c.Customers > 0 && (c.Mix[ActContact] > 0 || c.Mix[ActVisit] > 0) {
		progress(fmt.Sprintf("creating %d customers of run %s (or finding them again) …", c.Customers, c.Tag))
		if err := t.SeedCustomers(ctx, c.Customers); err != nil {
			return Report{}, err
		}
	}

	plan := Plan{Rate: c.Rate, Duration: c.Duration, Concurrency: c.Concurrency, SendBy: c.Timeout}
	if err := checkVisitDays(c, plan, len(t.Customers())); err != nil {
		return Report{}, err
	}
	progress(fmt.Sprintf("run %s: %d requests at %g/s for %s (mix %s, concurrency %d) …", c.Tag, plan.Count(), c.Rate, c.Duration, c.Mix, c.Concurrency))
	picker := NewPicker(c.Mix)
	acts := make([]string, plan.Count())
	for i := range acts {
		acts[i] = picker.Next()
	}
	d := Schedule(ctx, RealClock{}, plan, func(ctx context.Context, i int, scheduled time.Time) {
		// The load keeps going when the caller gives up (Ctrl-C ends the
		// schedule, not the requests already sent): each has its timeout.
		t.Do(context.WithoutCancel(ctx), acts[i], i, scheduled)
	})
	// Schedule stops at the first request it cannot send: the rest were not sent.
	notSent := map[string]int{}
	for i := d.Sent; i < d.Sent+d.NotSent && i < len(acts); i++ {
		notSent[acts[i]]++
	}

	r := NewReport(c, d, rec, notSent)
	if c.Mix[ActPolicy] > 0 {
		left, err := t.CleanupPolicy(context.WithoutCancel(ctx))
		switch {
		case err != nil:
			r.Notes = append(r.Notes, fmt.Sprintf("could not check policy %s for versions of the run left scheduled: %v; "+
				"withdraw any with the reason %q by hand", c.Policy, err, t.policyReason()))
		case len(left) > 0:
			r.Notes = append(r.Notes, fmt.Sprintf("policy %s: versions %v of the run are still scheduled (a year ahead); withdraw them by hand", c.Policy, left))
		}
	}
	return r, nil
}

// maxVisitDays is how many working days ahead a run's visits may go: the
// API takes days at most two years ahead, and the first is a week away.
const maxVisitDays = 480

// checkVisitDays refuses a run whose visits would need days too far ahead
// (one day per customer per visit): it needs more customers.
func checkVisitDays(c Config, p Plan, customers int) error {
	if c.Mix[ActVisit] == 0 || customers == 0 {
		return nil
	}
	var total float64
	for _, w := range c.Mix {
		total += w
	}
	visits := int(math.Ceil(float64(p.Count()) * c.Mix[ActVisit] / total))
	if need := (visits + customers - 1) / customers; need > maxVisitDays {
		return fmt.Errorf("%d visits on %d customers need %d working days each, more than the %d the API allows ahead: raise -customers to at least %d",
			visits, customers, need, maxVisitDays, (visits+maxVisitDays-1)/maxVisitDays)
	}
	return nil
}
