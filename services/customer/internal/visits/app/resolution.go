package app

import (
	"context"
	"errors"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/customer/internal/visits/domain"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

// calendarTTL is how long the API reuses what it asked the follow-up service
// for a team and region: calendars and policies change seldom, and under a
// burst of requests asking for each one would load the follow-up service
// for nothing.
const calendarTTL = 5 * time.Second

// resolved is what the API knows of a team and region: the assigned
// calendar, for the day rule, and the resolution a Visit workflow starts
// with (the reminder policy and the calendars), so that it need not run an
// activity to ask again. res is nil when the follow-up service is older than
// GET /v1/resolution (a rolling upgrade): the workflow then resolves itself.
type resolved struct {
	cal *calendar.Calendar
	res *followupv1.ResolvePoliciesResult
	// until: reused until then — at most calendarTTL after the answer, and
	// never past the instant a scheduled reminder policy comes into force.
	until time.Time
}

// resolutionOf is what the follow-up service resolves for the customer's
// team and region (reused while fresh, see resolved), asked as the caller.
// A follow-up service that does not answer is a 503
// (followup_service_unavailable): the request is refused, nothing stored.
func (s *Visits) resolutionOf(ctx context.Context, c domain.Customer) (resolved, error) {
	key := c.Team + "\x00" + c.Region
	s.mu.Lock()
	hit, ok := s.cals[key]
	s.mu.Unlock()
	if ok && time.Now().Before(hit.until) {
		return hit, nil
	}
	v, err, shared := s.calFetch.Do(key, func() (any, error) { return s.fetchResolution(ctx, c.Team, c.Region) })
	if err != nil && shared {
		// The call another request made failed: its token, its deadline or
		// its cancellation are not this caller's. Ask as this caller.
		v, err = s.fetchResolution(ctx, c.Team, c.Region)
	}
	if err != nil {
		if e := apperr.From(err); e.Kind == apperr.KindUnavailable {
			return resolved{}, apperr.Unavailable(e.Code, "the customer's business calendar could not be read: "+e.Message).Wrap(err)
		}
		return resolved{}, err
	}
	r := v.(resolved)
	s.mu.Lock()
	s.cals[key] = r
	s.mu.Unlock()
	return r, nil
}

// fetchResolution asks the follow-up service for the reminder policy and
// the calendars; an older follow-up service (404) for the calendar alone.
func (s *Visits) fetchResolution(ctx context.Context, team, region string) (resolved, error) {
	asked := time.Now()
	until := asked.Add(calendarTTL)
	r, err := s.calendars.Resolution(ctx, team, region, policy.VisitReminder)
	if apperr.From(err).Kind == apperr.KindNotFound {
		cal, err := s.calendars.AssignedCalendar(ctx, team, region)
		if err != nil {
			return resolved{}, err
		}
		if cal.Calendar == nil {
			return resolved{}, errors.New("visits: the follow-up service answered no calendar")
		}
		return resolved{cal: cal.Calendar, until: until}, nil
	}
	if err != nil {
		return resolved{}, err
	}
	if r.Calendar.Calendar == nil || r.Result == nil {
		return resolved{}, errors.New("visits: the follow-up service answered no calendar")
	}
	if !r.NextChangeAt.IsZero() {
		// On this clock: the follow-up service's may differ.
		if change := asked.Add(r.NextChangeAt.Sub(r.At)); change.Before(until) {
			until = change
		}
	}
	return resolved{cal: r.Calendar.Calendar, res: r.Result, until: until}, nil
}
