package board

import (
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
)

// The values the filters offer: the follow-up service's kinds and lateness
// buckets (its OpenAPI enums), and what a page can be grouped by.
var (
	Kinds = []string{"first_contact", "stale_stage", "visit_log", "care_contact", "service_response",
		"service_resolution", "slip_ack", "slip_close", "winback_touch", "callback", "notice_ack"}
	Buckets = []string{"under_1d", "1d_3d", "3d_7d", "over_7d"}
	Groups  = []string{"team", "owner", "kind", "territory", "lateness"}
)

// maxText bounds the free-text filters (team, owner, territory, customer):
// longer values are no id the services hold.
const maxText = 100

// Filter is the board's filter as the user set it.
type Filter struct {
	Team, Owner, Kind, Territory, Lateness, Customer string
	// Group sections the page's rows ("" for one list).
	Group string
}

// FilterFrom reads the filter from the query, dropping values the service
// would refuse, so a hand-edited link shows the wider board rather than an
// error page.
func FilterFrom(q url.Values) Filter {
	text := func(k string) string {
		v := strings.TrimSpace(q.Get(k))
		if len(v) > maxText {
			return ""
		}
		return v
	}
	f := Filter{Team: text("team"), Owner: text("owner_id"), Territory: text("territory"), Customer: text("customer_id")}
	if v := q.Get("kind"); slices.Contains(Kinds, v) {
		f.Kind = v
	}
	if v := q.Get("lateness"); slices.Contains(Buckets, v) {
		f.Lateness = v
	}
	if v := q.Get("group"); slices.Contains(Groups, v) {
		f.Group = v
	}
	return f
}

func filterOf(c *gin.Context) Filter { return FilterFrom(c.Request.URL.Query()) }

// Query is the filter as a query string (without cursor), for the polled
// parts and the links that keep the filters.
func (f Filter) Query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"team": f.Team, "owner_id": f.Owner, "kind": f.Kind, "territory": f.Territory,
		"lateness": f.Lateness, "customer_id": f.Customer, "group": f.Group} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// Active reports whether any filter narrows the board (grouping does not).
func (f Filter) Active() bool {
	f.Group = ""
	return f != Filter{}
}

func ptr(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

// ListParams are the follow-up service's overdue-list parameters.
func (f Filter) ListParams(limit int, cursor string) *followupapi.GetFollowUpsOverdueParams {
	p := &followupapi.GetFollowUpsOverdueParams{Team: ptr(f.Team), OwnerId: ptr(f.Owner), Territory: ptr(f.Territory),
		CustomerId: ptr(f.Customer), Limit: &limit, Cursor: ptr(cursor)}
	if f.Kind != "" {
		k := followupapi.GetFollowUpsOverdueParamsKind(f.Kind)
		p.Kind = &k
	}
	if f.Lateness != "" {
		l := followupapi.GetFollowUpsOverdueParamsLateness(f.Lateness)
		p.Lateness = &l
	}
	return p
}

// CountParams are the follow-up service's overdue-counts parameters.
func (f Filter) CountParams() *followupapi.GetFollowUpsOverdueCountsParams {
	p := &followupapi.GetFollowUpsOverdueCountsParams{Team: ptr(f.Team), OwnerId: ptr(f.Owner), Territory: ptr(f.Territory),
		CustomerId: ptr(f.Customer)}
	if f.Kind != "" {
		k := followupapi.GetFollowUpsOverdueCountsParamsKind(f.Kind)
		p.Kind = &k
	}
	if f.Lateness != "" {
		l := followupapi.GetFollowUpsOverdueCountsParamsLateness(f.Lateness)
		p.Lateness = &l
	}
	return p
}
