package ports

import (
	"context"
	"errors"
	"strings"
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

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/temporalx"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/services/followup/internal/app"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// DeliveryActivities are the activities the Delivery workflow calls on the
// follow-up service's queue — send a delivery, and give one up — and the
// one the marketing workflows hand their touch emails over with.
type DeliveryActivities struct {
	Deliveries *app.Deliveries
	// Inbox stores the messages of followup.Notify.
	Inbox *app.Inbox
}

// Register adds the activities under their contract names.
func (a *DeliveryActivities) Register(r worker.Registry) {
	r.RegisterActivityWithOptions(a.SendDelivery, activity.RegisterOptions{Name: followupc.ActivitySendDelivery})
	r.RegisterActivityWithOptions(a.GiveUpDelivery, activity.RegisterOptions{Name: followupc.ActivityGiveUpDelivery})
	r.RegisterActivityWithOptions(a.QueueTouchEmails, activity.RegisterOptions{Name: followupc.ActivityQueueTouchEmails})
	r.RegisterActivityWithOptions(a.Notify, activity.RegisterOptions{Name: followupc.ActivityNotify})
}

// Notify tells people of another record's event (a campaign's): one inbox
// message per audience, idempotent on the event's id; the dispatcher then
// plans their email and webhook deliveries. A malformed event is
// non-retryable (type "invalid").
func (a *DeliveryActivities) Notify(ctx context.Context, in *followupv1.NotifyInput) (*followupv1.NotifyResult, error) {
	e := domain.RecordEvent{ID: in.GetEventId(), Kind: in.GetKind(), Action: in.GetAction(), SubjectID: in.GetSubjectId(), Title: in.GetTitle(),
		Team: in.GetTeam(), OwnerID: in.GetOwnerId(), Actor: in.GetActor(), ActorName: in.GetActorName(), Counts: in.GetCounts(),
		Note: in.GetNote(), Link: in.GetLink()}
	if at := in.GetAt(); at != nil && at.CheckValid() == nil {
		e.At = at.AsTime()
	}
	for _, t := range in.GetTo() {
		e.To = append(e.To, domain.Audience{UserID: t.GetUserId(), ManagersOf: t.GetManagersOf()})
	}
	ids, err := a.Inbox.Notify(ctx, e)
	if err != nil {
		return nil, invalidFields(err)
	}
	if a.Deliveries != nil {
		a.Deliveries.Nudge()
	}
	return &followupv1.NotifyResult{MessageIds: ids}, nil
}

// QueueTouchEmails puts a campaign's touch emails in the outbox (one
// delivery per touch id) and names each one's delivery; without an SMTP
// relay it queues nothing and says email_off. A malformed email is
// non-retryable.
func (a *DeliveryActivities) QueueTouchEmails(ctx context.Context, in *marketingv1.QueueTouchEmailsInput) (*marketingv1.QueueTouchEmailsResult, error) {
	c := in.GetContent()
	emails := make([]app.TouchEmailInput, len(in.GetEmails()))
	for i, e := range in.GetEmails() {
		emails[i] = app.TouchEmailInput{TouchID: e.GetTouchId(), CustomerID: e.GetCustomerId(), Step: int(e.GetStep()), Address: e.GetAddress(),
			Name: e.GetName(), UnsubscribeURL: e.GetUnsubscribeUrl()}
		if nb := e.GetNotBefore(); nb != nil && nb.CheckValid() == nil {
			t := nb.AsTime()
			emails[i].NotBefore = &t
		}
	}
	ids, skip, err := a.Deliveries.QueueTouchEmails(ctx, app.TouchContentInput{CampaignID: c.GetCampaignId(), CampaignName: c.GetCampaignName(),
		Subject: c.GetSubject(), Body: c.GetBody(), Language: c.GetLanguage()}, emails)
	if err != nil {
		return nil, invalidFields(err)
	}
	return &marketingv1.QueueTouchEmailsResult{DeliveryIds: ids, SkipReason: skip}, nil
}

// invalidFields is a refusal as the marketing workflows stop on it: not
// retried, of type "invalid", its message naming each bad field; any other
// failure as temporalx.NonRetryable makes it.
func invalidFields(err error) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) || len(ae.Fields) == 0 {
		return temporalx.NonRetryable(err)
	}
	parts := make([]string, len(ae.Fields))
	for i, f := range ae.Fields {
		parts[i] = f.Field + ": " + f.Code + " (" + f.Message + ")"
	}
	return temporal.NewNonRetryableApplicationError(ae.Message+": "+strings.Join(parts, "; "), "invalid", err)
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
// owns the delivery).
func (r DeliveryRetrier) Retry(ctx context.Context, deliveryID string, notBefore *time.Time) error {
	return r.start(ctx, deliveryID, notBefore, enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING)
}

// Restart starts the workflow of a failed delivery again (an admin's
// retry). The delivery is failed once its run's last activity has recorded
// that the retries ran out; the run closes a workflow task later. A retry
// in between that kept the open run would be lost with it — the delivery
// "retrying" with nothing to send it — so a run still open is terminated:
// its sending is over. (After a start whose answer was lost, the run left
// may still be sending; the new run's first attempt sends nothing if the
// delivery is sent by then, and the delivery's id lets a receiver drop a
// repeat, as after any retried attempt.)
func (r DeliveryRetrier) Restart(ctx context.Context, deliveryID string) error {
	return r.start(ctx, deliveryID, nil, enums.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING)
}

func (r DeliveryRetrier) start(ctx context.Context, deliveryID string, notBefore *time.Time, conflict enums.WorkflowIdConflictPolicy) error {
	in := &followupv1.DeliverInput{DeliveryId: deliveryID, RetryFor: durationpb.New(r.RetryFor),
		RetryInitial: durationpb.New(r.RetryInitial), RetryMaxInterval: durationpb.New(r.RetryMaxInterval)}
	if notBefore != nil {
		in.NotBefore = timestamppb.New(*notBefore)
	}
	_, err := r.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       wfc.DeliveryWorkflowID(deliveryID),
		TaskQueue:                wfc.TaskQueue,
		WorkflowIDConflictPolicy: conflict,
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
