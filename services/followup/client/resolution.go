package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
)

// Resolution is what a workflow's ResolvePolicies activity would answer
// now, for a service that starts a workflow with it (GET /v1/resolution).
type Resolution struct {
	// Result is the answer as the workflows carry it; share it, never change it.
	Result *followupv1.ResolvePoliciesResult
	// Calendar is the assigned calendar, decoded.
	Calendar Calendar
	// At is the instant the versions are in force at.
	At time.Time
	// NextChangeAt is when a scheduled version of one of the policies comes
	// into force (zero: none is scheduled); the answer is stale from then on.
	NextChangeAt time.Time
}

type resolutionBody struct {
	AssignedCalendar string `json:"assigned_calendar"`
	Policies         []struct {
		Name          string          `json:"name"`
		Version       int64           `json:"version"`
		ValueJSON     json.RawMessage `json:"value_json"`
		EffectiveFrom time.Time       `json:"effective_from"`
	} `json:"policies"`
	Calendars []struct {
		Name     string          `json:"name"`
		Version  int64           `json:"version"`
		SpecJSON json.RawMessage `json:"spec_json"`
	} `json:"calendars"`
	At           time.Time  `json:"at"`
	NextChangeAt *time.Time `json:"next_change_at"`
}

// Resolution resolves the named policies and the calendars they use for a
// team and region (the team's calendar, else the region's, else the
// default), now. A follow-up service older than the call answers 404
// (NotFound): the caller goes on without it.
func (c *Client) Resolution(ctx context.Context, team, region string, policies ...string) (Resolution, error) {
	q := url.Values{"team": {team}, "region": {region}, "policy": policies}
	var out resolutionBody
	if err := c.do(ctx, http.MethodGet, "/v1/resolution?"+q.Encode(), nil, &out); err != nil {
		return Resolution{}, err
	}
	res := &followupv1.ResolvePoliciesResult{AssignedCalendar: out.AssignedCalendar}
	for _, p := range out.Policies {
		res.Policies = append(res.Policies, &followupv1.ResolvedPolicy{Name: p.Name, Version: p.Version, ValueJson: p.ValueJSON, EffectiveFrom: timestamppb.New(p.EffectiveFrom)})
	}
	r := Resolution{Result: res, At: out.At}
	if out.NextChangeAt != nil {
		r.NextChangeAt = *out.NextChangeAt
	}
	for _, cal := range out.Calendars {
		res.Calendars = append(res.Calendars, &followupv1.ResolvedCalendar{Name: cal.Name, Version: cal.Version, SpecJson: cal.SpecJSON})
		if cal.Name != out.AssignedCalendar {
			continue
		}
		decoded, err := decodeCalendar(cal.Name, cal.Version, cal.SpecJSON)
		if err != nil {
			return Resolution{}, err
		}
		r.Calendar = decoded
	}
	if r.Calendar.Calendar == nil {
		return Resolution{}, unavailable("the follow-up service answered no assigned calendar").
			Wrap(fmt.Errorf("assigned calendar %q is not among the %d calendars answered", out.AssignedCalendar, len(out.Calendars)))
	}
	return r, nil
}
