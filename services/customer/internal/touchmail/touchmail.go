// Package touchmail is the customer service's side of a campaign's email
// touches: where a customer's email goes (customer.TouchAddresses: its
// primary contact's address, else the first contact's with a usable one)
// and each email sent, on the customer's history (customer.RecordTouchEmails:
// an item of department marketing, category campaign, that nobody changes —
// an email is something the campaign did, not a plan a person carries out,
// and no contact the customer made). The marketing workflows call both on
// the customer task queue as the service itself: there is no caller to
// authorise. Small enough to keep its parts in files, not packages: the
// rules (rules.go, pure), the storage (store.go) and the activities (here).
package touchmail

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"gorm.io/gorm"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	actadapters "github.com/closeloop/closeloop/services/customer/internal/actions/adapters"
	actdomain "github.com/closeloop/closeloop/services/customer/internal/actions/domain"
	"github.com/closeloop/closeloop/services/customer/internal/activityerr"
)

// MaxCustomers bounds one call (a segment page's touches).
const MaxCustomers = 1000

// Service is the context's activities over the customer database.
type Service struct {
	store   store
	actions *actadapters.Store
	now     func() time.Time
}

// New returns the context over db.
func New(db *gorm.DB) *Service {
	return &Service{store: store{db: db}, actions: actadapters.NewStore(db), now: func() time.Time { return time.Now().UTC() }}
}

// Register adds customer.TouchAddresses and customer.RecordTouchEmails to
// the customer worker.
func (s *Service) Register(r worker.Registry) {
	r.RegisterActivityWithOptions(s.TouchAddresses, activity.RegisterOptions{Name: customerc.ActivityTouchAddresses})
	r.RegisterActivityWithOptions(s.RecordTouchEmails, activity.RegisterOptions{Name: customerc.ActivityRecordTouchEmails})
}

// TouchAddresses returns the address each customer's email goes to
// (Address), leaving out the customers without one and those deleted. More
// than MaxCustomers ids are refused (non-retryable "invalid").
func (s *Service) TouchAddresses(ctx context.Context, in *marketingv1.TouchAddressesInput) (*marketingv1.TouchAddressesResult, error) {
	ids := in.GetCustomerIds()
	if len(ids) > MaxCustomers {
		return nil, activityerr.Invalid("customer_ids", "at most 1000")
	}
	contacts, err := s.store.contacts(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := &marketingv1.TouchAddressesResult{}
	for _, id := range ids {
		if to, ok := Address(contacts[id]); ok {
			out.Addresses = append(out.Addresses, &marketingv1.ContactAddress{CustomerId: id, Address: to.Email, Name: to.Name})
		}
	}
	return out, nil
}

// RecordTouchEmails puts each email on its customer's history, once per
// touch id (a retried or replayed call records nothing more). A malformed
// email refuses the call before anything is stored (non-retryable
// "invalid"); a failure of the database is retried.
func (s *Service) RecordTouchEmails(ctx context.Context, in *marketingv1.RecordTouchEmailsInput) error {
	if len(in.GetEmails()) > MaxCustomers {
		return activityerr.Invalid("emails", "at most 1000")
	}
	at := s.now()
	if in.GetAt() != nil && in.GetAt().CheckValid() == nil {
		at = in.GetAt().AsTime()
	}
	c := in.GetContent()
	items := make([]actdomain.Action, 0, len(in.GetEmails()))
	for _, e := range in.GetEmails() {
		item, err := HistoryItem(Sent{TouchID: e.GetTouchId(), CustomerID: e.GetCustomerId(), CampaignID: c.GetCampaignId(),
			CampaignName: c.GetCampaignName(), Subject: c.GetSubject(), Step: int(e.GetStep()), Address: e.GetAddress(), At: at}, s.now())
		if err != nil {
			return activityerr.NonRetryable(err)
		}
		items = append(items, item)
	}
	return s.actions.CreateAllOnce(ctx, items) // a failure of the database is retried
}
