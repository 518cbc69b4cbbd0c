package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// Notices (bulletins, docs/notices.md): managers and admins write drafts,
// publish them to an audience and revoke them; each reader reads and, when
// asked, acknowledges them; publishers see who has and has not. The rules
// are the domain's (notice*.go); this file reads each use case top to
// bottom: who asks, what they see, the rule, the store.
//
// A notice's readers are one receipt each, written when it is published:
// the audience is resolved against the user directory, which lives in the
// customer service — NoticeWorkflows hands the published notice over, and
// the people it finds come back through AddReaders. A person who joins an
// audience later (a new user, a move to another team) gets the receipts
// they miss on their next list (sync).

// ErrNoticePublishingUnavailable: the notice's readers could not be resolved
// now (the workflow engine or the user directory did not answer); the
// notice stays a draft.
var ErrNoticePublishingUnavailable = apperr.Unavailable("notice_publishing_unavailable",
	"the notice's readers could not be looked up in the user directory just now; it is still a draft: publish it again in a moment")

// Reader is a person the user directory has in a notice's audience.
type Reader = domain.Reader

// NoticeWorkflows is where a notice goes once published: the user directory,
// which resolves its audience, and, for a notice that must be acknowledged,
// its Notice workflow, which chases the readers who miss the deadline.
type NoticeWorkflows interface {
	// Published hands over a notice just stored as published. It returns
	// once its readers are stored (Notices.AddReaders) — those the
	// directory has in its audience, or none. An error undoes the
	// publication (the notice is a draft again, without receipts).
	Published(ctx context.Context, n domain.Notice) error
	// Chase starts the Notice workflow of a published notice that must be
	// acknowledged, once its readers are stored: at the deadline it opens
	// a follow-up for each reader who has not acknowledged. Starting twice
	// starts it once. An error undoes the publication.
	Chase(ctx context.Context, n domain.Notice) error
	// Revoked tells that a published notice was revoked: nobody is chased
	// for it any more. The revocation is stored before; an error is logged.
	Revoked(ctx context.Context, n domain.Notice) error
	// Acknowledged tells that the reader acknowledged a notice after its
	// deadline: their follow-up, if one was opened, is closed as done. The
	// acknowledgement is stored before; an error is logged (the follow-up
	// then ends at its next ladder step, which finds it acknowledged).
	Acknowledged(ctx context.Context, n domain.Notice, readerID string) error
}

// Notices serves the notice use cases.
type Notices struct {
	repo *adapters.Notices
	db   *gorm.DB
	// Org is the organisation's departments (DEPARTMENTS).
	Org domain.Org
	// Workflows resolves a published notice's readers; nil: notices are
	// not published (503 notice_publishing_unavailable).
	Workflows NoticeWorkflows
	Log       *slog.Logger
	// Now is the clock (tests may set it).
	Now func() time.Time
	// synced: reader id → the publication instant up to which their
	// receipts are complete, as this process last knew (notice_reader_sync
	// holds it for every process).
	synced sync.Map
}

// NewNotices returns the notice use cases over a migrated database.
func NewNotices(gdb *gorm.DB, org domain.Org, wf NoticeWorkflows) *Notices {
	return &Notices{repo: adapters.NewNotices(gdb), db: gdb, Org: org, Workflows: wf, Log: slog.Default(), Now: time.Now}
}

// CreateNotice writes a draft: only managers and admins (403 otherwise);
// every bad field at once (422), nothing stored. With an Idempotency-Key,
// a retry with the same body answers the first response.
func (a *Notices) CreateNotice(ctx context.Context, in domain.NoticeInput, idemKey string, rawBody []byte) (Created, error) {
	p, _, err := caller(ctx)
	if err != nil {
		return Created{}, err
	}
	if err := idem.ValidateKey(idemKey); err != nil {
		return Created{}, err
	}
	n, err := domain.NewNotice(adapters.NewID(), in, p, a.Org, a.Now())
	if err != nil {
		return Created{}, err
	}
	res, err := idem.Do(ctx, a.db, idem.Request{Key: idemKey, Principal: p.Subject, Scope: "POST /v1/notices", Body: rawBody},
		func(tx *gorm.DB) (int, any, error) {
			return http.StatusCreated, NoticeOf(n, nil, a.Now()), a.repo.In(tx).Create(ctx, n)
		})
	if err != nil {
		return Created{}, err
	}
	out := Created{Status: res.Status, Body: res.Body, Replayed: res.Replayed, ID: n.ID}
	if res.Replayed {
		var v struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(res.Body, &v); err != nil {
			return Created{}, err
		}
		out.ID = v.ID
	}
	return out, nil
}

// GetNotice returns a notice the caller sees, with their receipt when they
// are one of its readers (404 otherwise).
func (a *Notices) GetNotice(ctx context.Context, id string) (NoticeView, error) {
	p, _, err := caller(ctx)
	if err != nil {
		return NoticeView{}, err
	}
	now := a.Now()
	n, rc, err := a.see(ctx, p, id, now)
	if err != nil {
		return NoticeView{}, err
	}
	return NoticeOf(n, rc, now), nil
}

// EditNotice replaces the whole of a draft, as its publisher (or an admin);
// expected (0: unchecked) is the version the caller read.
func (a *Notices) EditNotice(ctx context.Context, id string, in domain.NoticeInput, expected int64) (NoticeView, error) {
	p, _, err := caller(ctx)
	if err != nil {
		return NoticeView{}, err
	}
	now := a.Now()
	if _, _, err := a.see(ctx, p, id, now); err != nil {
		return NoticeView{}, err
	}
	n, err := a.repo.Update(ctx, id, func(n *domain.Notice) error {
		if expected != 0 && expected != n.Version {
			return domain.ErrNoticeVersionConflict
		}
		var err error
		*n, err = domain.EditNotice(*n, in, p, a.Org, now)
		return err
	})
	if err != nil {
		return NoticeView{}, err
	}
	return NoticeOf(n, nil, now), nil
}

// Publish publishes a draft: it is stored as published, its readers are
// resolved (Workflows), and it is shown to them from its ValidFrom. An
// audience that matched nobody (422 audience empty), or readers that could
// not be resolved (503), leave it a draft exactly as it was.
func (a *Notices) Publish(ctx context.Context, id string) (NoticeView, error) {
	p, _, err := caller(ctx)
	if err != nil {
		return NoticeView{}, err
	}
	now := a.Now()
	if _, _, err := a.see(ctx, p, id, now); err != nil {
		return NoticeView{}, err
	}
	if a.Workflows == nil {
		return NoticeView{}, ErrNoticePublishingUnavailable
	}
	var draft domain.Notice
	n, err := a.repo.Update(ctx, id, func(n *domain.Notice) error {
		draft = *n
		var err error
		*n, err = domain.PublishNotice(*n, p, a.Org, now)
		return err
	})
	if err != nil {
		return NoticeView{}, err
	}
	refusal := a.Workflows.Published(ctx, n)
	var readers int64
	if refusal == nil {
		if readers, err = a.repo.CountReceipts(ctx, id); err != nil {
			refusal = err
		} else if readers == 0 {
			refusal = domain.ErrNoticeAudienceEmpty()
		} else if n.MustAcknowledge {
			refusal = a.Workflows.Chase(ctx, n)
		}
	}
	if refusal != nil {
		if err := a.repo.Unpublish(context.WithoutCancel(ctx), draft, n.Version); err != nil {
			a.Log.ErrorContext(ctx, "notices: undoing a publication whose readers were not resolved", "notice", id, "error", err)
		}
		if e := apperr.From(refusal); e.Kind == apperr.KindInternal {
			a.Log.WarnContext(ctx, "notices: resolving a notice's readers", "notice", id, "error", refusal)
			return NoticeView{}, ErrNoticePublishingUnavailable
		}
		return NoticeView{}, refusal
	}
	rc, _, err := a.repo.Receipt(ctx, id, p.Subject)
	if err != nil {
		return NoticeView{}, err
	}
	return NoticeOf(n, ownReceipt(rc), now), nil
}

// Revoke takes a published notice out of its readers' lists, as its
// publisher, a manager of the publisher's team or an admin.
func (a *Notices) Revoke(ctx context.Context, id, reason string) (NoticeView, error) {
	p, _, err := caller(ctx)
	if err != nil {
		return NoticeView{}, err
	}
	now := a.Now()
	if _, _, err := a.see(ctx, p, id, now); err != nil {
		return NoticeView{}, err
	}
	n, err := a.repo.Update(ctx, id, func(n *domain.Notice) error {
		var err error
		*n, err = domain.RevokeNotice(*n, p, reason, now)
		return err
	})
	if err != nil {
		return NoticeView{}, err
	}
	if a.Workflows != nil {
		if err := a.Workflows.Revoked(ctx, n); err != nil {
			a.Log.WarnContext(ctx, "notices: telling the notice's workflow it was revoked", "notice", id, "error", err)
		}
	}
	return NoticeOf(n, nil, now), nil
}

// Read records that the caller, a reader, read the notice (the first
// instant is kept).
func (a *Notices) Read(ctx context.Context, id string) (NoticeView, error) {
	return a.receive(ctx, id, domain.ReadNotice)
}

// Acknowledge records that the caller, a reader, acknowledged a notice that
// asks for it; it also reads it. Twice: the first instants. Past the
// deadline, the reader's follow-up (if one was opened) is closed.
func (a *Notices) Acknowledge(ctx context.Context, id string) (NoticeView, error) {
	v, n, rc, err := a.receiveAs(ctx, id, domain.AcknowledgeNotice)
	if err != nil || n.AckDeadline == nil || a.Now().Before(*n.AckDeadline) || a.Workflows == nil {
		return v, err
	}
	if err := a.Workflows.Acknowledged(ctx, n, rc.ReaderID); err != nil {
		a.Log.WarnContext(ctx, "notices: closing the reader's follow-up of an acknowledged notice", "notice", id, "error", err)
	}
	return v, nil
}

func (a *Notices) receive(ctx context.Context, id string, change func(domain.Notice, domain.Receipt, time.Time) (domain.Receipt, error)) (NoticeView, error) {
	v, _, _, err := a.receiveAs(ctx, id, change)
	return v, err
}

// receiveAs applies change to the caller's receipt of the notice, and
// returns the notice and the receipt as stored.
func (a *Notices) receiveAs(ctx context.Context, id string, change func(domain.Notice, domain.Receipt, time.Time) (domain.Receipt, error)) (NoticeView, domain.Notice, domain.Receipt, error) {
	p, _, err := caller(ctx)
	if err != nil {
		return NoticeView{}, domain.Notice{}, domain.Receipt{}, err
	}
	now := a.Now()
	n, _, err := a.see(ctx, p, id, now)
	if err != nil {
		return NoticeView{}, n, domain.Receipt{}, err
	}
	if err := domain.CheckReceiving(n); err != nil {
		return NoticeView{}, n, domain.Receipt{}, err
	}
	rc, err := a.repo.UpdateReceipt(ctx, id, p.Subject, func(stored domain.Notice, rc *domain.Receipt) error {
		n = stored
		var err error
		*rc, err = change(stored, *rc, now)
		return err
	})
	if err != nil {
		return NoticeView{}, n, rc, err
	}
	return NoticeOf(n, &rc, now), n, rc, nil
}

// see returns a notice the caller sees at now, and their receipt of it if
// they have one (nil: none); ErrNoticeNotFound otherwise. A caller the
// notice addresses who has no receipt yet (they joined its audience after
// it was published) gets it here.
func (a *Notices) see(ctx context.Context, p auth.Principal, id string, now time.Time) (domain.Notice, *domain.Receipt, error) {
	if id == "" || !domain.ValidRef(id) {
		return domain.Notice{}, nil, domain.ErrNoticeNotFound
	}
	n, err := a.repo.Get(ctx, id)
	if err != nil {
		return domain.Notice{}, nil, err
	}
	rc, ok, err := a.repo.Receipt(ctx, id, p.Subject)
	if err != nil {
		return domain.Notice{}, nil, err
	}
	if reader := domain.ReaderOf(p); !ok && n.Addresses(reader, a.Org, now) {
		if _, err := a.repo.AddReceipts(ctx, id, func(n domain.Notice) ([]domain.Receipt, error) {
			return domain.ReceiptsFor(n, []domain.Reader{reader}, a.Org, now)
		}); err != nil && apperr.From(err).Kind == apperr.KindInternal {
			return domain.Notice{}, nil, err
		}
		if rc, ok, err = a.repo.Receipt(ctx, id, p.Subject); err != nil {
			return domain.Notice{}, nil, err
		}
	}
	if !domain.SeesNotice(p, n, ok, now) {
		return domain.Notice{}, nil, domain.ErrNoticeNotFound
	}
	return n, ownReceipt(rc), nil
}

func ownReceipt(rc domain.Receipt) *domain.Receipt {
	if rc.ReaderID == "" {
		return nil
	}
	return &rc
}

// AddReaders stores the receipts of the people the user directory found in
// a published notice's audience (the Notice workflow calls it, page by
// page). Readers outside the audience are skipped (the domain's rule);
// readers who have their receipt keep it as it is, so a retried page adds
// nothing. It returns how many receipts it added. A draft or revoked notice
// gets none (notice_not_published, notice_revoked: stop paging).
func (a *Notices) AddReaders(ctx context.Context, noticeID string, readers []Reader) (int64, error) {
	if !domain.ValidRef(noticeID) {
		return 0, domain.ErrNoticeNotFound
	}
	now := a.Now()
	var total int64
	for start := 0; start < len(readers); start += addReadersBatch {
		part := readers[start:min(start+addReadersBatch, len(readers))]
		added, err := a.repo.AddReceipts(ctx, noticeID, func(n domain.Notice) ([]domain.Receipt, error) {
			return domain.ReceiptsFor(n, part, a.Org, now)
		})
		total += added
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// addReadersBatch is how many readers one transaction of AddReaders stores.
const addReadersBatch = 1000

// Unacknowledged pages through the readers of a must-acknowledge notice who
// have not acknowledged it, by reader id after afterReader ("" from the
// first): whom the Notice workflow chases after the deadline.
func (a *Notices) Unacknowledged(ctx context.Context, noticeID, afterReader string, limit int) ([]domain.Receipt, error) {
	return a.repo.Unacknowledged(ctx, noticeID, afterReader, limit)
}

// Notice is a notice as stored, whoever asks: for the Notice workflow's
// activities.
func (a *Notices) Notice(ctx context.Context, id string) (domain.Notice, error) {
	if !domain.ValidRef(id) {
		return domain.Notice{}, domain.ErrNoticeNotFound
	}
	return a.repo.Get(ctx, id)
}

// ReceiptOf is the reader's receipt of a notice (ok false: none), for the
// Notice workflow's activities.
func (a *Notices) ReceiptOf(ctx context.Context, noticeID, readerID string) (domain.Receipt, bool, error) {
	return a.repo.Receipt(ctx, noticeID, readerID)
}

// Acknowledged returns which of the readers have acknowledged the notice.
func (a *Notices) Acknowledged(ctx context.Context, noticeID string, readerIDs []string) (map[string]bool, error) {
	return a.repo.Acknowledged(ctx, noticeID, readerIDs)
}

// Readers pages through every receipt of a notice by reader id after
// afterReader ("" from the first).
func (a *Notices) Readers(ctx context.Context, noticeID, afterReader string, limit int) ([]domain.Receipt, error) {
	out, _, err := a.repo.Receipts(ctx, noticeID, "", afterReader, limit)
	return out, err
}

// sync gives the caller the receipts they miss: when something was
// published after their receipts were last completed, the notices
// published since that address them (domain: Addresses, from their token)
// get their receipts, and the mark moves to the latest publication.
func (a *Notices) sync(ctx context.Context, p auth.Principal, now time.Time) error {
	latest, err := a.repo.LatestPublication(ctx)
	if err != nil || latest == nil {
		return err
	}
	var mark *time.Time
	if v, ok := a.synced.Load(p.Subject); ok {
		t := v.(time.Time)
		mark = &t
	} else if mark, err = a.repo.SyncedTo(ctx, p.Subject); err != nil {
		return err
	}
	if mark != nil && !latest.After(*mark) {
		a.synced.Store(p.Subject, *mark)
		return nil
	}
	reader := domain.ReaderOf(p)
	if _, err := a.repo.Sync(ctx, p.Subject, mark, *latest, now, func(n domain.Notice) (domain.Receipt, bool) {
		return domain.ReceiptOf(n, reader, now), n.Addresses(reader, a.Org, now)
	}); err != nil {
		return err
	}
	a.synced.Store(p.Subject, *latest)
	return nil
}
