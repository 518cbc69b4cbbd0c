// Package sales holds the names under which the sales service exposes its
// Temporal activities. These strings are the cross-service contract between
// the sales service (which registers the activities on TaskQueue) and the Lead
// and Opportunity workflows (which schedule them by name): change them only
// together with every caller, and never while workflows that use the old names
// are running.
//
// Activity payloads are the protobuf messages in
// github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1.
package sales

// TaskQueue is the Temporal task queue the sales service's worker polls.
const TaskQueue = "sales"

// Activity names registered by the sales service.
const (
	// ActivityAssignLead assigns a lead by the territory rules, to a named
	// rep, or to the pool, and records it on the timeline; the first call
	// also stores the new lead. Input salesv1.AssignLeadInput, result
	// salesv1.Assignment.
	ActivityAssignLead = "sales.AssignLead"
	// ActivityRouteLead reserves the rep the territory rules give a new lead
	// before its customer is found (its first AssignLead takes or releases
	// the reservation). Input salesv1.RouteLeadInput, result
	// salesv1.RouteLeadResult.
	ActivityRouteLead = "sales.RouteLead"
	// ActivityRecordEvent appends a timeline event (idempotent on its id).
	// Input salesv1.TimelineEvent.
	ActivityRecordEvent = "sales.RecordEvent"
	// ActivityApplyLeadCommand applies a contact, qualification,
	// disqualification or conversion. Input salesv1.LeadCommand, result
	// salesv1.LeadSnapshot.
	ActivityApplyLeadCommand = "sales.ApplyLeadCommand"
	// ActivityCreateOpportunity stores a new opportunity (idempotent on its
	// id). Input salesv1.OpportunityData, result salesv1.OpportunitySnapshot.
	ActivityCreateOpportunity = "sales.CreateOpportunity"
	// ActivityApplyOpportunityCommand changes an opportunity's stage or closes
	// it. Input salesv1.OpportunityCommand, result salesv1.OpportunitySnapshot.
	ActivityApplyOpportunityCommand = "sales.ApplyOpportunityCommand"
)

// Activities the marketing workflows use (payloads in
// github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1).
const (
	// ActivityCustomerOutcomes says, for a list of customers, how many
	// leads and opportunities each had created, won and for what revenue in
	// a period: a campaign's evaluation compares its treated and held-out
	// customers. Input marketingv1.CustomerOutcomesInput, result
	// marketingv1.CustomerOutcomesResult.
	ActivityCustomerOutcomes = "sales.CustomerOutcomes"
)
