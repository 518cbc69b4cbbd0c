package myday

import (
	"strings"

	contract "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/workflows/policy"
)

// How a follow-up is answered by a logged call or visit.
type how int

const (
	// notByContact: nothing a call or a visit does answers it (a stale
	// funnel stage, a service ticket, an info slip); the row links to it.
	notByContact how = iota
	// byVisitLog: the visit's log (POST /v1/visits/{id}/log) closes the
	// visit-log follow-up of the visit on Day to CustomerID.
	byVisitLog
	// byLeadContact: a contact on the lead (POST /v1/leads/{id}/contacts)
	// ends its first-contact follow-up.
	byLeadContact
	// byAction: an action log on the customer (POST /v1/actions) records the
	// contact; it closes a care contact itself, and any other follow-up it
	// answers is then completed with the log's summary as its note.
	byAction
)

// answer says how one follow-up is answered and on what.
type answer struct {
	How        how
	LeadID     string
	CustomerID string
	Day        string
	// Channels are the contacts that answer it: "call", "visit".
	Channels []string
}

// answerFor finds what answers a follow-up of kind, from the workflow that
// keeps it (its id names the lead or the customer-day; see
// proto/contract/workflows).
func answerFor(kind, workflowID, customerID string) answer {
	both := []string{"call", "visit"}
	switch kind {
	case policy.KindVisitLog:
		rest, ok := strings.CutPrefix(workflowID, contract.WorkflowVisit+":")
		if i := strings.LastIndex(rest, ":"); ok && i > 0 && i < len(rest)-1 {
			return answer{How: byVisitLog, CustomerID: rest[:i], Day: rest[i+1:], Channels: []string{"visit"}}
		}
		return answer{How: notByContact}
	case policy.KindFirstContact:
		if id, ok := strings.CutPrefix(workflowID, contract.WorkflowLead+":"); ok && id != "" {
			return answer{How: byLeadContact, LeadID: id, CustomerID: customerID, Channels: both}
		}
		// A first contact kept by another workflow: a logged contact on
		// its customer answers the first contacts of the leads you own
		// there (docs/api/actions.md).
		return answer{How: byAction, CustomerID: customerID, Channels: both}
	case policy.KindCareContact, policy.KindCallback, policy.KindWinBackTouch:
		if customerID == "" {
			return answer{How: notByContact}
		}
		return answer{How: byAction, CustomerID: customerID, Channels: both}
	}
	return answer{How: notByContact}
}
