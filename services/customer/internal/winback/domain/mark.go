package domain

import (
	"strings"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/platform/apperr"
)

// MaxCampaignID bounds a campaign id (the marketing service's UUIDs).
const MaxCampaignID = 100

// Mark is a customer.MarkWinBack request: set the customer's mark to
// CampaignID, or — CampaignID empty — clear it if it still names
// ClearCampaignID (a cadence that ends never clears the mark of a win-back
// that superseded it).
type Mark struct {
	CustomerID, CampaignID, ClearCampaignID string
}

// Check refuses a malformed request (validation_failed): a customer id, and
// a campaign to set or to clear.
func (m Mark) Check() error {
	var v apperr.Validation
	checkCustomer(&v, m.CustomerID)
	switch {
	case m.CampaignID != "":
		checkCampaign(&v, "campaign_id", m.CampaignID)
	case m.ClearCampaignID != "":
		checkCampaign(&v, "clear_campaign_id", m.ClearCampaignID)
	default:
		v.Add("campaign_id", "required", "name the campaign to mark, or clear_campaign_id to clear")
	}
	return v.Err()
}

// Apply is the customer's mark after the request, from its mark now ("":
// none). Applying it again changes nothing.
func (m Mark) Apply(current string) string {
	if m.CampaignID != "" {
		return m.CampaignID
	}
	if current == m.ClearCampaignID {
		return ""
	}
	return current
}

// CheckCustomer refuses a malformed customer id (validation_failed).
func CheckCustomer(id string) error {
	var v apperr.Validation
	checkCustomer(&v, id)
	return v.Err()
}

func checkCustomer(v *apperr.Validation, id string) {
	_, err := uuid.Parse(id)
	v.Check(err == nil && len(id) == 36, "customer_id", "invalid", "must be a customer id")
}

func checkCampaign(v *apperr.Validation, field, id string) {
	v.Check(strings.TrimSpace(id) == id && len(id) <= MaxCampaignID && !strings.ContainsAny(id, "\n\r\t"), field, "invalid",
		"must be a campaign id (at most 100 characters, no spaces around it)")
}
