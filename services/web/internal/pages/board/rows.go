package board

import (
	"net/url"
	"strings"
	"time"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// Subject is the record a follow-up's workflow keeps (a lead, an
// opportunity, a visit), as a console page links it.
type Subject struct {
	Kind string // "lead", "opportunity", "visit", "case", "slip", "notice"
	ID   string // the lead's or opportunity's id; the visit's day
	Href string
}

// SubjectOf reads the subject from the id of the workflow that owns a
// follow-up (proto/contract/workflows: Lead:<id>, Opportunity:<id>,
// Visit:<customer>:<day>, ServiceCase:<id>, InfoSlip:<id>,
// NoticeAck:<notice>:<reader>). A FollowUp workflow of its own (a call-back,
// a care contact) has none beyond its customer.
func SubjectOf(workflowID string) (Subject, bool) {
	kind, rest, ok := strings.Cut(workflowID, ":")
	if !ok || rest == "" {
		return Subject{}, false
	}
	switch kind {
	case wfc.WorkflowLead:
		return Subject{Kind: "lead", ID: rest, Href: "/leads/" + url.PathEscape(rest)}, true
	case wfc.WorkflowOpportunity:
		return Subject{Kind: "opportunity", ID: rest, Href: "/opportunities/" + url.PathEscape(rest)}, true
	case wfc.WorkflowVisit:
		// The customer id holds no colon; the day is the last part.
		i := strings.LastIndexByte(rest, ':')
		if i < 0 {
			return Subject{}, false
		}
		day := rest[i+1:]
		if _, err := time.Parse(time.DateOnly, day); err != nil {
			return Subject{}, false
		}
		return Subject{Kind: "visit", ID: day, Href: "/visits?" + url.Values{"week": {day}}.Encode()}, true
	case wfc.WorkflowServiceCase:
		return Subject{Kind: "case", ID: rest, Href: "/cases/" + url.PathEscape(rest)}, true
	case wfc.WorkflowInfoSlip:
		return Subject{Kind: "slip", ID: rest, Href: "/slips/" + url.PathEscape(rest)}, true
	case wfc.WorkflowNoticeAck:
		// NoticeAck:<notice>:<reader>; the notice id holds no colon.
		id, _, ok := strings.Cut(rest, ":")
		if !ok || id == "" {
			return Subject{}, false
		}
		return Subject{Kind: "notice", ID: id, Href: "/notices/" + url.PathEscape(id)}, true
	}
	return Subject{}, false
}

// Row is one overdue follow-up as the board shows it.
type Row struct {
	ID, Title, Kind, Customer, Owner, Team, Territory string
	DueAt                                             *time.Time
	Late                                              time.Duration
	Bucket                                            string
	Level                                             int
	LastAction, EscalatedTo, State                    string
	WorkflowID, WorkflowURL                           string
	Subject                                           *Subject
}

// RowOf turns the service's view of a follow-up into a row; workflowURL
// links a workflow in the Temporal UI.
func RowOf(v followupapi.View, workflowURL func(string) string) Row {
	r := Row{ID: view.Str(v.Id), Title: view.Str(v.Title), Kind: view.Str(v.Kind), Customer: view.Str(v.CustomerId),
		Owner: view.Str(v.OwnerId), Team: view.Str(v.Team), Territory: view.Str(v.Territory), DueAt: v.DueAt,
		Bucket: view.Str(v.Lateness), LastAction: view.Str(v.LastAction), EscalatedTo: view.Str(v.EscalatedTo),
		State: view.Str(v.State), WorkflowID: view.Str(v.WorkflowId)}
	if v.OverdueSeconds != nil {
		r.Late = time.Duration(*v.OverdueSeconds) * time.Second
	}
	if v.EscalationLevel != nil {
		r.Level = *v.EscalationLevel
	}
	if r.WorkflowID != "" {
		r.WorkflowURL = workflowURL(r.WorkflowID)
		if s, ok := SubjectOf(r.WorkflowID); ok {
			r.Subject = &s
		}
	}
	return r
}

// Group is the rows of one team, owner, kind, territory or lateness bucket
// on the page.
type Group struct {
	Key  string
	Rows []Row
}

// GroupRows sections rows by the filter's grouping, keeping their order
// (most late first) inside each group and ordering the groups by their
// latest row. Without a grouping all rows form one group.
func GroupRows(rows []Row, by string) []Group {
	if by == "" {
		if len(rows) == 0 {
			return nil
		}
		return []Group{{Rows: rows}}
	}
	var out []Group
	at := map[string]int{}
	for _, r := range rows {
		k := r.key(by)
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, Group{Key: k})
		}
		out[i].Rows = append(out[i].Rows, r)
	}
	return out
}

func (r Row) key(by string) string {
	switch by {
	case "team":
		return r.Team
	case "owner":
		return r.Owner
	case "kind":
		return r.Kind
	case "territory":
		return r.Territory
	case "lateness":
		return r.Bucket
	}
	return ""
}
