package ports

import (
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/closeloop/closeloop/platform/activityhttp"
	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
)

// RemoteActivities are the other services' activities a lead the sales
// service hosts runs as local activities (workflows/lead host.go
// callsLocal): functions registered on the sales worker under those
// activities' names that call the customer and follow-up services' routes
// for services as the sales service (platform/activityhttp). They are
// registered only when the service has a service identity
// (SERVICE_CLIENT_ID), and new leads ask for them then only.
type RemoteActivities struct {
	// Auth signs each call as the sales service.
	Auth activityhttp.Authorizer
	// Customer and FollowUp are the two services' base URLs
	// (CUSTOMER_API_URL, FOLLOWUP_API_URL).
	Customer, FollowUp string
}

// Register adds the functions to the sales worker.
func (a RemoteActivities) Register(r worker.Registry) {
	hc := &http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport)} // each call bounded by its activity's timeout
	cust := &activityhttp.Client{Base: a.Customer, Auth: a.Auth, HTTP: hc}
	fu := &activityhttp.Client{Base: a.FollowUp, Auth: a.Auth, HTTP: hc}
	for name, fn := range map[string]any{
		customerc.ActivityEnsureCustomer:         activityhttp.Remote[*salesv1.EnsureCustomerInput, salesv1.EnsureCustomerResult](cust, customerc.ActivityEnsureCustomer),
		followupc.ActivityResolvePolicies:        activityhttp.Remote[*followupv1.ResolvePoliciesInput, followupv1.ResolvePoliciesResult](fu, followupc.ActivityResolvePolicies),
		followupc.ActivityOpenFollowUp:           activityhttp.RemoteNoResult[*followupv1.FollowUpRecord](fu, followupc.ActivityOpenFollowUp),
		followupc.ActivityUpdateFollowUpDeadline: activityhttp.RemoteNoResult[*followupv1.UpdateDeadlineInput](fu, followupc.ActivityUpdateFollowUpDeadline),
		followupc.ActivityRecordFollowUpStep:     activityhttp.RemoteNoResult[*followupv1.RecordStepInput](fu, followupc.ActivityRecordFollowUpStep),
		followupc.ActivityCloseFollowUp:          activityhttp.RemoteNoResult[*followupv1.CloseFollowUpInput](fu, followupc.ActivityCloseFollowUp),
	} {
		r.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
}
