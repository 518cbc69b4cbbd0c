package messages

import (
	"fmt"
	"maps"
	"strconv"
	"time"
)

// Campaign messages: a marketing campaign's events told to the people
// concerned — approval requested (to the managers of its team), approved,
// cancelled by someone else, launch finished (with its totals), completed
// (to its owner). They belong to no follow-up, so they name the campaign,
// who did what and when, and link to the campaign's page; the same words
// are in the console's inbox (services/web/internal/pages/inbox/locales).

// CampaignMessage is one campaign event's message to one person.
type CampaignMessage struct {
	Action        string // approval_requested, approved, cancelled, launch_finished, completed
	Language      string
	Location      *time.Location
	TimeZone      string
	RecipientName string
	ToManagers    bool   // told as a manager of Team
	CampaignName  string // empty: "a campaign"
	Team          string
	OwnerName     string // the campaign's owner as shown (name, else id)
	ActorName     string // who made the change (name, else id); empty: Closeloop
	At            time.Time
	// Counts are a launch's totals (enrolled, held_out, skipped).
	Counts map[string]int64
	// Note is the actor's note (a cancellation's reason).
	Note         string
	Link         string // the campaign's page in the console
	InboxLink    string
	SettingsLink string
}

// campaignAudience is the audience each campaign event is told to.
var campaignAudience = map[string]string{
	"approval_requested": "managers", "approved": "owner", "cancelled": "owner", "launch_finished": "owner", "completed": "owner",
}

type campaignVars struct {
	Name, Team, Owner, Actor, Recipient, When, Note string
	Enrolled, HeldOut, Skipped                      string
}

func (w *writer) campaignVars(m CampaignMessage) campaignVars {
	v := campaignVars{Name: m.CampaignName, Team: m.Team, Owner: m.OwnerName, Actor: m.ActorName, Recipient: m.RecipientName,
		When: w.when(m.At, ""), Note: m.Note}
	if v.Name == "" {
		v.Name = w.say("campaign.unnamed", nil)
	}
	if v.Actor == "" {
		v.Actor = "Closeloop"
	}
	if m.Counts != nil {
		v.Enrolled = strconv.FormatInt(m.Counts["enrolled"], 10)
		v.HeldOut = strconv.FormatInt(m.Counts["held_out"], 10)
		v.Skipped = strconv.FormatInt(m.Counts["skipped"], 10)
	}
	return v
}

func campaignKey(m CampaignMessage) (string, error) {
	audience, ok := campaignAudience[m.Action]
	if !ok || (audience == "managers") != m.ToManagers || (m.ToManagers && m.Team == "") {
		return "", fmt.Errorf("%w: campaign event %q (to managers: %t)", ErrUnknownMessage, m.Action, m.ToManagers)
	}
	return "campaign." + m.Action, nil
}

// RenderCampaign writes m as an email in the recipient's language and
// zone; an event Closeloop never tells (or to another audience) is refused
// with ErrUnknownMessage.
func RenderCampaign(m CampaignMessage) (Rendered, error) {
	key, err := campaignKey(m)
	if err != nil {
		return Rendered{}, err
	}
	w := newWriter(m.Language, m.Location, m.TimeZone)
	v := w.campaignVars(m)
	page := messageView{
		Lang: w.l.tag, Subject: w.say("subject.prefix", nil) + w.say(key+".subject", v),
		Heading: w.say(key+".heading", v), Body: w.say(key+".body", v), Title: v.Name, Colon: w.say("colon", nil),
		Link: m.Link, LinkLabel: w.say("campaign.link", nil), InboxLink: m.InboxLink, InboxLabel: w.say("link.inbox", nil),
		UrgentLabel: w.say("urgent", nil),
	}
	reason := "campaign.reason.owner"
	if m.ToManagers {
		reason = "campaign.reason.managers"
	}
	page.Footer = w.footer(reason, v, m.SettingsLink)
	if m.RecipientName != "" {
		page.Greeting = w.say("greeting", vars{Recipient: m.RecipientName})
	}
	page.Details = []detail{{w.say("label.team", nil), m.Team, false}, {w.say("label.owner", nil), v.Owner, false},
		{w.say("campaign.label.by", nil), v.Actor, false}, {w.say("campaign.label.at", nil), v.When, false}}
	if m.Action == "launch_finished" {
		page.Details = append(page.Details, detail{w.say("campaign.label.enrolled", nil), v.Enrolled, false},
			detail{w.say("campaign.label.held_out", nil), v.HeldOut, false}, detail{w.say("campaign.label.skipped", nil), v.Skipped, false})
	}
	if m.Note != "" {
		page.Details = append(page.Details, detail{w.say("campaign.label.note", nil), m.Note, false})
	}
	if w.err != nil {
		return Rendered{}, w.err
	}
	return render("message", page)
}

// CampaignSummary is m as one line of plain text (a webhook's text).
func CampaignSummary(m CampaignMessage) string {
	w := newWriter(m.Language, m.Location, m.TimeZone)
	v := w.campaignVars(m)
	if key, err := campaignKey(m); err == nil {
		return w.say(key+".summary", v)
	}
	return w.say("campaign.other.summary", struct{ Action, Name string }{m.Action, v.Name})
}

// withCampaigns adds the campaign messages' words to each language's
// catalogue.
func withCampaigns(c map[string]map[string]string) map[string]map[string]string {
	for tag, words := range campaignCatalog {
		maps.Copy(c[tag], words)
	}
	return c
}

var campaignCatalog = map[string]map[string]string{
	"en": {
		"campaign.unnamed":                    "a campaign",
		"campaign.link":                       "Open the campaign",
		"campaign.label.by":                   "By",
		"campaign.label.at":                   "At",
		"campaign.label.enrolled":             "Enrolled",
		"campaign.label.held_out":             "Held out (control group)",
		"campaign.label.skipped":              "Skipped",
		"campaign.label.note":                 "Note",
		"campaign.reason.owner":               "You receive this because you own this campaign.",
		"campaign.reason.managers":            "You receive this because you manage team {{.Team}}, which runs this campaign.",
		"campaign.other.summary":              "Campaign {{.Name}}: {{.Action}}",
		"campaign.approval_requested.subject": "Approval requested: {{.Name}}",
		"campaign.approval_requested.heading": "{{.Actor}} asks you to approve a campaign",
		"campaign.approval_requested.body":    "{{.Actor}} asks the managers of team {{.Team}} to approve this draft campaign. Review its segment, budget and schedule, then approve it or tell {{.Actor}} what to change.",
		"campaign.approval_requested.summary": "Approval requested by {{.Actor}}: campaign {{.Name}} (team {{.Team}})",
		"campaign.approved.subject":           "Approved: {{.Name}}",
		"campaign.approved.heading":           "Your campaign was approved",
		"campaign.approved.body":              "{{.Actor}} approved your campaign. It can be launched now.",
		"campaign.approved.summary":           "Campaign {{.Name}} approved by {{.Actor}}",
		"campaign.cancelled.subject":          "Cancelled: {{.Name}}",
		"campaign.cancelled.heading":          "Your campaign was cancelled",
		"campaign.cancelled.body":             "{{.Actor}} cancelled your campaign.{{if .Note}} Reason: {{.Note}}{{end}} Its running touches stop; what it did so far stays in its evaluation.",
		"campaign.cancelled.summary":          "Campaign {{.Name}} cancelled by {{.Actor}}{{if .Note}}: {{.Note}}{{end}}",
		"campaign.launch_finished.subject":    "Launched: {{.Name}} — {{.Enrolled}} enrolled",
		"campaign.launch_finished.heading":    "Your campaign's launch has finished",
		"campaign.launch_finished.body":       "Its segment has been enrolled: {{.Enrolled}} customers in the campaign, {{.HeldOut}} held out as its control group, {{.Skipped}} skipped (opted out, or kept by another running campaign).",
		"campaign.launch_finished.summary":    "Campaign {{.Name}} launched: {{.Enrolled}} enrolled, {{.HeldOut}} held out, {{.Skipped}} skipped",
		"campaign.completed.subject":          "Completed: {{.Name}}",
		"campaign.completed.heading":          "Your campaign was completed",
		"campaign.completed.body":             "{{.Actor}} completed your campaign. Its evaluation against the control group goes on counting the outcomes of its customers.",
		"campaign.completed.summary":          "Campaign {{.Name}} completed by {{.Actor}}",
	},
	"zh-Hans": {
		"campaign.unnamed":                    "一个营销活动",
		"campaign.link":                       "打开营销活动",
		"campaign.label.by":                   "操作人",
		"campaign.label.at":                   "时间",
		"campaign.label.enrolled":             "已纳入",
		"campaign.label.held_out":             "对照组（未触达）",
		"campaign.label.skipped":              "已跳过",
		"campaign.label.note":                 "备注",
		"campaign.reason.owner":               "您收到此邮件，是因为您是这个营销活动的负责人。",
		"campaign.reason.managers":            "您收到此邮件，是因为您是负责这个营销活动的 {{.Team}} 团队的经理。",
		"campaign.other.summary":              "营销活动 {{.Name}}：{{.Action}}",
		"campaign.approval_requested.subject": "请审批：{{.Name}}",
		"campaign.approval_requested.heading": "{{.Actor}} 请您审批一个营销活动",
		"campaign.approval_requested.body":    "{{.Actor}} 请 {{.Team}} 团队的经理审批这个营销活动草稿。请查看其目标客群、预算和时间安排，然后批准，或告诉 {{.Actor}} 需要修改什么。",
		"campaign.approval_requested.summary": "{{.Actor}} 申请审批：营销活动 {{.Name}}（{{.Team}} 团队）",
		"campaign.approved.subject":           "已批准：{{.Name}}",
		"campaign.approved.heading":           "您的营销活动已获批准",
		"campaign.approved.body":              "{{.Actor}} 批准了您的营销活动，现在可以启动了。",
		"campaign.approved.summary":           "营销活动 {{.Name}} 已由 {{.Actor}} 批准",
		"campaign.cancelled.subject":          "已取消：{{.Name}}",
		"campaign.cancelled.heading":          "您的营销活动已被取消",
		"campaign.cancelled.body":             "{{.Actor}} 取消了您的营销活动。{{if .Note}}原因：{{.Note}}。{{end}}进行中的触达随之停止；已完成的部分仍计入活动评估。",
		"campaign.cancelled.summary":          "营销活动 {{.Name}} 已由 {{.Actor}} 取消{{if .Note}}：{{.Note}}{{end}}",
		"campaign.launch_finished.subject":    "已启动：{{.Name}}，纳入 {{.Enrolled}} 位客户",
		"campaign.launch_finished.heading":    "您的营销活动已完成启动",
		"campaign.launch_finished.body":       "目标客群已纳入：{{.Enrolled}} 位客户参加活动，{{.HeldOut}} 位留作对照组，{{.Skipped}} 位已跳过（已退订，或由其他进行中的活动保留）。",
		"campaign.launch_finished.summary":    "营销活动 {{.Name}} 已启动：纳入 {{.Enrolled}}，对照组 {{.HeldOut}}，跳过 {{.Skipped}}",
		"campaign.completed.subject":          "已完成：{{.Name}}",
		"campaign.completed.heading":          "您的营销活动已完成",
		"campaign.completed.body":             "{{.Actor}} 将您的营销活动标记为完成。活动评估将继续统计其客户的后续成果（与对照组比较）。",
		"campaign.completed.summary":          "营销活动 {{.Name}} 已由 {{.Actor}} 完成",
	},
}
