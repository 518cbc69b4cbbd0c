package domain

import "time"

// LeadProgress is the part of a lead its commands change.
type LeadProgress struct {
	State          string
	FirstContactAt *time.Time
	CloseReason    string
	ClosedAt       *time.Time
	OpportunityID  string
}

// LeadChange is a contact, qualification, disqualification or conversion.
type LeadChange struct {
	Op, Channel, Summary, Reason string
	// OpportunityID and OpportunityName: the opportunity a conversion creates.
	OpportunityID, OpportunityName string
	At                             time.Time
}

// LeadEvent is what a change puts on the lead's timeline.
type LeadEvent struct {
	Kind, Summary string
	// Data are key, value pairs for the event's data.
	Data []string
}

// Apply changes the lead as c says, or refuses it; it returns the timeline
// event. The first contact sets first_contact_at and moves a new lead to
// contacted; qualify needs a contacted lead; disqualify and convert close it.
func (p *LeadProgress) Apply(c LeadChange) (LeadEvent, error) {
	if err := CheckLeadCommand(p.State, c.Op); err != nil {
		return LeadEvent{}, err
	}
	at := c.At.UTC()
	var ev LeadEvent
	switch c.Op {
	case OpContact:
		ev = LeadEvent{Kind: "contact", Summary: c.Channel + ": " + c.Summary, Data: []string{"channel", c.Channel}}
		if p.FirstContactAt == nil {
			p.FirstContactAt = &at
			ev.Kind = "first_contact"
		}
		if p.State == LeadNew {
			p.State = LeadContacted
		}
	case OpQualify:
		p.State = LeadQualified
		ev = LeadEvent{Kind: "qualified", Summary: nonEmpty(c.Reason, "qualified")}
	case OpDisqualify:
		p.State, p.CloseReason, p.ClosedAt = LeadDisqualified, c.Reason, &at
		ev = LeadEvent{Kind: "disqualified", Summary: "disqualified: " + c.Reason}
	case OpConvert:
		if c.OpportunityID == "" {
			return LeadEvent{}, fieldErr("opportunity", "required", "convert needs the opportunity to create")
		}
		p.State, p.OpportunityID, p.ClosedAt = LeadConverted, c.OpportunityID, &at
		ev = LeadEvent{Kind: "converted", Summary: "converted to opportunity " + c.OpportunityName, Data: []string{"opportunity_id", c.OpportunityID}}
	}
	return ev, nil
}
