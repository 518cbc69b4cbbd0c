package messages

// The words of every message, one catalogue per language, keyed like the web
// console's catalogues (services/web/internal/pages/*/locales) and worded
// like them: a follow-up's kind and step read the same in an email as on the
// board and in the inbox. Entries are text/template strings over vars; they
// produce plain text, which the HTML layout escapes like any other value.
//
// A step's entries are "<action>.<audience>.<part>", the audience being
// "owner" or "managers"; a (step, audience) pair with no entries is a message
// Closeloop never sends, and Render refuses it.
//
// Where the console's own pages disagree, this follows the board and the
// timer policies, the pages a manager acts from: a win-back is 赢回 (the
// inbox says 挽回), an info slip 信息单. The business calendar beside a due
// time is 工作日历, as on the console's calendar pages.

var catalog = withCampaigns(map[string]map[string]string{
	"en": {
		"subject.prefix": "[Closeloop] ",
		"subject.urgent": "Urgent: ",
		"urgent":         "Urgent",
		"colon":          ": ",
		"greeting":       "Hello {{.Recipient}},",
		"zone":           "({{.Zone}}{{if .Calendar}}; business calendar {{.Calendar}}{{end}})",
		"zone.short":     "({{.Zone}}{{if .Calendar}}, {{.Calendar}}{{end}})",
		"no_owner":       "(no owner)",

		"duration.days_hours":    "{{.Days}} d {{.Hours}} h",
		"duration.hours_minutes": "{{.Hours}} h {{.Minutes}} min",
		"duration.minutes":       "{{.Minutes}} min",
		"duration.under_minute":  "under a minute",

		"label.kind":     "Kind",
		"label.customer": "Customer",
		"label.team":     "Team",
		"label.owner":    "Owner",
		"label.due":      "Due",
		"label.late":     "Overdue by",
		"label.step":     "Escalation step",
		"value.step":     "{{.Level}}",

		"link.item":     "Open the follow-up",
		"link.inbox":    "Open your inbox",
		"link.board":    "Open the overdue board",
		"link.settings": "notification settings",
		"footer.change": "Change what you receive",
		"footer.nolink": "Change what you receive in your notification settings in Closeloop.",

		"kind.first_contact":      "First contact with a lead",
		"kind.stale_stage":        "Opportunity stuck in a stage",
		"kind.visit_log":          "Visit log",
		"kind.care_contact":       "Care contact",
		"kind.service_response":   "Service response",
		"kind.service_resolution": "Service resolution",
		"kind.slip_ack":           "Info slip acknowledgement",
		"kind.slip_close":         "Info slip closing",
		"kind.winback_touch":      "Win-back touch",
		"kind.callback":           "Call-back",
		"kind.notice_ack":         "Notice to acknowledge",
		"kind.recovery_call":      "Recovery call",
		"kind.lead":               "Lead",
		"kind.opportunity":        "Opportunity",
		"kind.visit":              "Visit",
		"kind.care":               "Customer care",
		"kind.service_case":       "Service case",
		"kind.info_slip":          "Info slip",
		"kind.winback":            "Win-back",

		"reason.owner":     "You receive this because you own this follow-up.",
		"reason.former":    "You receive this because you owned this follow-up.",
		"reason.managers":  "You receive this because you manage team {{.Team}}.",
		"reason.requester": "You receive this because you manage team {{.Managers}}{{if ne .Managers .Team}}, which asked for this work{{end}}.",
		"reason.given":     "You receive this because this follow-up is now yours.",
		"reason.winback":   "You receive this because you own this win-back follow-up.",

		"remind.owner.subject": "Due: {{.Title}}",
		"remind.owner.heading": "Your follow-up is due",
		"remind.owner.body":    "This follow-up of yours is due and still open. Please act on it and log what you did in Closeloop before it is escalated.",
		"remind.owner.summary": "Reminder: {{.Title}} is due {{.DueShort}}",

		"raise_priority.owner.subject":      "Overdue, priority raised: {{.Title}}",
		"raise_priority.owner.heading":      "Your case is overdue and its priority was raised",
		"raise_priority.owner.body":         "This case of yours missed its target, so its priority has been raised one level and its targets re-computed; {{if .Team}}the managers of team {{.Team}} have{{else}}your manager has{{end}} been told. Act on it now.",
		"raise_priority.owner.summary":      "Overdue: {{.Title}} was due {{.DueShort}}; priority raised",
		"raise_priority.managers.subject":   "Priority raised in team {{.Team}}: {{.Title}}",
		"raise_priority.managers.heading":   "A case in team {{.Team}} is overdue and its priority was raised",
		"raise_priority.managers.body":      "{{.Owner}} has not met this case's target; its priority has been raised one level. Please check with {{.Owner}}, or give it to someone who can act on it now.",
		"raise_priority.managers.summary":   "Priority raised in team {{.Team}}: {{.Title}}, owned by {{.Owner}}, was due {{.DueShort}}",
		"escalate_manager.owner.subject":    "Overdue and escalated to your manager: {{.Title}}",
		"escalate_manager.owner.heading":    "Your follow-up is overdue",
		"escalate_manager.owner.body":       "This follow-up of yours is overdue, so it has been escalated: {{if .Team}}the managers of team {{.Team}} have{{else}}your manager has{{end}} been told. Act on it now and log what you did, or tell your manager why it has to wait.",
		"escalate_manager.owner.summary":    "Overdue: {{.Title}} was due {{.DueShort}}; your manager has been told",
		"escalate_manager.managers.subject": "Overdue in team {{.Team}}: {{.Title}}",
		"escalate_manager.managers.heading": "A follow-up in team {{.Team}} is overdue",
		"escalate_manager.managers.body":    "{{.Owner}} has not acted on this follow-up and it is overdue. Please check with {{.Owner}}, or give it to someone who can act on it now.",
		"escalate_manager.managers.summary": "Overdue in team {{.Team}}: {{.Title}}, owned by {{.Owner}}, was due {{.DueShort}}",

		// The managers told are those of the team that asked for the work
		// (Managers); of the follow-up's own team when no one's did.
		"escalate_originator.owner.subject":    "Overdue and escalated to the team that asked for it: {{.Title}}",
		"escalate_originator.owner.heading":    "Your follow-up is overdue and those who asked for it have been told",
		"escalate_originator.owner.body":       "This follow-up of yours is overdue, so it has been escalated further: the managers of the team that asked for this work have been told. Act on it now and log what you did, or tell your manager why it has to wait.",
		"escalate_originator.owner.summary":    "Overdue: {{.Title}} was due {{.DueShort}}; the managers of the team that asked for it have been told",
		"escalate_originator.managers.subject": "{{if ne .Managers .Team}}Asked for by team {{.Managers}}, overdue in team {{.Team}}{{else}}Still overdue in team {{.Team}}{{end}}: {{.Title}}",
		"escalate_originator.managers.heading": "{{if ne .Managers .Team}}Work team {{.Managers}} asked for is overdue in team {{.Team}}{{else}}A follow-up in team {{.Team}} is still overdue{{end}}",
		"escalate_originator.managers.body":    "{{.Owner}} of team {{.Team}} has not acted on this follow-up{{if ne .Managers .Team}}, which your team asked for,{{end}} and it is overdue. Please take it up with {{.Owner}}{{if ne .Managers .Team}} or with team {{.Team}}'s managers, and tell whoever asked for it what to expect{{else}}, or give it to someone who can act on it now{{end}}.",
		"escalate_originator.managers.summary": "Overdue in team {{.Team}}{{if ne .Managers .Team}}, asked for by team {{.Managers}}{{end}}: {{.Title}}, owned by {{.Owner}}, was due {{.DueShort}}",

		"reassign.owner.subject":    "Handed to another rep: {{.Title}}",
		"reassign.owner.heading":    "Your follow-up went to another rep",
		"reassign.owner.body":       "This follow-up was overdue, so its escalation ladder has handed it to another rep{{if .Team}} of team {{.Team}}{{end}}. You no longer need to act on it.",
		"reassign.owner.summary":    "Handed over: {{.Title}}, due {{.DueShort}}, went from {{.Owner}} to another rep",
		"reassign.managers.subject": "Handed over in team {{.Team}}: {{.Title}}",
		"reassign.managers.heading": "An overdue follow-up in team {{.Team}} changed hands",
		"reassign.managers.body":    "{{.Owner}} did not act on this follow-up in time, so its escalation ladder has handed it to another rep of team {{.Team}}. Check that the new owner takes it up.",
		"reassign.managers.summary": "Handed over in team {{.Team}}: {{.Title}}, due {{.DueShort}}, went from {{.Owner}} to another rep",

		"return_to_pool.owner.subject":    "Returned to the pool: {{.Title}}",
		"return_to_pool.owner.heading":    "Your follow-up went back to the pool",
		"return_to_pool.owner.body":       "This follow-up was overdue, so its escalation ladder has returned it to {{if .Team}}team {{.Team}}'s{{else}}the team's{{end}} pool, where a manager will give it a new owner. You no longer need to act on it.",
		"return_to_pool.owner.summary":    "Returned to the pool: {{.Title}}, due {{.DueShort}}, is no longer {{.Owner}}'s",
		"return_to_pool.managers.subject": "Back in team {{.Team}}'s pool: {{.Title}}",
		"return_to_pool.managers.heading": "An overdue follow-up is back in team {{.Team}}'s pool",
		"return_to_pool.managers.body":    "{{.Owner}} did not act on this follow-up in time, so its escalation ladder has returned it to team {{.Team}}'s pool. It needs a new owner: please give it to someone.",
		"return_to_pool.managers.summary": "Back in team {{.Team}}'s pool: {{.Title}}, due {{.DueShort}}, needs a new owner (was {{.Owner}})",

		"reassigned.owner.subject": "{{if .Actor}}{{.Actor}} gave you a follow-up{{else}}A follow-up was given to you{{end}}: {{.Title}}",
		"reassigned.owner.heading": "{{if .Actor}}{{.Actor}} gave you this follow-up{{else}}This follow-up was given to you{{end}}",
		"reassigned.owner.body":    "This follow-up is now yours. Please act on it by its due time and log what you did in Closeloop.",
		"reassigned.owner.summary": "Given to you{{if .Actor}} by {{.Actor}}{{end}}: {{.Title}} is due {{.DueShort}}",

		"call.owner.subject":  "Win-back call due: {{.Title}}",
		"call.owner.heading":  "Time to call a customer you are winning back",
		"call.owner.body":     "This customer has not bought for a while, and the win-back campaign has a call due. Call them, then log the call in Closeloop.",
		"call.owner.summary":  "Win-back call due: {{.Title}} is due {{.DueShort}}",
		"visit.owner.subject": "Win-back visit due: {{.Title}}",
		"visit.owner.heading": "Time to visit a customer you are winning back",
		"visit.owner.body":    "This customer has not bought for a while, and the win-back campaign has a visit due. Visit them, then log the visit in Closeloop.",
		"visit.owner.summary": "Win-back visit due: {{.Title}} is due {{.DueShort}}",
		"offer.owner.subject": "Win-back offer due: {{.Title}}",
		"offer.owner.heading": "Time to make an offer to a customer you are winning back",
		"offer.owner.body":    "This customer has not bought for a while, and the win-back campaign has an offer due. Make them an offer, then log it in Closeloop.",
		"offer.owner.summary": "Win-back offer due: {{.Title}} is due {{.DueShort}}",

		"other.summary": "Step {{.Action}}: {{.Title}} is due {{.DueShort}}",

		"digest.subject":       "Your follow-ups for {{.Day}}: {{.Counts}}",
		"digest.count.due":     "{{.N}} due",
		"digest.count.overdue": "{{.N}} overdue",
		"digest.count.teams":   "{{.N}} overdue in your teams",
		"digest.count.sep":     ", ",
		"digest.heading":       "Your follow-ups for {{.Day}}",
		"digest.intro":         "Here is what needs you today.",
		"digest.owned":         "Your follow-ups due today or overdue",
		"digest.owned_none":    "Nothing of yours is due today or overdue.",
		"digest.teams":         "Your teams' overdue items",
		"digest.more":          "… and {{.N}} more, due later: see them all in the console.",
		"digest.reason":        "You receive this daily digest because it is on in your notification settings.",
	},
	"zh-Hans": {
		"subject.prefix": "[Closeloop] ",
		"subject.urgent": "紧急：",
		"urgent":         "紧急",
		"colon":          "：",
		"greeting":       "{{.Recipient}}，您好：",
		"zone":           "({{.Zone}}{{if .Calendar}}；工作日历 {{.Calendar}}{{end}})",
		"zone.short":     "({{.Zone}}{{if .Calendar}}，{{.Calendar}}{{end}})",
		"no_owner":       "（无负责人）",

		"duration.days_hours":    "{{.Days}} 天 {{.Hours}} 小时",
		"duration.hours_minutes": "{{.Hours}} 小时 {{.Minutes}} 分钟",
		"duration.minutes":       "{{.Minutes}} 分钟",
		"duration.under_minute":  "不到 1 分钟",

		"label.kind":     "类型",
		"label.customer": "客户",
		"label.team":     "团队",
		"label.owner":    "负责人",
		"label.due":      "到期时间",
		"label.late":     "逾期时长",
		"label.step":     "升级步骤",
		"value.step":     "第 {{.Level}} 步",

		"link.item":     "查看这条跟进",
		"link.inbox":    "打开收件箱",
		"link.board":    "打开逾期看板",
		"link.settings": "通知设置",
		"footer.change": "如需更改接收的通知，请前往",
		"footer.nolink": "如需更改接收的通知，请前往 Closeloop 的通知设置。",

		"kind.first_contact":      "首次联系线索",
		"kind.stale_stage":        "商机停滞在某阶段",
		"kind.visit_log":          "拜访记录",
		"kind.care_contact":       "客户关怀联系",
		"kind.service_response":   "服务响应",
		"kind.service_resolution": "服务解决",
		"kind.slip_ack":           "信息单确认",
		"kind.slip_close":         "信息单关闭",
		"kind.winback_touch":      "赢回联系",
		"kind.callback":           "回电",
		"kind.notice_ack":         "待确认的公告",
		"kind.recovery_call":      "挽回回访",
		"kind.lead":               "线索",
		"kind.opportunity":        "商机",
		"kind.visit":              "拜访",
		"kind.care":               "客户关怀",
		"kind.service_case":       "服务工单",
		"kind.info_slip":          "信息单",
		"kind.winback":            "客户赢回",

		"reason.owner":     "您收到此邮件，是因为您是这条跟进的负责人。",
		"reason.former":    "您收到此邮件，是因为您曾是这条跟进的负责人。",
		"reason.managers":  "您收到此邮件，是因为您是 {{.Team}} 团队的经理。",
		"reason.requester": "您收到此邮件，是因为您是 {{.Managers}} 团队的经理{{if ne .Managers .Team}}，这项工作由该团队提出{{end}}。",
		"reason.given":     "您收到此邮件，是因为这条跟进现在由您负责。",
		"reason.winback":   "您收到此邮件，是因为您是这条客户赢回跟进的负责人。",

		"remind.owner.subject": "到期：{{.Title}}",
		"remind.owner.heading": "您的跟进已到期",
		"remind.owner.body":    "您负责的这条跟进已到期，尚未完成。请尽快处理，并在 Closeloop 中记录处理结果，以免被升级。",
		"remind.owner.summary": "提醒：{{.Title}} 于 {{.DueShort}} 到期",

		"raise_priority.owner.subject":      "已逾期，优先级已提高：{{.Title}}",
		"raise_priority.owner.heading":      "您的工单已逾期，优先级已提高",
		"raise_priority.owner.body":         "您的这张工单未达到目标，优先级已提高一级并重新计算了时限；{{if .Team}}{{.Team}} 团队的经理{{else}}您的经理{{end}}已收到通知。请立即处理。",
		"raise_priority.owner.summary":      "已逾期：{{.Title}} 应于 {{.DueShort}} 完成；优先级已提高",
		"raise_priority.managers.subject":   "{{.Team}} 团队工单优先级已提高：{{.Title}}",
		"raise_priority.managers.heading":   "{{.Team}} 团队有一张工单逾期，优先级已提高",
		"raise_priority.managers.body":      "{{.Owner}} 未达到这张工单的目标，其优先级已提高一级。请与 {{.Owner}} 确认，或交给能立即处理的人。",
		"raise_priority.managers.summary":   "{{.Team}} 团队优先级已提高：{{.Title}}，负责人 {{.Owner}}，应于 {{.DueShort}} 完成",
		"escalate_manager.owner.subject":    "已逾期并升级至经理：{{.Title}}",
		"escalate_manager.owner.heading":    "您的跟进已逾期",
		"escalate_manager.owner.body":       "您负责的这条跟进已逾期，已升级并通知{{if .Team}} {{.Team}} 团队的经理{{else}}您的经理{{end}}。请立即处理并记录结果；如需延后，请向经理说明原因。",
		"escalate_manager.owner.summary":    "已逾期：{{.Title}} 原定 {{.DueShort}} 到期，已通知您的经理",
		"escalate_manager.managers.subject": "{{.Team}} 团队跟进逾期：{{.Title}}",
		"escalate_manager.managers.heading": "{{.Team}} 团队有一条跟进已逾期",
		"escalate_manager.managers.body":    "负责人 {{.Owner}} 尚未处理这条跟进，现已逾期。请与 {{.Owner}} 确认进展，或将其转交给能立即处理的同事。",
		"escalate_manager.managers.summary": "{{.Team}} 团队跟进逾期：{{.Title}}（负责人 {{.Owner}}）原定 {{.DueShort}} 到期",

		"escalate_originator.owner.subject":    "已逾期并升级至提出方团队：{{.Title}}",
		"escalate_originator.owner.heading":    "您的跟进已逾期，已通知提出这项工作的团队",
		"escalate_originator.owner.body":       "您负责的这条跟进已逾期，已进一步升级：提出这项工作的团队的经理已收到通知。请立即处理并记录结果；如需延后，请向经理说明原因。",
		"escalate_originator.owner.summary":    "已逾期：{{.Title}} 原定 {{.DueShort}} 到期，已通知提出方团队的经理",
		"escalate_originator.managers.subject": "{{if ne .Managers .Team}}{{.Managers}} 团队提出的工作在 {{.Team}} 团队逾期{{else}}{{.Team}} 团队跟进仍逾期{{end}}：{{.Title}}",
		"escalate_originator.managers.heading": "{{if ne .Managers .Team}}{{.Managers}} 团队提出的一项工作在 {{.Team}} 团队已逾期{{else}}{{.Team}} 团队有一条跟进仍逾期{{end}}",
		"escalate_originator.managers.body":    "{{.Team}} 团队的负责人 {{.Owner}} 尚未处理这条{{if ne .Managers .Team}}由您团队提出的{{end}}跟进，现已逾期。{{if ne .Managers .Team}}请与 {{.Owner}} 或 {{.Team}} 团队的经理确认进展，并告知提出人预计何时完成。{{else}}请与 {{.Owner}} 确认进展，或将其转交给能立即处理的同事。{{end}}",
		"escalate_originator.managers.summary": "{{.Team}} 团队跟进逾期{{if ne .Managers .Team}}（{{.Managers}} 团队提出）{{end}}：{{.Title}}（负责人 {{.Owner}}）原定 {{.DueShort}} 到期",

		"reassign.owner.subject":    "已转交他人：{{.Title}}",
		"reassign.owner.heading":    "您的跟进已转交给其他销售",
		"reassign.owner.body":       "这条跟进已逾期，升级流程已将其转交给{{if .Team}} {{.Team}} 团队的{{end}}其他销售，您无需再处理。",
		"reassign.owner.summary":    "已转交：{{.Title}}（原定 {{.DueShort}} 到期）已由升级流程从 {{.Owner}} 转交给其他销售",
		"reassign.managers.subject": "{{.Team}} 团队跟进已转派：{{.Title}}",
		"reassign.managers.heading": "{{.Team}} 团队的一条逾期跟进已转派",
		"reassign.managers.body":    "{{.Owner}} 未能按时处理这条跟进，升级流程已将其转交给 {{.Team}} 团队的其他销售。请确认新负责人已接手。",
		"reassign.managers.summary": "{{.Team}} 团队跟进已转派：{{.Title}}（原定 {{.DueShort}} 到期）已从 {{.Owner}} 转交给其他销售",

		"return_to_pool.owner.subject":    "已退回公海：{{.Title}}",
		"return_to_pool.owner.heading":    "您的跟进已退回公海",
		"return_to_pool.owner.body":       "这条跟进已逾期，升级流程已将其退回{{if .Team}} {{.Team}} 团队的{{end}}公海，将由经理重新指定负责人。您无需再处理。",
		"return_to_pool.owner.summary":    "已退回公海：{{.Title}}（原定 {{.DueShort}} 到期）已不再由 {{.Owner}} 负责",
		"return_to_pool.managers.subject": "已退回 {{.Team}} 团队公海：{{.Title}}",
		"return_to_pool.managers.heading": "{{.Team}} 团队的一条逾期跟进已退回公海",
		"return_to_pool.managers.body":    "{{.Owner}} 未能按时处理这条跟进，升级流程已将其退回 {{.Team}} 团队的公海。请尽快为它指定新的负责人。",
		"return_to_pool.managers.summary": "已退回 {{.Team}} 团队公海：{{.Title}}（原定 {{.DueShort}} 到期，原负责人 {{.Owner}}），需指定新负责人",

		"reassigned.owner.subject": "{{if .Actor}}{{.Actor}} 将一条跟进转交给您{{else}}一条跟进已转交给您{{end}}：{{.Title}}",
		"reassigned.owner.heading": "{{if .Actor}}{{.Actor}} 将这条跟进转交给了您{{else}}这条跟进已转交给您{{end}}",
		"reassigned.owner.body":    "这条跟进现在由您负责。请在到期前处理，并在 Closeloop 中记录处理结果。",
		"reassigned.owner.summary": "{{if .Actor}}{{.Actor}} 转交给您{{else}}已转交给您{{end}}：{{.Title}} 于 {{.DueShort}} 到期",

		"call.owner.subject":  "客户赢回待致电：{{.Title}}",
		"call.owner.heading":  "请致电客户，争取赢回",
		"call.owner.body":     "该客户已有一段时间没有采购，客户赢回计划安排的电话联系已到期。请致电客户，并在 Closeloop 中记录通话。",
		"call.owner.summary":  "客户赢回待致电：{{.Title}} 于 {{.DueShort}} 到期",
		"visit.owner.subject": "客户赢回待拜访：{{.Title}}",
		"visit.owner.heading": "请拜访客户，争取赢回",
		"visit.owner.body":    "该客户已有一段时间没有采购，客户赢回计划安排的拜访已到期。请上门拜访，并在 Closeloop 中记录拜访。",
		"visit.owner.summary": "客户赢回待拜访：{{.Title}} 于 {{.DueShort}} 到期",
		"offer.owner.subject": "客户赢回待报价：{{.Title}}",
		"offer.owner.heading": "请向客户发送优惠报价，争取赢回",
		"offer.owner.body":    "该客户已有一段时间没有采购，客户赢回计划安排的优惠报价已到期。请向客户发送报价，并在 Closeloop 中记录。",
		"offer.owner.summary": "客户赢回待报价：{{.Title}} 于 {{.DueShort}} 到期",

		"other.summary": "跟进步骤 {{.Action}}：{{.Title}} 于 {{.DueShort}} 到期",

		"digest.subject":       "{{.Day}} 跟进汇总：{{.Counts}}",
		"digest.count.due":     "今日到期 {{.N}} 条",
		"digest.count.overdue": "已逾期 {{.N}} 条",
		"digest.count.teams":   "团队逾期 {{.N}} 条",
		"digest.count.sep":     "，",
		"digest.heading":       "{{.Day}} 跟进汇总",
		"digest.intro":         "以下是今天需要您处理的跟进。",
		"digest.owned":         "您今天到期或已逾期的跟进",
		"digest.owned_none":    "您今天没有到期或已逾期的跟进。",
		"digest.teams":         "您团队的逾期跟进",
		"digest.more":          "……还有 {{.N}} 项（到期更晚），请在控制台查看全部。",
		"digest.reason":        "您收到这封每日汇总，是因为您的通知设置中开启了每日汇总。",
	},
})

// reasonOf names the footer's "you receive this because" entry of a step:
// who the recipient is to the follow-up decides why they are told.
func reasonOf(action string, toManagers bool) string {
	switch {
	case toManagers && action == "escalate_originator":
		return "reason.requester"
	case toManagers:
		return "reason.managers"
	case action == "reassign" || action == "return_to_pool":
		return "reason.former"
	case action == "reassigned":
		return "reason.given"
	case eventKinds[action] == "winback":
		return "reason.winback"
	}
	return "reason.owner"
}
