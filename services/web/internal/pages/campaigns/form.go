package campaigns

import (
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/marketingapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// Form is the planning form: what the user typed, for a new campaign or a
// draft, and the refusal.
//
// Its inputs: name, objective, type, channel (the main one: how a one-touch
// campaign touches each customer) and channels (the others), the segment's
// seg_value_classes, seg_lifecycle_stages, seg_relationship_stages (ticked),
// seg_regions, seg_industries, seg_owner_ids, seg_teams (lists typed apart
// by commas), seg_min_days and seg_max_days, seg_loyalty_levels (ticked),
// seg_min_satisfaction and seg_max_satisfaction (an average CSAT, 1 to 5),
// holdout (a percentage of the
// segment), budget, expected_cost, expected_revenue, starts_on, ends_on,
// owner_id, team, enrol_newcomers, and the campaign's email: email_subject
// and email_body (required by the service when the campaign emails).
type Form struct {
	// ID is the draft's id ("" a new campaign), Version the version the form
	// was read at (the API's expected_version).
	ID      string
	Version int
	Values  url.Values
	Problem *view.Problem
	// Idem is the form's idempotency key when a resend must reuse it (the
	// service did not say whether the new draft was stored).
	Idem string
}

// Val is what the user typed in field.
func (f *Form) Val(field string) string { return f.Values.Get(field) }

// On reports whether the checkbox field is ticked.
func (f *Form) On(field string) bool { return f.Values.Get(field) == "true" }

// Has reports whether value is ticked among the checkboxes field.
func (f *Form) Has(field, value string) bool { return slices.Contains(f.Values[field], value) }

// Err is the message of the API's field and of its entries (channels and
// channels[1] both show at the channels): "" when it is fine.
func (f *Form) Err(field string) string {
	if f.Problem == nil {
		return ""
	}
	var msgs []string
	for k, m := range f.Problem.Fields {
		if baseField(k) == field && !slices.Contains(msgs, m) {
			msgs = append(msgs, m)
		}
	}
	slices.Sort(msgs)
	return strings.Join(msgs, " ")
}

// shownFields are the API's fields the form shows a message next to; a
// refusal naming another (an id, a malformed segment) is said at its top.
var shownFields = []string{"name", "objective", "type", "channels", "holdout", "budget", "expected_cost", "expected_revenue",
	"starts_on", "ends_on", "owner_id", "team", "segment.value_classes", "segment.lifecycle_stages", "segment.relationship_stages",
	"segment.regions", "segment.industries", "segment.owner_ids", "segment.teams", "segment.min_days_since_contact",
	"segment.max_days_since_contact", "segment.loyalty_levels", "segment.min_satisfaction", "segment.max_satisfaction",
	"email_subject", "email_body"}

// LoyaltyLevels are the loyalty levels a segment ticks (the after-sales
// service's, docs/satisfaction.md).
var LoyaltyLevels = []string{"unknown", "at_risk", "neutral", "loyal", "advocate"}

type formData struct {
	Ctx
	Form                                              *Form
	Types, Channels                                   []string
	ValueClasses, LifecycleStages, RelationshipStages []string
	LoyaltyLevels                                     []string
	// TopProblem is the refusal said at the top, with the messages of
	// fields the form does not show.
	TopProblem *view.Problem
}

// Action is where the form posts: a new campaign, or the draft's edit.
func (d *formData) Action() string {
	if d.Form.ID == "" {
		return "/campaigns"
	}
	return campaignURL(d.Form.ID, "", "") + "/edit"
}

// IdemKey is the form's idempotency key: a new one per render, or the sent
// form's when a resend must be recognised as the same campaign.
func (d *formData) IdemKey() string {
	if d.Form.Idem != "" {
		return d.Form.Idem
	}
	return d.Idem()
}

// MyTeams are the user's teams (a campaign belongs to one of their
// marketing teams).
func (d *formData) MyTeams() string {
	if d.User == nil {
		return ""
	}
	return strings.Join(d.User.Teams, ", ")
}

// newForm is an empty form (of the type the link names: the win-back
// candidates' page links to a new win-back campaign) with the service's
// default holdout, 10 %.
func (h *handler) newForm(c *gin.Context) {
	r := h.d.Req(c)
	v := url.Values{"holdout": {"10"}, "type": {pick(Types, r.X.Q("type"))}}
	h.renderForm(c, r, http.StatusOK, &Form{Values: v})
}

// editForm is the form of a draft the user writes; any other campaign's
// page says what it is (from approval on, a campaign no longer changes).
func (h *handler) editForm(c *gin.Context) {
	r := h.d.Req(c)
	id := c.Param("id")
	cv, err := h.campaign(r, id)
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	if str(cv.State) != "draft" || !Writes(r.X, cv) {
		c.Redirect(http.StatusSeeOther, campaignURL(id, "", ""))
		return
	}
	h.renderForm(c, r, http.StatusOK, &Form{ID: id, Version: deref(cv.Version), Values: valuesOf(cv)})
}

// campaign reads the campaign id.
func (h *handler) campaign(r *console.Request, id string) (marketingapi.CampaignView, error) {
	res, err := r.API.Marketing.GetCampaignsByIdWithResponse(r.C.Request.Context(), id)
	if err := apis.Check(res, err); err != nil {
		return marketingapi.CampaignView{}, err
	}
	return *res.JSON200, nil
}

// renderForm shows the form as f has it.
func (h *handler) renderForm(c *gin.Context, r *console.Request, status int, f *Form) {
	x := r.X
	x.Title = x.T("campaigns.form.new_title")
	if f.ID != "" {
		x.Title = x.T("campaigns.form.edit_title")
	}
	d := &formData{Ctx: Ctx{x}, Form: f, Types: Types, Channels: Channels, ValueClasses: ValueClasses, LifecycleStages: LifecycleStages,
		RelationshipStages: RelationshipStages, LoyaltyLevels: LoyaltyLevels}
	if p := f.Problem; p != nil {
		top := *p
		top.Fields = nil
		for k, m := range p.Fields {
			if !slices.Contains(shownFields, baseField(k)) {
				if top.Fields == nil {
					top.Fields = map[string]string{}
				}
				top.Fields[k] = m
			}
		}
		d.TopProblem = &top
	}
	h.form.Render(c, status, d)
}

// create plans a new draft from the form.
func (h *handler) create(c *gin.Context) {
	r := h.d.Req(c)
	v, ok := h.postForm(r)
	if !ok {
		return
	}
	f := &Form{Values: v}
	body, bad := request(v)
	if len(bad) > 0 {
		h.badNumbers(c, r, f, bad)
		return
	}
	res, err := r.API.Marketing.PostCampaignsWithResponse(r.Ctx(), &marketingapi.PostCampaignsParams{}, body)
	if err = apis.Check(res, err); err == nil && res.JSON201 == nil {
		err = apperr.Unavailable("service_unavailable", "the marketing service answered without the campaign")
	}
	if err != nil {
		h.refuseForm(c, r, f, err)
		return
	}
	c.Redirect(http.StatusSeeOther, campaignURL(str(res.JSON201.Id), "saved", ""))
}

// edit replaces the whole draft with the form, at the version the form was
// read at.
func (h *handler) edit(c *gin.Context) {
	r := h.d.Req(c)
	v, ok := h.postForm(r)
	if !ok {
		return
	}
	f := &Form{ID: c.Param("id"), Values: v}
	if n, err := strconv.Atoi(v.Get("version")); err == nil && n > 0 {
		f.Version = n
	}
	body, bad := request(v)
	if len(bad) > 0 {
		h.badNumbers(c, r, f, bad)
		return
	}
	res, err := r.API.Marketing.PutCampaignsByIdWithResponse(r.Ctx(), f.ID, editRequest(body, f.Version))
	if err := apis.Check(res, err); err != nil {
		h.refuseForm(c, r, f, err)
		return
	}
	c.Redirect(http.StatusSeeOther, campaignURL(f.ID, "saved", ""))
}

// refuseForm shows the form again as the user filled it, each field's
// message next to its field. A draft changed meanwhile is read again for
// its version: sending the form again replaces it, as the message says.
func (h *handler) refuseForm(c *gin.Context, r *console.Request, f *Form, err error) {
	if signedOut(err) || (f.ID != "" && gone(err)) {
		h.d.Fail(r, err)
		return
	}
	p := problem(r.X, err)
	if p.Status >= 500 {
		if f.ID == "" {
			f.Idem = f.Values.Get("_idem")
		}
		h.d.Log.WarnContext(c, "campaigns: a campaign was not saved", "campaign", f.ID, "error", err)
	}
	if p.Code == "version_conflict" && f.ID != "" {
		if cv, err := h.campaign(r, f.ID); err == nil {
			f.Version = deref(cv.Version)
		}
	}
	f.Problem = p
	h.renderForm(c, r, p.Status, f)
}

// badNumbers shows the form with the numbers that are no numbers said at
// their fields; nothing is sent.
func (h *handler) badNumbers(c *gin.Context, r *console.Request, f *Form, bad []string) {
	p := &view.Problem{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
		Message: r.X.T("campaigns.error.validation_failed"), Fields: map[string]string{}}
	for _, k := range bad {
		p.Fields[k] = r.X.T("campaigns.field.number")
	}
	f.Problem = p
	h.renderForm(c, r, p.Status, f)
}

// request is the API's request for the form's values, sent as typed (the
// service says what is wrong, every field at once): the holdout typed as a
// percentage is sent as a share, an empty amount as 0, an empty holdout,
// owner or team left out (the service's default: 10 %, the user, their
// first marketing team), and so is an empty email subject or body (no
// email: the service says whether the campaign needs one). bad names the
// API fields typed as no number.
func request(v url.Values) (body marketingapi.CampaignRequest, bad []string) {
	num := func(field, input string) float64 {
		f, ok := parseAmount(v.Get(input))
		if !ok {
			bad = append(bad, field)
		}
		return f
	}
	days := func(field, input string) *int {
		s := strings.TrimSpace(v.Get(input))
		if s == "" {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			bad = append(bad, field)
			return nil
		}
		return &n
	}
	score := func(field, input string) *float64 {
		s := strings.TrimSpace(v.Get(input))
		if s == "" {
			return nil
		}
		f, ok := parseAmount(s)
		if !ok {
			bad = append(bad, field)
			return nil
		}
		return &f
	}
	channels := list([]string{v.Get("channel")}) // the main one first
	for _, ch := range list(v["channels"]) {
		if !slices.Contains(channels, ch) {
			channels = append(channels, ch)
		}
	}
	seg := marketingapi.Segment{ValueClasses: ptr(list(v["seg_value_classes"])), LifecycleStages: ptr(list(v["seg_lifecycle_stages"])),
		RelationshipStages: ptr(list(v["seg_relationship_stages"])), Regions: ptr(listOf(v.Get("seg_regions"))),
		Industries: ptr(listOf(v.Get("seg_industries"))), OwnerIds: ptr(listOf(v.Get("seg_owner_ids"))), Teams: ptr(listOf(v.Get("seg_teams"))),
		MinDaysSinceContact: days("segment.min_days_since_contact", "seg_min_days"),
		MaxDaysSinceContact: days("segment.max_days_since_contact", "seg_max_days"),
		LoyaltyLevels:       ptr(list(v["seg_loyalty_levels"])),
		MinSatisfaction:     score("segment.min_satisfaction", "seg_min_satisfaction"),
		MaxSatisfaction:     score("segment.max_satisfaction", "seg_max_satisfaction")}
	body = marketingapi.CampaignRequest{Name: ptr(strings.TrimSpace(v.Get("name"))), Objective: ptr(strings.TrimSpace(v.Get("objective"))),
		Type: ptr(v.Get("type")), Channels: &channels, Segment: seg, Budget: ptr(num("budget", "budget")),
		ExpectedCost: ptr(num("expected_cost", "expected_cost")), ExpectedRevenue: ptr(num("expected_revenue", "expected_revenue")),
		StartsOn: ptr(strings.TrimSpace(v.Get("starts_on"))), EndsOn: ptr(strings.TrimSpace(v.Get("ends_on"))),
		OwnerId: opt(strings.TrimSpace(v.Get("owner_id"))), Team: opt(strings.TrimSpace(v.Get("team"))),
		EnrolNewcomers: ptr(v.Get("enrol_newcomers") == "true"),
		EmailSubject:   opt(strings.TrimSpace(v.Get("email_subject"))), EmailBody: opt(emailBody(v.Get("email_body")))}
	if s := strings.TrimSpace(v.Get("holdout")); s != "" {
		pct, ok := parseAmount(strings.TrimSuffix(s, "%"))
		if !ok {
			bad = append(bad, "holdout")
		} else {
			body.Holdout = ptr(math.Round(pct*100) / 10000) // 12.5 % → 0.125
		}
	}
	return body, bad
}

// editRequest is body as the whole of a draft read at version (0: unchecked).
func editRequest(b marketingapi.CampaignRequest, version int) marketingapi.EditCampaignRequest {
	e := marketingapi.EditCampaignRequest{Name: b.Name, Objective: b.Objective, Type: b.Type, Channels: b.Channels, Segment: b.Segment,
		Holdout: b.Holdout, Budget: b.Budget, ExpectedCost: b.ExpectedCost, ExpectedRevenue: b.ExpectedRevenue, StartsOn: b.StartsOn,
		EndsOn: b.EndsOn, OwnerId: b.OwnerId, Team: b.Team, EnrolNewcomers: b.EnrolNewcomers, EmailSubject: b.EmailSubject,
		EmailBody: b.EmailBody}
	if version > 0 {
		e.ExpectedVersion = &version
	}
	return e
}

// valuesOf is the form of the campaign c.
func valuesOf(c marketingapi.CampaignView) url.Values {
	money := func(f *float64) string { return strconv.FormatFloat(deref(f), 'f', -1, 64) }
	v := url.Values{"name": {str(c.Name)}, "objective": {str(c.Objective)}, "type": {str(c.Type)},
		"holdout": {strconv.FormatFloat(math.Round(deref(c.Holdout)*10000)/100, 'f', -1, 64)},
		"budget":  {money(c.Budget)}, "expected_cost": {money(c.ExpectedCost)}, "expected_revenue": {money(c.ExpectedRevenue)},
		"starts_on": {str(c.StartsOn)}, "ends_on": {str(c.EndsOn)}, "owner_id": {str(c.OwnerId)}, "team": {str(c.Team)},
		"email_subject": {str(c.EmailSubject)}, "email_body": {str(c.EmailBody)}}
	if chs := deref(c.Channels); len(chs) > 0 {
		v.Set("channel", chs[0])
		v["channels"] = chs[1:]
	}
	s := deref(c.Segment)
	v["seg_value_classes"], v["seg_lifecycle_stages"], v["seg_relationship_stages"] = deref(s.ValueClasses), deref(s.LifecycleStages),
		deref(s.RelationshipStages)
	v["seg_loyalty_levels"] = deref(s.LoyaltyLevels)
	for k, b := range map[string]*float64{"seg_min_satisfaction": s.MinSatisfaction, "seg_max_satisfaction": s.MaxSatisfaction} {
		if b != nil {
			v.Set(k, strconv.FormatFloat(*b, 'f', -1, 64))
		}
	}
	for k, l := range map[string]*[]string{"seg_regions": s.Regions, "seg_industries": s.Industries, "seg_owner_ids": s.OwnerIds, "seg_teams": s.Teams} {
		v.Set(k, strings.Join(deref(l), ", "))
	}
	for k, d := range map[string]*int{"seg_min_days": s.MinDaysSinceContact, "seg_max_days": s.MaxDaysSinceContact} {
		if d != nil {
			v.Set(k, strconv.Itoa(*d))
		}
	}
	if deref(c.EnrolNewcomers) {
		v.Set("enrol_newcomers", "true")
	}
	return v
}

// emailBody is the email's text as typed, its line breaks made "\n" (a
// browser sends a textarea's as "\r\n"), without the spaces and blank
// lines around it (the service trims them too).
func emailBody(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"))
}

// listOf reads a list input: entries separated by commas (also the Chinese
// ones) or line breaks.
func listOf(s string) []string {
	return list(strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == '\n' || r == '\r' }))
}

// list is the values trimmed, without blanks (never nil: sent as []).
func list(vs []string) []string {
	out := []string{}
	for _, s := range vs {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
