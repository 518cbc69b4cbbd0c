package domain

import (
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
)

// AnswersLead reports whether a logged contact answers an open first-contact
// follow-up (owned by owner, on the workflow workflowID): a contact logged on
// its lead answers it, whoever's it is; a contact naming no lead answers the
// follow-ups of the person who logged it (actor).
func AnswersLead(owner, workflowID string, leads []string, actor string) bool {
	if len(leads) == 0 {
		return owner == actor
	}
	for _, id := range leads {
		if workflowID == wfc.LeadWorkflowID(id) {
			return true
		}
	}
	return false
}
