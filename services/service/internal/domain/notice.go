package domain

import (
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
)

// Notices (bulletins): what a manager or an admin tells a part of the
// organisation — everyone, departments, roles or teams — for a while
// (a validity window), optionally pinned on top of the readers' lists and
// optionally to be acknowledged by a deadline. Unlike an info slip nobody
// acts on a notice: each reader reads it, and acknowledges it when asked.
//
// A notice is a draft (edited by its publisher) until it is published; a
// published notice never changes again except to be revoked. Its readers
// are one receipt each (notice_receipt.go), written when it is published.
// Who may write, publish, revoke and see which notices is in
// notice_audience.go.

// Notice states.
const (
	NoticeDraft     = "draft"
	NoticePublished = "published"
	NoticeRevoked   = "revoked"
)

// NoticeStates lists the notice states.
var NoticeStates = []string{NoticeDraft, NoticePublished, NoticeRevoked}

// Limits of a notice's fields (characters).
const (
	MaxNoticeTitle = 200
	MaxNoticeBody  = 20000
)

// Notice is one bulletin. It is changed only through the functions of this
// package.
type Notice struct {
	ID       string
	Title    string
	Body     string
	Audience Audience
	// ValidFrom is when readers see it; nil in a draft: from its publication.
	ValidFrom *time.Time
	// ValidUntil is when it stops being listed to its readers.
	ValidUntil time.Time
	// Pinned notices come first in their readers' lists.
	Pinned bool
	// MustAcknowledge: each reader acknowledges it by AckDeadline.
	MustAcknowledge bool
	AckDeadline     *time.Time
	State           string
	// The publisher: who wrote it, with their name and teams at the time
	// (their teams' managers may revoke it and see its receipts).
	PublisherID    string
	PublisherName  string
	PublisherTeams []string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	PublishedAt    *time.Time
	RevokedAt      *time.Time
	RevokedBy      string
	RevokeReason   string
	Version        int64
}

// NoticeInput is a notice as its publisher writes it (a new draft, or the
// whole of a draft edited).
type NoticeInput struct {
	Title, Body string
	Audience    Audience
	// ValidFrom nil: from the publication.
	ValidFrom  *time.Time
	ValidUntil *time.Time
	Pinned     bool
	// MustAcknowledge needs AckDeadline, within (ValidFrom, ValidUntil].
	MustAcknowledge bool
	AckDeadline     *time.Time
}

// Errors of notices. A notice out of the caller's sight is 404, as one that
// does not exist; refusals of what the caller sees are 403 (not theirs to
// do) or 422 (not in this state).
var (
	ErrNoticeNotFound = apperr.NotFound("notice_not_found", "no such notice")
	// ErrNoticeNotAllowed: only managers and admins publish notices.
	ErrNoticeNotAllowed = apperr.Forbidden("notice_not_allowed", "notices are written and published by managers and admins")
	// ErrNoticeEditNotAllowed: a draft is edited and published by its
	// publisher (or an admin).
	ErrNoticeEditNotAllowed = apperr.Forbidden("notice_edit_not_allowed", "only the notice's publisher (or an admin) edits and publishes it")
	// ErrNoticeRevokeNotAllowed: a notice is revoked by its publisher, a
	// manager of the publisher's team, or an admin.
	ErrNoticeRevokeNotAllowed = apperr.Forbidden("notice_revoke_not_allowed", "a notice is revoked by its publisher, a manager of the publisher's team or an admin")
	// ErrNoticeReceiptsNotAllowed: who read a notice is for its publisher,
	// their team's managers and admins.
	ErrNoticeReceiptsNotAllowed = apperr.Forbidden("notice_receipts_not_allowed", "who has read a notice is shown to its publisher, the managers of the publisher's team and admins")
	// ErrNoticeNotDraft: a published (or revoked) notice does not change.
	ErrNoticeNotDraft = apperr.Rule("notice_not_draft", "the notice is published: it no longer changes; revoke it and publish a new one")
	// ErrNoticeNotPublished: a draft is not revoked, read or acknowledged.
	ErrNoticeNotPublished = apperr.Rule("notice_not_published", "the notice is a draft: publish it first (or leave it)")
	// ErrNoticeRevoked: a revoked notice is not revoked again, read or acknowledged.
	ErrNoticeRevoked = apperr.Rule("notice_revoked", "the notice was revoked")
	// ErrNoticeNoAcknowledgement: the notice does not ask to be acknowledged.
	ErrNoticeNoAcknowledgement = apperr.Rule("notice_not_acknowledgeable", "this notice does not ask to be acknowledged: reading it is enough")
	// ErrNoticeNotAddressed: a notice is read and acknowledged by its readers only.
	ErrNoticeNotAddressed = apperr.Rule("notice_not_addressed", "this notice is not addressed to you: only its readers read and acknowledge it")
	// ErrNoticeVersionConflict: the draft changed since the caller read it.
	ErrNoticeVersionConflict = apperr.Conflict("version_conflict", "the notice changed since you read it; reload and retry")
)

// ErrNoticeAudienceEmpty is the refusal of a publication whose audience
// matched nobody in the user directory.
func ErrNoticeAudienceEmpty() error {
	return fieldErr("audience", "empty", "nobody is in this audience: address people who exist (everyone, a department, a role or a team with members)")
}

// NewNotice is a new draft written by p. Only managers and admins write
// notices (403 otherwise); every bad field is reported at once (422).
func NewNotice(id string, in NoticeInput, p auth.Principal, org Org, now time.Time) (Notice, error) {
	if !CanPublishNotices(p) {
		return Notice{}, ErrNoticeNotAllowed
	}
	in, err := checkNotice(in, p, org, nil, now)
	if err != nil {
		return Notice{}, err
	}
	if id == "" || len(id) > MaxRef {
		return Notice{}, fieldErr("id", "invalid", "the notice needs an id of at most 36 characters")
	}
	at := instant(now)
	n := Notice{ID: id, State: NoticeDraft, PublisherID: p.Subject, PublisherName: p.Name, PublisherTeams: noticeList(p.Teams),
		CreatedAt: at, UpdatedAt: at, Version: 1}
	return n.with(in), nil
}

// EditNotice replaces the whole of a draft with in. Only the publisher (or
// an admin) edits, and only a draft.
func EditNotice(n Notice, in NoticeInput, p auth.Principal, org Org, now time.Time) (Notice, error) {
	if err := checkWriter(n, p); err != nil {
		return n, err
	}
	in, err := checkNotice(in, p, org, nil, now)
	if err != nil {
		return n, err
	}
	n = n.with(in)
	n.UpdatedAt = instant(now)
	return n, nil
}

// PublishNotice publishes a draft: its readers see it from ValidFrom (now,
// when the draft says nothing) until ValidUntil. The draft is checked again
// as of now — its window may have passed since it was written, the
// departments may have changed. Whether its audience has anyone in it is
// known once the readers are resolved (ErrNoticeAudienceEmpty).
func PublishNotice(n Notice, p auth.Principal, org Org, now time.Time) (Notice, error) {
	if err := checkWriter(n, p); err != nil {
		return n, err
	}
	at := instant(now)
	in, err := checkNotice(n.input(), p, org, &at, now)
	if err != nil {
		return n, err
	}
	n = n.with(in)
	if n.ValidFrom == nil {
		n.ValidFrom = &at
	}
	n.State, n.PublishedAt, n.UpdatedAt = NoticePublished, &at, at
	return n, nil
}

// RevokeNotice withdraws a published notice from its readers' lists, with
// an optional reason. Its publisher, a manager of the publisher's team and
// admins revoke.
func RevokeNotice(n Notice, p auth.Principal, reason string, now time.Time) (Notice, error) {
	if !MayOverseeNotice(p, n) {
		return n, ErrNoticeRevokeNotAllowed
	}
	switch n.State {
	case NoticeDraft:
		return n, ErrNoticeNotPublished
	case NoticeRevoked:
		return n, ErrNoticeRevoked
	}
	var v apperr.Validation
	text(&v, "reason", reason, MaxReason, false)
	if err := v.Err(); err != nil {
		return n, err
	}
	at := instant(now)
	n.State, n.RevokedAt, n.RevokedBy, n.RevokeReason, n.UpdatedAt = NoticeRevoked, &at, p.Subject, strings.TrimSpace(reason), at
	return n, nil
}

// checkWriter: who edits and publishes a draft — its publisher (still a
// manager) or an admin — and only a draft.
func checkWriter(n Notice, p auth.Principal) error {
	if !CanPublishNotices(p) || (n.PublisherID != p.Subject && !p.Has(auth.RoleAdmin)) {
		return ErrNoticeEditNotAllowed
	}
	switch n.State {
	case NoticeDraft:
		return nil
	case NoticeRevoked:
		return ErrNoticeRevoked
	default:
		return ErrNoticeNotDraft
	}
}

// checkNotice validates a notice's fields as of now, every bad one at once,
// and returns them cleaned (trimmed, lists without blanks or repeats).
// publishing is the instant of a publication (nil: a draft is written): a
// notice then starts at publishing when it names no start.
func checkNotice(in NoticeInput, p auth.Principal, org Org, publishing *time.Time, now time.Time) (NoticeInput, error) {
	var v apperr.Validation
	if text(&v, "title", in.Title, MaxNoticeTitle, true) {
		v.Check(strings.IndexFunc(in.Title, unicode.IsControl) < 0, "title", "invalid", "one line, without control characters")
	}
	text(&v, "body", in.Body, MaxNoticeBody, false)
	in.Title = strings.TrimSpace(in.Title)
	in.Audience = in.Audience.clean()
	in.Audience.check(&v, p, org)

	from := now
	if in.ValidFrom != nil {
		from = *in.ValidFrom
	} else if publishing != nil {
		from = *publishing
	}
	if v.Check(in.ValidUntil != nil, "valid_until", "required", "when the notice stops being shown") {
		if v.Check(in.ValidUntil.After(now), "valid_until", "in_past", "the validity window has passed: valid_until must be in the future") {
			v.Check(in.ValidUntil.After(from), "valid_until", "before_valid_from", "valid_until must be after valid_from")
		}
	}
	switch {
	case in.MustAcknowledge && in.AckDeadline == nil:
		v.Add("ack_deadline", "required", "a notice that must be acknowledged needs a deadline")
	case !in.MustAcknowledge && in.AckDeadline != nil:
		v.Add("ack_deadline", "not_allowed", "only a notice that must be acknowledged has a deadline: set must_acknowledge or leave ack_deadline out")
	case in.MustAcknowledge:
		if v.Check(in.AckDeadline.After(now), "ack_deadline", "in_past", "the acknowledgement deadline has passed") && in.ValidUntil != nil {
			v.Check(in.AckDeadline.After(from) && !in.AckDeadline.After(*in.ValidUntil), "ack_deadline", "outside_window",
				"the deadline is after valid_from and no later than valid_until")
		}
	}
	for _, t := range []**time.Time{&in.ValidFrom, &in.ValidUntil, &in.AckDeadline} {
		if *t != nil {
			u := instant(**t)
			*t = &u
		}
	}
	return in, v.Err()
}

// with is n with the fields a publisher writes set from in.
func (n Notice) with(in NoticeInput) Notice {
	n.Title, n.Body, n.Audience, n.ValidFrom = in.Title, in.Body, in.Audience, in.ValidFrom
	if in.ValidUntil != nil {
		n.ValidUntil = *in.ValidUntil
	}
	n.Pinned, n.MustAcknowledge, n.AckDeadline = in.Pinned, in.MustAcknowledge, in.AckDeadline
	return n
}

// input is what the publisher wrote of n.
func (n Notice) input() NoticeInput {
	until := n.ValidUntil
	return NoticeInput{Title: n.Title, Body: n.Body, Audience: n.Audience, ValidFrom: n.ValidFrom, ValidUntil: &until,
		Pinned: n.Pinned, MustAcknowledge: n.MustAcknowledge, AckDeadline: n.AckDeadline}
}

// Listed reports whether n is in its readers' lists at now: published, not
// revoked, within its validity window.
func (n Notice) Listed(now time.Time) bool {
	return n.State == NoticePublished && n.ValidFrom != nil && !now.Before(*n.ValidFrom) && now.Before(n.ValidUntil)
}

// noticeList trims a list, dropping blanks and repeats, keeping the order.
func noticeList(list []string) []string {
	var out []string
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
