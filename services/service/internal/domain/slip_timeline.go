package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Kinds of a slip's timeline entries. Recipient is the number of the part
// the entry is about (0: the slip as a whole); From and To, where a kind
// uses them, are listed with it.
const (
	SlipKindCreated      = "created"      // Body: the subject
	SlipKindRouted       = "routed"       // From, To: the person before ("" none) and after
	SlipKindAcknowledged = "acknowledged" //
	SlipKindDone         = "done"         // Body: the action note
	SlipKindRejected     = "rejected"     // Reason
	SlipKindForwarded    = "forwarded"    // To: the new recipient's number; Body: the note
	SlipKindAdded        = "added"        // Recipient: the new one; To: who it is (SlipRecipient.Label)
	SlipKindRerouted     = "rerouted"     // To: the new recipient's number; Reason
	SlipKindDismissed    = "dismissed"    // Reason
	SlipKindObjected     = "objected"     // Reason: what is still missing
	SlipKindClosed       = "closed"       // Reason: "" confirmed, else why it closed by itself
	SlipKindWithdrawn    = "withdrawn"    // Reason
	SlipKindReminded     = "reminded"     // Body: what the chase did (the workflow's)
	SlipKindEscalated    = "escalated"    // Body: to whom (the workflow's)
)

// SlipKinds lists the kinds of slip entries.
var SlipKinds = []string{SlipKindCreated, SlipKindRouted, SlipKindAcknowledged, SlipKindDone, SlipKindRejected, SlipKindForwarded,
	SlipKindAdded, SlipKindRerouted, SlipKindDismissed, SlipKindObjected, SlipKindClosed, SlipKindWithdrawn, SlipKindReminded, SlipKindEscalated}

// SlipEntry is one entry of a slip's timeline.
type SlipEntry struct {
	// ID is "" until stored (the repository makes a time-ordered one); a
	// caller that retries a change (the workflow's activity) sets the first
	// entry's, and a change whose entry id is stored is not applied twice.
	ID        string
	SlipID    string
	Kind      string
	Actor     string
	At        time.Time
	Recipient int32
	Body      string
	Reason    string
	From, To  string
}

func (s Slip) entry(kind, actor string, at time.Time) SlipEntry {
	return SlipEntry{SlipID: s.ID, Kind: kind, Actor: actor, At: at}
}

// SlipChaseEntry is the entry of a step of a recipient's chase that the
// workflow records (reminded or escalated), as WorkflowActor: body says
// what the step did. The recipient must be the slip's.
func SlipChaseEntry(s Slip, kind string, recipient int32, body string, at time.Time) (SlipEntry, error) {
	var v apperr.Validation
	v.Check(kind == SlipKindReminded || kind == SlipKindEscalated, "kind", "invalid", "reminded or escalated")
	_, ok := s.Recipient(recipient)
	v.Check(ok, "recipient", "recipient_not_found", "the slip has no such recipient")
	text(&v, "body", body, MaxBody, false)
	if err := v.Err(); err != nil {
		return SlipEntry{}, err
	}
	e := s.entry(kind, WorkflowActor, instant(at))
	e.Recipient, e.Body = recipient, strings.TrimSpace(body)
	return e, nil
}

// KnownSlipKind reports whether k is a kind of slip entry.
func KnownSlipKind(k string) bool { return slices.Contains(SlipKinds, k) }
