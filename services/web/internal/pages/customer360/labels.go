package customer360

import (
	"strconv"
	"strings"
	"time"

	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// label is value's name in the user's language (prefix+value in the
// catalogue), or the value as the service says it when the catalogue does
// not know it yet (a new department, kind or state).
func label(x *view.Ctx, prefix, value string) string {
	if value == "" {
		return ""
	}
	if m := x.T(prefix + value); m != prefix+value {
		return m
	}
	return value
}

// L is label for the page's templates.
func (d *pageData) L(prefix, value string) string { return label(d.Ctx, prefix, value) }

// StageName is a lifecycle stage's name ("" for none).
func (d *pageData) StageName(s string) string {
	if s == "" {
		return d.T("common.none")
	}
	return label(d.Ctx, "stage.", s)
}

// StageName is a stage's name in a stage change of kind stage_lifecycle or
// stage_relationship.
func (t *timelineData) StageName(kind, s string) string {
	switch {
	case s == "":
		return t.T("common.none")
	case kind == "stage_relationship":
		return label(t.Ctx, "customer360.rel.", s)
	}
	return label(t.Ctx, "stage.", s)
}

// L is label for the timeline's template.
func (t *timelineData) L(prefix, value string) string { return label(t.Ctx, prefix, value) }

// EventName is what happened to a timeline entry's record, in words: a
// service case's change (kind service_case), an info slip's (kind
// info_slip) or a lead's or an opportunity's event.
func (t *timelineData) EventName(kind, event string) string {
	switch kind {
	case caseCategory:
		return label(t.Ctx, "customer360.case_event.", event)
	case slipCategory:
		return label(t.Ctx, "customer360.slip_event.", event)
	}
	return label(t.Ctx, "customer360.event.", event)
}

// LinkKind names what a timeline entry's link opens (lead, opportunity,
// visit), for the link's text.
func (t *timelineData) LinkKind(link string) string {
	kind, _, _ := strings.Cut(strings.TrimPrefix(link, "/"), "/")
	return kind
}

// Cadence says a care cadence: how long a customer of its class may go
// without a contact, in calendar time or in working time of a calendar
// ("30d", "240h").
func (d *pageData) Cadence(c *customerapi.Cadence) string {
	dur := view.Str(c.Duration)
	span := dur
	if n, err := strconv.Atoi(strings.TrimSuffix(dur, "d")); err == nil && strings.HasSuffix(dur, "d") {
		span = d.T("customer360.days", "Count", n)
	} else if t, err := time.ParseDuration(dur); err == nil && t%time.Hour == 0 {
		span = d.T("customer360.hours", "Count", int(t/time.Hour))
	}
	if view.Str(c.Clock) == "business" {
		return d.T("customer360.cadence_business", "Span", span, "Class", view.Str(c.ValueClass), "Calendar", view.Str(c.Calendar))
	}
	return d.T("customer360.cadence_calendar", "Span", span, "Class", view.Str(c.ValueClass))
}

// NotInCare says why the customer service answered that the customer is
// not in care, in the user's language: the service's rule (care is for
// transacting and service customers with an owner and a class) read off
// the customer's own fields; a reason this page does not know yet is shown
// as the service words it.
func (d *pageData) NotInCare() string {
	c := d.C
	stage := view.Str(c.LifecycleStage)
	switch {
	case c.DeletedAt != nil:
		return d.T("customer360.care_not.deleted")
	case stage != "transacting" && stage != "service":
		return d.T("customer360.care_not.stage", "Stage", label(d.Ctx, "stage.", stage))
	case view.Str(c.OwnerId) == "":
		return d.T("customer360.care_not.owner")
	case view.Str(c.ValueClass) == "":
		return d.T("customer360.care_not.class")
	}
	if c.Care != nil && view.Str(c.Care.NotInCareReason) != "" {
		return view.Str(c.Care.NotInCareReason)
	}
	return d.T("customer360.care_not.other")
}
