package app

import (
	"context"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// AudienceView is who a notice is addressed to: everyone, or the union of
// the departments, roles and teams listed.
type AudienceView struct {
	Everyone bool `json:"everyone"`
	// Departments: sales, service, marketing (those configured).
	Departments []string `json:"departments"`
	// Roles: rep, manager, analyst, admin.
	Roles []string `json:"roles"`
	Teams []string `json:"teams"`
}

// NoticeView is a notice as its readers, publisher and overseers see it.
type NoticeView struct {
	ID       string       `json:"id"`
	Title    string       `json:"title"`
	Body     string       `json:"body"`
	Audience AudienceView `json:"audience"`
	// ValidFrom: when readers start seeing it (absent in a draft that
	// starts when published); ValidUntil: when they stop.
	ValidFrom       *time.Time `json:"valid_from,omitempty"`
	ValidUntil      time.Time  `json:"valid_until"`
	Pinned          bool       `json:"pinned"`
	MustAcknowledge bool       `json:"must_acknowledge"`
	AckDeadline     *time.Time `json:"ack_deadline,omitempty"`
	// State: draft, published or revoked.
	State          string     `json:"state"`
	PublisherID    string     `json:"publisher_id"`
	PublisherName  string     `json:"publisher_name"`
	PublisherTeams []string   `json:"publisher_teams"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	PublishedAt    *time.Time `json:"published_at,omitempty"`
	RevokedAt      *time.Time `json:"revoked_at,omitempty"`
	RevokedBy      string     `json:"revoked_by,omitempty"`
	RevokeReason   string     `json:"revoke_reason,omitempty"`
	Version        int64      `json:"version"`
	// Receipt is yours, when the notice is addressed to you.
	Receipt *OwnReceiptView `json:"receipt,omitempty"`
}

// OwnReceiptView is the caller's receipt of a notice.
type OwnReceiptView struct {
	ReadAt         *time.Time `json:"read_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
	// Overdue: you must acknowledge it and its deadline has passed.
	Overdue bool `json:"overdue"`
}

// NoticePage is a page of a box.
type NoticePage struct {
	Items []NoticeView `json:"items"`
	// NextCursor, when not empty, is the cursor of the next page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// ReceiptView is one reader's receipt, as the publisher sees it.
type ReceiptView struct {
	ReaderID       string     `json:"reader_id"`
	ReaderName     string     `json:"reader_name"`
	ReaderTeams    []string   `json:"reader_teams"`
	AddedAt        time.Time  `json:"added_at"`
	ReadAt         *time.Time `json:"read_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
	// Overdue: not acknowledged, and the deadline has passed.
	Overdue bool `json:"overdue"`
}

// ReceiptCountsView counts a notice's readers. For a notice that does not
// ask to be acknowledged, the acknowledgement counts are 0.
type ReceiptCountsView struct {
	Readers        int64 `json:"readers"`
	Read           int64 `json:"read"`
	Unread         int64 `json:"unread"`
	Acknowledged   int64 `json:"acknowledged"`
	Unacknowledged int64 `json:"unacknowledged"`
	// Overdue: not acknowledged by the deadline (0 before it).
	Overdue int64 `json:"overdue"`
}

// ReceiptsPage is who has and has not read (and acknowledged) a notice:
// the counts over all its readers, and a page of them by reader id.
type ReceiptsPage struct {
	NoticeID        string            `json:"notice_id"`
	MustAcknowledge bool              `json:"must_acknowledge"`
	AckDeadline     *time.Time        `json:"ack_deadline,omitempty"`
	Counts          ReceiptCountsView `json:"counts"`
	Items           []ReceiptView     `json:"items"`
	// NextCursor, when not empty, is the cursor of the next page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// NoticeOf is the view of n, with the caller's receipt rc (nil: none).
func NoticeOf(n domain.Notice, rc *domain.Receipt, now time.Time) NoticeView {
	v := NoticeView{ID: n.ID, Title: n.Title, Body: n.Body, Audience: AudienceView{Everyone: n.Audience.Everyone,
		Departments: noticeStrings(n.Audience.Departments), Roles: noticeStrings(n.Audience.Roles), Teams: noticeStrings(n.Audience.Teams)},
		ValidFrom: n.ValidFrom, ValidUntil: n.ValidUntil, Pinned: n.Pinned, MustAcknowledge: n.MustAcknowledge, AckDeadline: n.AckDeadline,
		State: n.State, PublisherID: n.PublisherID, PublisherName: n.PublisherName, PublisherTeams: noticeStrings(n.PublisherTeams),
		CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt, PublishedAt: n.PublishedAt, RevokedAt: n.RevokedAt, RevokedBy: n.RevokedBy,
		RevokeReason: n.RevokeReason, Version: n.Version}
	if rc != nil {
		v.Receipt = &OwnReceiptView{ReadAt: rc.ReadAt, AcknowledgedAt: rc.AckedAt, Overdue: rc.Overdue(now)}
	}
	return v
}

func noticeStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ListNotices returns a page of one of the caller's boxes (domain.Box…; ""
// the inbox). A reader's box first gives them the receipts they miss of
// notices published since they last listed (a new user, a new team). A
// bad box is a 400.
func (a *Notices) ListNotices(ctx context.Context, box string, after *adapters.NoticeCursor, limit int, encode func(any) string) (NoticePage, error) {
	p, _, err := caller(ctx)
	if err != nil {
		return NoticePage{}, err
	}
	if err := domain.CheckNoticeQuery(box, ""); err != nil {
		return NoticePage{}, badQuery(err)
	}
	if box == "" {
		box = domain.BoxInbox
	}
	now := a.Now()
	out := NoticePage{Items: []NoticeView{}}
	var next *adapters.NoticeCursor
	if domain.ReaderBox(box) {
		if err := a.sync(ctx, p, now); err != nil {
			return NoticePage{}, err
		}
		var items []adapters.Received
		if items, next, err = a.repo.Box(ctx, p.Subject, box, now, after, limit); err != nil {
			return NoticePage{}, err
		}
		for _, it := range items {
			out.Items = append(out.Items, NoticeOf(it.Notice, &it.Receipt, now))
		}
	} else {
		publisher := p.Subject
		if p.Has(auth.RoleAdmin) {
			publisher = "" // admins see every publisher's
		}
		var items []domain.Notice
		if items, next, err = a.repo.Written(ctx, publisher, box, after, limit); err != nil {
			return NoticePage{}, err
		}
		for _, n := range items {
			out.Items = append(out.Items, NoticeOf(n, nil, now))
		}
	}
	if next != nil {
		out.NextCursor = encode(next)
	}
	return out, nil
}

// Receipts returns who has and has not read (state: unread, read,
// acknowledged, unacknowledged; "" all) a notice, with the counts: for its
// publisher, the managers of the publisher's team and admins (403 for its
// readers; 404 for who does not see it).
func (a *Notices) Receipts(ctx context.Context, id, state string, after *adapters.NoticeCursor, limit int, encode func(any) string) (ReceiptsPage, error) {
	p, _, err := caller(ctx)
	if err != nil {
		return ReceiptsPage{}, err
	}
	now := a.Now()
	n, _, err := a.see(ctx, p, id, now)
	if err != nil {
		return ReceiptsPage{}, err
	}
	if !domain.MayOverseeNotice(p, n) {
		return ReceiptsPage{}, domain.ErrNoticeReceiptsNotAllowed
	}
	if err := domain.CheckNoticeQuery("", state); err != nil {
		return ReceiptsPage{}, badQuery(err)
	}
	if !n.MustAcknowledge && (state == domain.ReceiptAcknowledged || state == domain.ReceiptUnacknowledged) {
		return ReceiptsPage{}, domain.ErrNoticeNoAcknowledgement
	}
	afterReader := ""
	if after != nil {
		afterReader = after.ID
	}
	rcs, nextReader, err := a.repo.Receipts(ctx, id, state, afterReader, limit)
	if err != nil {
		return ReceiptsPage{}, err
	}
	c, err := a.repo.Counts(ctx, id)
	if err != nil {
		return ReceiptsPage{}, err
	}
	out := ReceiptsPage{NoticeID: n.ID, MustAcknowledge: n.MustAcknowledge, AckDeadline: n.AckDeadline, Items: make([]ReceiptView, 0, len(rcs)),
		Counts: ReceiptCountsView{Readers: c.Readers, Read: c.Read, Unread: c.Readers - c.Read}}
	if n.MustAcknowledge {
		out.Counts.Acknowledged, out.Counts.Unacknowledged = c.Acknowledged, c.Readers-c.Acknowledged
		if (domain.Receipt{MustAcknowledge: true, AckDeadline: n.AckDeadline, RevokedAt: n.RevokedAt}).Overdue(now) {
			out.Counts.Overdue = out.Counts.Unacknowledged
		}
	}
	for _, rc := range rcs {
		out.Items = append(out.Items, ReceiptView{ReaderID: rc.ReaderID, ReaderName: rc.ReaderName, ReaderTeams: noticeStrings(rc.ReaderTeams),
			AddedAt: rc.AddedAt, ReadAt: rc.ReadAt, AcknowledgedAt: rc.AckedAt, Overdue: rc.Overdue(now)})
	}
	if nextReader != "" {
		out.NextCursor = encode(adapters.NoticeCursor{ID: nextReader})
	}
	return out, nil
}
