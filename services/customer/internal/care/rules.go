package care

import (
	"fmt"
	"strings"
	"time"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/policy"
)

// The pure rules of care: whether an open care follow-up still applies, what
// closing one does to its customer, and the cadence in force. No I/O.

// States of a care follow-up (the engine's words for the same states).
const (
	StateOpen      = "open"
	StateDone      = "done"
	StateCancelled = "cancelled"
)

// openCare is an open care follow-up with its customer as it is now.
type openCare struct {
	OwnerID, PolicyKey              string
	AnchorAt                        time.Time
	CustOwner, CustClass, CustStage string
	CustDeleted                     bool
	CustCareFrom, CustLastContact   *time.Time
	CustFound                       bool
}

// verdict says whether an open care follow-up still applies: "" when it does,
// else the state to close it with and why.
func (o openCare) verdict() (state, note string) {
	switch {
	case !o.CustFound || o.CustDeleted:
		return StateCancelled, "the customer was deleted"
	case !isCareStage(o.CustStage):
		return StateCancelled, "the customer left care: its lifecycle stage is now " + o.CustStage
	case o.CustOwner == "":
		return StateCancelled, "the customer has no owner any more"
	case o.CustClass != o.PolicyKey:
		return StateCancelled, fmt.Sprintf("the customer's value class changed from %s to %s", orNone(o.PolicyKey), orNone(o.CustClass))
	case o.CustOwner != o.OwnerID:
		return StateCancelled, fmt.Sprintf("the customer's owner changed from %s to %s", o.OwnerID, o.CustOwner)
	case o.CustLastContact != nil && o.CustLastContact.After(o.AnchorAt):
		return StateDone, "a contact was logged at " + o.CustLastContact.UTC().Format(time.RFC3339)
	case o.CustCareFrom != nil && o.CustCareFrom.After(o.AnchorAt):
		return StateCancelled, "the care cadence restarted at " + o.CustCareFrom.UTC().Format(time.RFC3339)
	}
	return "", ""
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// careFields are a customer's care columns: care_from, last_contact_at and
// care_epoch.
type careFields struct {
	CareFrom, LastContact *time.Time
	Epoch                 int64
}

// closeEffect is what closing a care follow-up anchored at anchor, with state
// by `by` at `at`, does to its customer's care fields:
//
//   - done: the owner met the obligation. Unless a contact was already logged
//     after the follow-up's anchor (the anchor moved past it, or the last
//     contact is at or after the close), the close itself counts as the
//     contact: care anchor and last contact move to the close instant.
//   - cancelled: the epoch moves so the next follow-up gets a fresh id; when a
//     person (not the workflow or the system) cancelled it, the round is
//     waived and the cadence restarts from the close instant.
//
// Any other state changes nothing. A customer without a care anchor keeps
// none.
func closeEffect(c careFields, state, by string, anchor, at time.Time) careFields {
	switch state {
	case StateDone:
		if c.CareFrom != nil && !c.CareFrom.After(anchor) && (c.LastContact == nil || c.LastContact.Before(at)) {
			c.CareFrom, c.LastContact = &at, &at
		}
	case StateCancelled:
		c.Epoch++
		if byPerson(by) && c.CareFrom != nil && c.CareFrom.Before(at) {
			c.CareFrom = &at
		}
	}
	return c
}

// byPerson says whether a close was a person's (not the workflow's nor the
// system's).
func byPerson(by string) bool {
	return by != "" && by != "workflow" && by != "system" && !strings.HasPrefix(by, "system:")
}

// cadenceTimer is the care cadence timer for a value class under the terms.
func cadenceTimer(terms *followupv1.CareTerms, class string) (policy.Timer, error) {
	c := terms.GetCadence()
	value, err := policy.Parse(c.GetValueJson())
	if err != nil {
		return policy.Timer{}, fmt.Errorf("policy %s v%d: %w", policy.CareCadence, c.GetVersion(), err)
	}
	timer, ok := value.TimerFor(class)
	if !ok {
		return policy.Timer{}, fmt.Errorf("policy %s v%d has no entry for class %s", policy.CareCadence, c.GetVersion(), class)
	}
	return timer, nil
}
