package domain

import (
	"slices"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Limits of a contact-pressure rule.
const (
	MaxPressureTouches = 100
	MinPressureWindow  = 24 * time.Hour
	MaxPressureWindow  = 365 * 24 * time.Hour
)

// Pressure is the contact-pressure limit: no customer is touched more than
// MaxTouches times in any Window, counting the touches of every campaign.
// The zero Pressure sets no limit.
type Pressure struct {
	MaxTouches int
	Window     time.Duration
}

// Validate checks the limit: 1 to 100 touches in 1 to 365 days.
func (p Pressure) Validate() error {
	var v apperr.Validation
	v.Check(p.MaxTouches >= 1 && p.MaxTouches <= MaxPressureTouches, "max_touches", "out_of_range", "from 1 to 100 touches")
	v.Check(p.Window >= MinPressureWindow && p.Window <= MaxPressureWindow, "window", "out_of_range", "from 1 to 365 days")
	return v.Err()
}

// NextAllowed says when the customer whose earlier touches are previous (in
// any order, across all campaigns) may be touched again, asked at at: at
// itself (true) while fewer than MaxTouches of them lie in the window
// (at−Window, at]; otherwise (false) the earliest instant at which enough of
// them have left the window — a touch at t leaves it at t+Window. Touches
// after at are not previous and are not counted.
func (p Pressure) NextAllowed(previous []time.Time, at time.Time) (time.Time, bool) {
	if p.MaxTouches <= 0 {
		return at, true
	}
	from := at.Add(-p.Window)
	var in []time.Time
	for _, t := range previous {
		if t.After(from) && !t.After(at) {
			in = append(in, t)
		}
	}
	if len(in) < p.MaxTouches {
		return at, true
	}
	slices.SortFunc(in, func(a, b time.Time) int { return a.Compare(b) })
	// The window must lose len(in)-MaxTouches+1 touches, the oldest first.
	return in[len(in)-p.MaxTouches].Add(p.Window), false
}
