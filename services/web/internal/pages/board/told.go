package board

import (
	"time"

	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// Told is a message one of the follow-up's steps sent: to a person, or to
// the managers of a team; and who read it when. A manager sees whether the
// owner has seen the reminder before acting on an escalation.
type Told struct {
	Action     string
	At         *time.Time
	UserID     string
	ManagersOf string
	Urgent     bool
	Reads      []Read
}

// Read is one reader's reading.
type Read struct {
	UserID string
	At     *time.Time
}

func toldOf(in []followupapi.Told) []Told {
	out := make([]Told, 0, len(in))
	for _, t := range in {
		o := Told{Action: view.Str(t.Action), At: t.At, UserID: view.Str(t.UserId), ManagersOf: view.Str(t.ManagersOf),
			Urgent: t.Urgent != nil && *t.Urgent}
		if t.Reads != nil {
			for _, r := range *t.Reads {
				o.Reads = append(o.Reads, Read{UserID: view.Str(r.UserId), At: r.At})
			}
		}
		out = append(out, o)
	}
	return out
}
