package domain

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Actions of a win-back cadence's steps.
const (
	StepCall  = "call"
	StepVisit = "visit"
	StepOffer = "offer"
	// StepEmail emails the customer's contact (email.go).
	StepEmail = "email"
)

// StepActions lists every action a step may take.
var StepActions = []string{StepCall, StepVisit, StepOffer, StepEmail}

// MaxSteps is the most steps a cadence has.
const MaxSteps = 12

// Step is one touch of a win-back cadence: Action, After the customer's
// enrolment.
type Step struct {
	After  time.Duration
	Action string
}

// ValidateCadence checks a cadence: 1 to MaxSteps steps, each a known action
// at an offset of 0 or more, offsets strictly increasing (two touches at one
// offset are one touch too many). Every bad step is reported at once, as
// "steps[i].after" or "steps[i].action".
func ValidateCadence(steps []Step) error {
	var v apperr.Validation
	v.Check(len(steps) > 0, "steps", "required", "at least one step")
	v.Check(len(steps) <= MaxSteps, "steps", "too_many", "at most "+strconv.Itoa(MaxSteps)+" steps")
	for i, s := range steps {
		f := "steps[" + strconv.Itoa(i) + "]"
		if v.Check(s.After >= 0, f+".after", "out_of_range", "0 or more after the enrolment") && i > 0 {
			v.Check(s.After > steps[i-1].After, f+".after", "not_increasing", "later than the step before")
		}
		v.Check(slices.Contains(StepActions, s.Action), f+".action", "invalid", "one of "+strings.Join(StepActions, ", "))
	}
	return v.Err()
}

// NextStep is the index of the next touch of a customer who has had
// stepsDone touches of the cadence steps, and false when none is left.
//
// Touches are counted, not matched by offset: the next touch is always the
// step at index stepsDone. So a cadence edited while customers are in it
// never repeats a touch they already had — a customer who had two touches
// gets the new cadence's third step, whatever the offsets of its first two
// — and a step whose offset has already passed is due at once.
func NextStep(stepsDone int, steps []Step) (int, bool) {
	stepsDone = max(stepsDone, 0)
	return stepsDone, stepsDone < len(steps)
}
