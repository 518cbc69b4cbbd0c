package domain

import "time"

// WonBackAt says when an enrolled lost customer counts as won back, or nil:
// only an opportunity won, or the customer transacting again, within the
// attribution window of their enrolment counts — a response alone does not
// (field studies: about one lost customer in four comes back; a campaign is
// judged on the ones that buy). already, once set, stays. firstWon is the
// first win since the enrolment; transacting says the customer is
// transacting again as of at.
func WonBackAt(enrolledAt time.Time, window time.Duration, already, firstWon *time.Time, transacting bool, at time.Time) *time.Time {
	if already != nil {
		return already
	}
	end := enrolledAt.Add(window)
	if firstWon != nil && !firstWon.Before(enrolledAt) && !firstWon.After(end) {
		t := *firstWon
		return &t
	}
	if transacting && !at.Before(enrolledAt) && !at.After(end) {
		t := at
		return &t
	}
	return nil
}
