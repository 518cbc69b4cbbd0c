package touchmail

import (
	"strconv"
	"strings"
	"time"

	actdomain "github.com/closeloop/closeloop/services/customer/internal/actions/domain"
	custdomain "github.com/closeloop/closeloop/services/customer/internal/domain"
)

// Contact is a live contact of a customer, as far as its email matters.
type Contact struct {
	Name, Email string
	Primary     bool
}

// Address is where the customer's email goes: the primary contact's
// address when it is usable, else the first contact's (in the order
// given: by name) with a usable one, normalised (NormalizeEmail). ok is
// false when no contact has one.
func Address(contacts []Contact) (to Contact, ok bool) {
	for _, primaryOnly := range []bool{true, false} {
		for _, c := range contacts {
			if primaryOnly && !c.Primary {
				continue
			}
			if e := custdomain.NormalizeEmail(c.Email); e != "" {
				return Contact{Name: strings.TrimSpace(c.Name), Email: e, Primary: c.Primary}, true
			}
		}
	}
	return Contact{}, false
}

// Actor is who the history shows as having sent a campaign's email.
const Actor = "campaign"

// Sent is one touch email handed to the follow-up service's outbox.
type Sent struct {
	TouchID, CustomerID, CampaignID, CampaignName, Subject string
	Step                                                   int
	Address                                                string
	At                                                     time.Time
}

// HistoryItem is the item a touch email puts on its customer's history:
// department marketing, category campaign, done at At, titled
// "<campaign>: email “<subject>”", saying to which address it went; one per
// touch id (the item's id is derived from it). A malformed email is
// refused (validation_failed).
func HistoryItem(s Sent, now time.Time) (actdomain.Action, error) {
	name := strings.TrimSpace(s.CampaignName)
	if name == "" {
		name = "Campaign " + s.CampaignID
	}
	summary := "Campaign touch"
	if s.Step > 0 {
		summary += ", step " + strconv.Itoa(s.Step)
	}
	summary += ": an email to " + s.Address + " through the notification channel (its delivery is on the follow-up service's deliveries)."
	return actdomain.NewCampaignEvent(actdomain.CampaignEvent{Key: "touch-email\x00" + s.TouchID, CustomerID: s.CustomerID,
		CampaignID: s.CampaignID, Actor: Actor, Title: name + ": email “" + strings.TrimSpace(s.Subject) + "”", Summary: summary, At: s.At}, now)
}
