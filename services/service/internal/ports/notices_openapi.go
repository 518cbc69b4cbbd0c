package ports

import (
	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

var noticeParam = openapi.Param{Name: "id", In: "path", Description: "notice id (UUID)"}

const noticeSight = "A notice is seen by its readers (from its valid_from on), its publisher, the managers of the publisher's teams and " +
	"admins; a draft by its publisher and admins only. Anyone else gets 404 notice_not_found, exactly as for a notice that does not exist."

const noticeFields = "Every bad field is reported at once (422 validation_failed, nothing stored): title (required, one line, at most 200 " +
	"characters), body (at most 20,000), audience (required: everyone, or at least one department, role or team, not both; conflict), " +
	"audience.departments (unknown: not configured in DEPARTMENTS; not_yours), audience.roles (unknown), audience.teams (too_many: over " +
	"50; invalid; not_yours), valid_until (required; in_past: the validity window has passed; before_valid_from), ack_deadline (required " +
	"with must_acknowledge; not_allowed without it; in_past; outside_window: after valid_from and no later than valid_until). An admin " +
	"addresses anyone; a manager addresses everyone, any role, and their own departments and teams by name (not_yours for another's)."

// noticeOps are the notices' operations, for the service's OpenAPI
// document: OpenAPI() adds them with Add(noticeOps()...).
func noticeOps() []openapi.Op {
	return []openapi.Op{
		{Method: "POST", Path: "/v1/notices", Tag: "notices", Summary: "Write a notice (a draft)",
			Description: "Managers and admins write notices (403 notice_not_allowed for reps and analysts). The draft is yours (and admins') " +
				"to edit and publish; nobody else sees it. " + noticeFields + " 201 with the draft and Location: /v1/notices/{id}.",
			Request: NoticeRequest{}, Status: 201, Response: app.NoticeView{}, Errors: []int{400, 403, 409, 422},
			Idempotent: true, IdempotencyNote: "Retrying with the same key and body answers the first response (with Idempotent-Replayed: " +
				"true) instead of writing a second draft; the same key with another body is 409 idempotency_key_reused."},
		{Method: "GET", Path: "/v1/notices", Tag: "notices", Summary: "Your notices: a box",
			Description: "box=inbox (default): the notices addressed to you that are shown now — published, within their validity window, " +
				"not revoked — pinned first, then newest publication first; unread: those you have not read; unacknowledged: those you must " +
				"acknowledge and have not; published: the notices you published (and revoked), newest publication first; drafts: your " +
				"drafts, newest first (admins: everyone's published notices and drafts). Each item carries your receipt (read_at, " +
				"acknowledged_at, overdue) in the reader's boxes. A reader's box first adds the notices published since their previous " +
				"list that address them (by the roles and teams of their token) and that the user directory did not: a new user gets " +
				"every notice still shown that addresses them. A bad box is 400 invalid_query. Pages follow next_cursor.",
			Params:   []openapi.Param{{Name: "box", In: "query", Enum: domain.NoticeBoxes, Description: "which box (default inbox)"}, limitParam, cursorParam},
			Response: app.NoticePage{}, Errors: []int{400}},
		{Method: "GET", Path: "/v1/notices/:id", Tag: "notices", Summary: "A notice",
			Description: noticeSight + " receipt is yours when the notice is addressed to you.",
			Params:      []openapi.Param{noticeParam}, Response: app.NoticeView{}, Errors: []int{404}},
		{Method: "PUT", Path: "/v1/notices/:id", Tag: "notices", Summary: "Edit a draft (the whole of it)",
			Description: "Only a draft (422 notice_not_draft once published, notice_revoked once revoked), only by its publisher or an admin " +
				"(403 notice_edit_not_allowed; others do not see a draft: 404). expected_version, when not 0, must be the version you read " +
				"(409 version_conflict). " + noticeFields,
			Params: []openapi.Param{noticeParam}, Request: EditNoticeRequest{}, Response: app.NoticeView{}, Errors: []int{400, 403, 404, 409, 422}},
		{Method: "POST", Path: "/v1/notices/:id/publish", Tag: "notices", Summary: "Publish a draft",
			Description: "By its publisher (still a manager) or an admin. The draft is checked again as of now (422 validation_failed: a " +
				"window or deadline that has passed since it was written, a department no longer configured). Its audience is resolved " +
				"against the user directory, one receipt per person in it; an audience that matches nobody is 422 validation_failed with " +
				"audience: empty, and the notice stays the draft it was. valid_from defaults to now; a later valid_from schedules it: " +
				"readers see it from then. 503 notice_publishing_unavailable when the directory cannot be reached (still a draft). " +
				"422 notice_not_draft when already published.",
			Params: []openapi.Param{noticeParam}, Response: app.NoticeView{}, Errors: []int{403, 404, 422, 503}},
		{Method: "POST", Path: "/v1/notices/:id/revoke", Tag: "notices", Summary: "Revoke a published notice",
			Description: "By its publisher, a manager of the publisher's team or an admin (403 notice_revoke_not_allowed). It leaves every " +
				"reader's boxes at once; readers who open it see it revoked, with the reason (optional, at most 2,000 characters). " +
				"Nobody is chased for an acknowledgement any more. 422 notice_not_published for a draft, notice_revoked when revoked already.",
			Params: []openapi.Param{noticeParam}, Request: RevokeNoticeRequest{}, Response: app.NoticeView{}, Errors: []int{400, 403, 404, 422}},
		{Method: "POST", Path: "/v1/notices/:id/read", Tag: "notices", Summary: "Mark a notice read",
			Description: "By one of its readers; idempotent: the first instant is kept. 422 notice_not_addressed when it is not addressed to " +
				"you (its publisher, an admin), notice_revoked when revoked. " + noticeSight,
			Params: []openapi.Param{noticeParam}, Response: app.NoticeView{}, Errors: []int{404, 422}},
		{Method: "POST", Path: "/v1/notices/:id/acknowledge", Tag: "notices", Summary: "Acknowledge a notice",
			Description: "By one of its readers, for a notice that must be acknowledged (422 notice_not_acknowledgeable otherwise). " +
				"Acknowledging also reads it. Twice: 200 with the first instant. After the deadline it is still recorded (late), and " +
				"ends the follow-up. 422 notice_not_addressed, notice_revoked as for read.",
			Params: []openapi.Param{noticeParam}, Response: app.NoticeView{}, Errors: []int{404, 422}},
		{Method: "GET", Path: "/v1/notices/:id/receipts", Tag: "notices", Summary: "Who has and has not read (and acknowledged) a notice",
			Description: "For its publisher, the managers of the publisher's team and admins (403 notice_receipts_not_allowed for its " +
				"readers). counts cover every reader; items are a page of them by reader id, filtered by state: unread, read, " +
				"acknowledged, unacknowledged (the last two only for a notice that must be acknowledged: 422 notice_not_acknowledgeable). " +
				"overdue: not acknowledged by the deadline. 400 invalid_query for another state.",
			Params: []openapi.Param{noticeParam, {Name: "state", In: "query", Enum: domain.ReceiptStates, Description: "only these readers"},
				limitParam, cursorParam},
			Response: app.ReceiptsPage{}, Errors: []int{400, 403, 404, 422}},
	}
}
