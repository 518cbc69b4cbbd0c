// Package notify holds the Delivery workflow: the durable part of sending a
// notification by email or webhook. The follow-up service sends a delivery
// at once when it can (services/followup, app.Deliveries); a delivery that
// must wait for the end of its recipient's quiet hours, or whose first
// attempt failed, is handed to this workflow, so the wait and the retries
// survive restarts of every process, and a delivery is never dropped
// because a relay or a receiver was down for a while.
package notify

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// Defaults when the input leaves a bound unset.
const (
	defaultRetryFor     = 24 * time.Hour
	defaultInitial      = 30 * time.Second
	defaultMaxInterval  = time.Hour
	sendAttemptTimeout  = 2 * time.Minute
	recordAttemptBudget = 30 * time.Second
)

// Delivery waits until the delivery's not-before instant, then sends it
// with retries: the first retry after retry_initial, doubling up to
// retry_max_interval, for retry_for in all. A permanent failure (the relay
// refused the address for good) ends the retries at once. When they end
// without success, the delivery is recorded as failed with the last error
// — the dead-letter list an admin inspects and retries from. The workflow
// itself never fails on a delivery's failure: the outcome is the delivery's
// record.
func Delivery(ctx workflow.Context, in *followupv1.DeliverInput) error {
	if nb := in.GetNotBefore(); nb != nil {
		if wait := nb.AsTime().Sub(workflow.Now(ctx)); wait > 0 {
			if err := workflow.Sleep(ctx, wait); err != nil {
				return err
			}
		}
	}
	retryFor, initial, maxInterval := defaultRetryFor, defaultInitial, defaultMaxInterval
	if d := in.GetRetryFor(); d != nil && d.AsDuration() > 0 {
		retryFor = d.AsDuration()
	}
	if d := in.GetRetryInitial(); d != nil && d.AsDuration() > 0 {
		initial = d.AsDuration()
	}
	if d := in.GetRetryMaxInterval(); d != nil && d.AsDuration() > 0 {
		maxInterval = d.AsDuration()
	}
	send := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:              followupc.TaskQueue,
		StartToCloseTimeout:    sendAttemptTimeout,
		ScheduleToCloseTimeout: retryFor,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: initial, BackoffCoefficient: 2, MaximumInterval: maxInterval,
		},
	})
	err := workflow.ExecuteActivity(send, followupc.ActivitySendDelivery, &followupv1.SendDeliveryInput{DeliveryId: in.GetDeliveryId()}).Get(ctx, nil)
	if err == nil {
		return nil
	}
	record := wfx.Activities(ctx, wfx.Call{Queue: followupc.TaskQueue, Timeout: recordAttemptBudget})
	return workflow.ExecuteActivity(record, followupc.ActivityGiveUpDelivery,
		&followupv1.GiveUpDeliveryInput{DeliveryId: in.GetDeliveryId(), Error: lastError(err)}).Get(ctx, nil)
}

// lastError is the failure's own message, without the wrapping the SDK adds
// around an activity error.
func lastError(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "no success within the retry period: " + timeout.Error()
	}
	return err.Error()
}
