package domain

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/closeloop/closeloop/platform/apperr"
	actdomain "github.com/closeloop/closeloop/services/customer/internal/actions/domain"
	custdomain "github.com/closeloop/closeloop/services/customer/internal/domain"
)

// OutcomeResponded is the outcome of a cadence the customer answered.
const OutcomeResponded = "responded"

// Return is a customer.WinBackReturned request: the customer answered the
// campaign's win-back (Response; the lead it became, LeadID).
type Return struct {
	CampaignID, CustomerID, Outcome string
	Response                        Response
	LeadID                          string
}

// Check refuses a malformed request (validation_failed): a customer and a
// campaign id, an outcome that is responded (or unsaid), and short
// one-line words for the response and the lead.
func (r Return) Check() error {
	var v apperr.Validation
	checkCustomer(&v, r.CustomerID)
	if v.Check(r.CampaignID != "", "campaign_id", "required", "the campaign the customer answered") {
		checkCampaign(&v, "campaign_id", r.CampaignID)
	}
	v.Check(r.Outcome == "" || r.Outcome == OutcomeResponded, "outcome", "invalid", "a customer is returned only when it responded")
	word := func(field, s string, max int) {
		v.Check(utf8.RuneCountInString(s) <= max && !strings.ContainsAny(s, "\n\r\t"), field, "invalid", "must be one short line")
	}
	word("response.kind", r.Response.Kind, 30)
	word("response.ref", r.Response.Ref, 100)
	word("response.by", r.Response.By, 200)
	word("lead_id", r.LeadID, 100)
	return v.Err()
}

// Customer is what returning a customer decides on, as stored now.
type Customer struct {
	Stage   string
	Deleted bool
	Mark    string // the campaign whose win-back it is in, "" when none
}

// Change is what the win-back does to a customer, stored in one
// transaction: its mark, and a lifecycle change with its history item.
type Change struct {
	// Mark is the customer's mark afterwards.
	Mark string
	// To is the lifecycle stage it moves to ("": it stays), for Reason, as
	// a change of Actor's at At; Lost is what its record keeps of a loss
	// afterwards.
	To, Reason, Actor string
	At                time.Time
	Lost              custdomain.Lost
	// Item is the history item that says so (nil: none).
	Item *actdomain.Action
}

// Returned decides what the customer's answer to the campaign's win-back
// does to it, at `at`: a customer still lost (and not deleted) is back on
// the prospect list — lifecycle lost → prospect, for "win-back: responded
// (<kind>)", a change of the win-back's (Actor), with an item on its
// history (department marketing, category campaign, once per campaign and
// customer); any other (a person already moved it out of lost, or it is
// deleted) is left as it is. Either way the campaign's mark is cleared (a
// mark another campaign set since stays). Returning a customer twice
// changes nothing the second time.
func Returned(c Customer, r Return, at time.Time) (Change, error) {
	ch := Change{Mark: Mark{ClearCampaignID: r.CampaignID}.Apply(c.Mark)}
	to := custdomain.StageProspect
	if c.Deleted || c.Stage != stageLost || !custdomain.CanTransition(custdomain.StageLost, to) {
		return ch, nil
	}
	kind := ""
	if r.Response.Kind != "" {
		kind = " (" + r.Response.Kind + ")"
	}
	ch.To, ch.Reason, ch.Actor, ch.At = string(to), "win-back: responded"+kind, Actor, at.UTC()
	ch.Lost = custdomain.LostAfter(to, ch.Reason, "", at)
	summary := "Back on the prospect list: the customer responded to win-back campaign " + r.CampaignID
	var how []string
	if r.Response.Kind != "" {
		how = append(how, r.Response.Kind)
	}
	if r.Response.By != "" {
		how = append(how, "by "+r.Response.By)
	}
	if !r.Response.At.IsZero() {
		how = append(how, "at "+r.Response.At.UTC().Format(time.RFC3339))
	}
	if len(how) > 0 {
		summary += " (" + strings.Join(how, " ") + ")"
	}
	if r.LeadID != "" {
		summary += "; lead " + r.LeadID + " is with sales"
	}
	item, err := actdomain.NewCampaignEvent(actdomain.CampaignEvent{Key: "winback-returned\x00" + r.CampaignID + "\x00" + r.CustomerID,
		CustomerID: r.CustomerID, CampaignID: r.CampaignID, Actor: Actor, Title: "Back on the prospect list: responded to the win-back" + kind,
		Summary: summary + ".", At: at}, at)
	if err != nil {
		return Change{}, err
	}
	ch.Item = &item
	return ch, nil
}
