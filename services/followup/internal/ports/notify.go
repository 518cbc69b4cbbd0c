package ports

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/temporalx"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/followup/internal/app"
)

// DeliveryActivities are the activities the Delivery workflow calls on the
// follow-up service's queue: send a delivery, and give one up.
type DeliveryActivities struct {
	Deliveries *app.Deliveries
}

// Register adds the activities under their contract names.
func (a *DeliveryActivities) Register(r worker.Registry) {
	r.RegisterActivityWithOptions(a.SendDelivery, activity.RegisterOptions{Name: followupc.ActivitySendDelivery})
	r.RegisterActivityWithOptions(a.GiveUpDelivery, activity.RegisterOptions{Name: followupc.ActivityGiveUpDelivery})
}

// SendDelivery sends one delivery unless it is done; a permanent failure
// is non-retryable.
func (a *DeliveryActivities) SendDelivery(ctx context.Context, in *followupv1.SendDeliveryInput) error {
	return temporalx.NonRetryable(a.Deliveries.Send(ctx, in.GetDeliveryId()))
}

// GiveUpDelivery records a delivery whose retries ran out as failed.
func (a *DeliveryActivities) GiveUpDelivery(ctx context.Context, in *followupv1.GiveUpDeliveryInput) error {
	return temporalx.NonRetryable(a.Deliveries.GiveUp(ctx, in.GetDeliveryId(), in.GetError()))
}

// DeliveryRetrier starts Delivery workflows (app.Retrier).
type DeliveryRetrier struct {
	Client client.Client
	// RetryFor, RetryInitial and RetryMaxInterval bound each run's retries.
	RetryFor, RetryInitial, RetryMaxInterval time.Duration
}

// Retry starts the delivery's workflow; one already running is kept (it
// owns the delivery), one that ended is started again (an admin's retry).
func (r DeliveryRetrier) Retry(ctx context.Context, deliveryID string, notBefore *time.Time) error {
	in := &followupv1.DeliverInput{DeliveryId: deliveryID, RetryFor: durationpb.New(r.RetryFor),
		RetryInitial: durationpb.New(r.RetryInitial), RetryMaxInterval: durationpb.New(r.RetryMaxInterval)}
	if notBefore != nil {
		in.NotBefore = timestamppb.New(*notBefore)
	}
	_, err := r.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       wfc.DeliveryWorkflowID(deliveryID),
		TaskQueue:                wfc.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes:    temporal.NewSearchAttributes(temporal.NewSearchAttributeKeyKeyword(wfc.SAKind.String()).ValueSet("delivery")),
	}, wfc.WorkflowDelivery, in)
	return err
}

// MetricDeliveries counts deliveries by channel, outcome and reason
// (docs/dashboards.md).
const MetricDeliveries = "closeloop.notifications.deliveries"

// DeliveryCounter is app.DeliveryMetrics on OpenTelemetry.
type DeliveryCounter struct{ c metric.Int64Counter }

// NewDeliveryCounter registers the counter.
func NewDeliveryCounter(mp metric.MeterProvider) (*DeliveryCounter, error) {
	c, err := mp.Meter("github.com/closeloop/closeloop/services/followup").Int64Counter(MetricDeliveries,
		metric.WithUnit("{delivery}"),
		metric.WithDescription("Notification deliveries by channel (email, webhook) and outcome: sent, retried (an attempt failed and will be retried), failed (given up: the dead-letter list), held (quiet hours), suppressed (reason: preference, no_address, digest, closed, unsubscribed, empty)."))
	return &DeliveryCounter{c: c}, err
}

// Count adds one.
func (d *DeliveryCounter) Count(channel, outcome, reason string) {
	d.c.Add(context.Background(), 1, metric.WithAttributes(attribute.String("channel", channel),
		attribute.String("outcome", outcome), attribute.String("reason", reason)))
}
