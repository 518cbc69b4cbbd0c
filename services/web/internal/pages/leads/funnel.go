package leads

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/salesapi"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// StageRow is one stage of the funnel table.
type StageRow struct {
	Stage                     int
	Label                     string
	OpenCount, Reached, Exits int
	Amount, Weighted          []string // one per currency
	Conversion, AvgDays       string   // "" when the service has none
}

// OppRow is one open opportunity under the chart.
type OppRow struct {
	ID, Name, Owner, Amount, Weighted, ExpectedClose string
	Stage                                            int
}

type funnelData struct {
	*view.Ctx
	Team, Owner, Currency   string
	Teams                   []string // a manager's teams
	TeamFilter, OwnerFilter bool
	Users                   []User
	Currencies              []string
	Chart                   Chart
	ChartDesc               string
	Stages                  []StageRow
	Won, Lost               StageRow
	WinRate                 string
	Empty                   bool
	Opps                    []OppRow
	Next, First             string
}

func (h *handler) funnel(c *gin.Context) {
	r := h.d.Req(c)
	x := r.X
	x.Title = x.T("leads.funnel.title")
	d := &funnelData{Ctx: x, Team: x.Q("team"), Owner: x.Q("owner"), TeamFilter: seesOthers(x), OwnerFilter: seesOthers(x)}
	if !d.TeamFilter {
		d.Team, d.Owner = "", ""
	}
	if x.Has("manager") && !x.Has("admin") && x.User != nil {
		d.Teams = x.User.Teams
	}
	names, users := h.directory(r)
	d.Users = users
	ctx := c.Request.Context()
	res, err := r.API.Sales.GetFunnelWithResponse(ctx, &salesapi.GetFunnelParams{Team: ptr(d.Team), OwnerId: ptr(d.Owner)})
	if err := apis.Check(res, err); err != nil {
		h.fail(r, err)
		return
	}
	fillFunnel(x, d, res.JSON200)

	params := &salesapi.GetOpportunitiesParams{Team: ptr(d.Team), OwnerId: ptr(d.Owner), Limit: ptr(50), Cursor: ptr(x.Q("cursor"))}
	open := salesapi.Open
	params.Status = &open
	ops, err := r.API.Sales.GetOpportunitiesWithResponse(ctx, params)
	if err := apis.Check(ops, err); err != nil {
		h.fail(r, err)
		return
	}
	for _, o := range deref(ops.JSON200.Items) {
		row := OppRow{ID: str(o.Id), Name: str(o.Name), Owner: nameOf(names, str(o.OwnerId)), Stage: deref(o.Stage),
			ExpectedClose: str(o.ExpectedClose)}
		if o.AmountMinor != nil {
			row.Amount = money(x, int64(*o.AmountMinor), str(o.Currency))
			row.Weighted = money(x, int64(deref(o.WeightedAmountMinor)), str(o.Currency))
		}
		d.Opps = append(d.Opps, row)
	}
	d.Next = nextPage(x, "cursor", str(ops.JSON200.NextCursor))
	if x.Q("cursor") != "" {
		d.First = x.QueryWith()
	}
	h.funnelPage.Render(c, http.StatusOK, d)
}

// fillFunnel turns the report into the table and the chart of one currency.
func fillFunnel(x *view.Ctx, d *funnelData, rep *salesapi.FunnelReport) {
	stages := deref(rep.Stages)
	totals := map[string]float64{}
	add := func(m *map[string]int) {
		for cur, v := range deref(m) {
			totals[cur] += major(int64(v), cur)
		}
	}
	for _, s := range stages {
		add(s.OpenAmountMinor)
		add(s.WeightedAmountMinor)
	}
	for _, cl := range []*salesapi.FunnelClosed{rep.Won, rep.Lost} {
		if cl != nil {
			add(cl.AmountMinor)
		}
	}
	for cur := range totals {
		d.Currencies = append(d.Currencies, cur)
	}
	sort.Strings(d.Currencies)
	// The chart's currency: the one asked for, else the largest.
	want := strings.ToUpper(x.Q("currency"))
	for _, cur := range d.Currencies {
		if cur == want {
			d.Currency = cur
		}
	}
	if d.Currency == "" {
		for _, cur := range d.Currencies {
			if d.Currency == "" || totals[cur] > totals[d.Currency] {
				d.Currency = cur
			}
		}
	}
	amounts := func(m *map[string]int) []string {
		var out []string
		for _, cur := range d.Currencies {
			if v, ok := deref(m)[cur]; ok {
				out = append(out, money(x, int64(v), cur))
			}
		}
		return out
	}
	var cs []ChartStage
	any := false
	for _, s := range stages {
		n := deref(s.Stage)
		row := StageRow{Stage: n, Label: x.T("leads.stage." + strconv.Itoa(n)), OpenCount: deref(s.OpenCount),
			Reached: deref(s.Reached), Exits: deref(s.Exits), Amount: amounts(s.OpenAmountMinor), Weighted: amounts(s.WeightedAmountMinor)}
		var conv *float64
		if s.ConversionToNext != nil {
			v := float64(*s.ConversionToNext)
			conv = &v
			row.Conversion = x.Percent(v)
		}
		if s.AvgDaysInStage != nil {
			row.AvgDays = x.T("leads.funnel.days", "Days", x.Num(round1(float64(*s.AvgDaysInStage))))
		}
		if row.OpenCount > 0 || row.Reached > 0 {
			any = true
		}
		d.Stages = append(d.Stages, row)
		amt, wt := int64(deref(s.OpenAmountMinor)[d.Currency]), int64(deref(s.WeightedAmountMinor)[d.Currency])
		cs = append(cs, ChartStage{Label: x.T("leads.stage.short", "Stage", n), Amount: major(amt, d.Currency), Weighted: major(wt, d.Currency),
			AmountText: money(x, amt, d.Currency), WeightedText: money(x, wt, d.Currency), Conversion: conv, ConversionText: row.Conversion})
	}
	for _, cl := range []struct {
		in  *salesapi.FunnelClosed
		out *StageRow
	}{{rep.Won, &d.Won}, {rep.Lost, &d.Lost}} {
		if cl.in != nil {
			cl.out.OpenCount = deref(cl.in.Count)
			cl.out.Amount = amounts(cl.in.AmountMinor)
			if cl.out.OpenCount > 0 {
				any = true
			}
		}
	}
	if rep.WinRate != nil {
		d.WinRate = x.Percent(float64(*rep.WinRate))
	}
	d.Empty = !any
	cur := d.Currency
	d.Chart = buildChart(cs, func(v float64) string { return x.Num(v) }, x.Percent)
	d.Chart.legend(x.T("leads.funnel.open_amount"), x.T("leads.funnel.weighted_amount"), x.T("leads.funnel.conversion"))
	d.ChartDesc = x.T("leads.funnel.chart_desc", "Currency", cur)
}
