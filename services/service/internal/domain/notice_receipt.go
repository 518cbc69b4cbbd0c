package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Receipt is one reader's copy of a published notice: when they read and
// acknowledged it. It carries what their lists sort and filter by (pinned,
// window, publication, revocation), copied from the notice — a published
// notice does not change but to be revoked, which the repository copies too
// — so that a reader's list is one index range of their receipts.
type Receipt struct {
	NoticeID    string
	ReaderID    string
	ReaderName  string
	ReaderTeams []string
	// Copied from the notice.
	Pinned          bool
	MustAcknowledge bool
	AckDeadline     *time.Time
	ValidFrom       time.Time
	ValidUntil      time.Time
	PublishedAt     time.Time
	RevokedAt       *time.Time
	// AddedAt is when the reader got it (at publication, or when they
	// joined its audience later).
	AddedAt time.Time
	// ReadAt and AckedAt are the first instants; they never move.
	ReadAt  *time.Time
	AckedAt *time.Time
}

// ReceiptOf is r's receipt of the published notice n, added at now.
func ReceiptOf(n Notice, r Reader, now time.Time) Receipt {
	rc := Receipt{NoticeID: n.ID, ReaderID: r.ID, ReaderName: r.Name, ReaderTeams: noticeList(r.Teams),
		Pinned: n.Pinned, MustAcknowledge: n.MustAcknowledge, AckDeadline: n.AckDeadline, ValidUntil: n.ValidUntil,
		RevokedAt: n.RevokedAt, AddedAt: instant(now)}
	if n.ValidFrom != nil {
		rc.ValidFrom = *n.ValidFrom
	}
	if n.PublishedAt != nil {
		rc.PublishedAt = *n.PublishedAt
	}
	return rc
}

// ReceiptsFor are the receipts of the published notice n for the readers
// the user directory found: one per reader in its audience, each once;
// readers outside it, and ids a token could not carry, are skipped. A
// draft or revoked notice gets none (ErrNoticeNotPublished,
// ErrNoticeRevoked): its publication was undone, or it was revoked while
// its readers were being resolved.
func ReceiptsFor(n Notice, readers []Reader, org Org, now time.Time) ([]Receipt, error) {
	if err := CheckReceiving(n); err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(readers))
	var out []Receipt
	for _, r := range readers {
		if seen[r.ID] || !ValidReader(r) || !n.Audience.Includes(r, org) {
			continue
		}
		seen[r.ID] = true
		out = append(out, ReceiptOf(n, r, now))
	}
	return out, nil
}

// ReadNotice records that the reader read n: the first instant is kept, so
// reading again changes nothing. A revoked notice is not read any more.
func ReadNotice(n Notice, rc Receipt, now time.Time) (Receipt, error) {
	if err := CheckReceiving(n); err != nil {
		return rc, err
	}
	if rc.ReadAt == nil {
		at := instant(now)
		rc.ReadAt = &at
	}
	return rc, nil
}

// AcknowledgeNotice records that the reader acknowledged n, which must ask
// for it; acknowledging also reads. The first instant is kept: a second
// acknowledgement changes nothing. A late acknowledgement (after the
// deadline) is recorded as such — it still closes the reader's part.
func AcknowledgeNotice(n Notice, rc Receipt, now time.Time) (Receipt, error) {
	if err := CheckReceiving(n); err != nil {
		return rc, err
	}
	if !n.MustAcknowledge {
		return rc, ErrNoticeNoAcknowledgement
	}
	at := instant(now)
	if rc.ReadAt == nil {
		rc.ReadAt = &at
	}
	if rc.AckedAt == nil {
		rc.AckedAt = &at
	}
	return rc, nil
}

// CheckReceiving refuses receipts of a notice that is not published: a
// draft (ErrNoticeNotPublished) or revoked (ErrNoticeRevoked).
func CheckReceiving(n Notice) error {
	switch n.State {
	case NoticeDraft:
		return ErrNoticeNotPublished
	case NoticeRevoked:
		return ErrNoticeRevoked
	}
	return nil
}

// Overdue reports whether the reader owes an acknowledgement past its
// deadline at now (nobody owes one of a revoked notice).
func (rc Receipt) Overdue(now time.Time) bool {
	return rc.MustAcknowledge && rc.AckedAt == nil && rc.RevokedAt == nil && rc.AckDeadline != nil && now.After(*rc.AckDeadline)
}

// Boxes of notices a person lists.
const (
	// BoxInbox: the notices addressed to me that are listed now (published,
	// in their window, not revoked), pinned first, then newest.
	BoxInbox = "inbox"
	// BoxUnread: those of the inbox I have not read.
	BoxUnread = "unread"
	// BoxUnacknowledged: those of the inbox I must acknowledge and have not.
	BoxUnacknowledged = "unacknowledged"
	// BoxPublished: the notices I published (and revoked), newest
	// publication first; an admin's: everyone's.
	BoxPublished = "published"
	// BoxDrafts: my drafts, newest first; an admin's: everyone's.
	BoxDrafts = "drafts"
)

// NoticeBoxes lists the boxes.
var NoticeBoxes = []string{BoxInbox, BoxUnread, BoxUnacknowledged, BoxPublished, BoxDrafts}

// ReaderBox reports whether box lists the caller's receipts (rather than
// the notices they wrote).
func ReaderBox(box string) bool {
	return box == BoxInbox || box == BoxUnread || box == BoxUnacknowledged
}

// Receipt states a publisher filters their readers by.
const (
	ReceiptUnread         = "unread"
	ReceiptRead           = "read"
	ReceiptAcknowledged   = "acknowledged"
	ReceiptUnacknowledged = "unacknowledged"
)

// ReceiptStates lists the receipt filters.
var ReceiptStates = []string{ReceiptUnread, ReceiptRead, ReceiptAcknowledged, ReceiptUnacknowledged}

// CheckNoticeQuery validates a box ("" inbox) and a receipt state filter
// ("" all), every bad value at once.
func CheckNoticeQuery(box, state string) error {
	var v apperr.Validation
	v.Check(box == "" || slices.Contains(NoticeBoxes, box), "box", "invalid", "one of "+strings.Join(NoticeBoxes, ", "))
	v.Check(state == "" || slices.Contains(ReceiptStates, state), "state", "invalid", "one of "+strings.Join(ReceiptStates, ", "))
	return v.Err()
}
