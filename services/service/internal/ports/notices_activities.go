package ports

import (
	"context"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/closeloop/closeloop/platform/temporalx"
	servicec "github.com/closeloop/closeloop/proto/contract/service"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// NoticeActivities are the after-sales service's activities of the Notice
// and NoticeAck workflows: open and cancel the follow-ups of a notice's
// readers, say how a reader's receipt stands.
type NoticeActivities struct {
	Notices *app.Notices
	Chases  NoticeChases
}

// Register adds the activities to the service's worker.
func (a *NoticeActivities) Register(r worker.Registry) {
	r.RegisterActivityWithOptions(a.OpenNoticeChases, activity.RegisterOptions{Name: servicec.ActivityOpenNoticeChases})
	r.RegisterActivityWithOptions(a.CancelNoticeChases, activity.RegisterOptions{Name: servicec.ActivityCancelNoticeChases})
	r.RegisterActivityWithOptions(a.NoticeReceiptState, activity.RegisterOptions{Name: servicec.ActivityNoticeReceiptState})
}

// noticePage is how many receipts one page of the chases covers.
const noticePage = 200

// OpenNoticeChases starts the NoticeAck workflow of every reader who has
// not acknowledged the notice, a page of receipts at a time; after each
// page it closes again the follow-ups of the page's readers who
// acknowledged meanwhile (an acknowledgement stored before that check is
// seen by it; one stored after it finds the workflow started and closes it
// itself). A notice revoked meanwhile stops it: the revocation cancels what
// was started. Its progress (the last reader done) is its heartbeat, which
// a retried attempt resumes from.
func (a *NoticeActivities) OpenNoticeChases(ctx context.Context, in *servicev1.NoticeChasesInput) (*servicev1.NoticeChasesResult, error) {
	out := &servicev1.NoticeChasesResult{}
	id := in.GetNotice().GetNoticeId()
	after := ""
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &after)
	}
	for {
		n, err := a.Notices.Notice(ctx, id)
		if err != nil {
			return out, temporalx.NonRetryable(err)
		}
		if n.State != domain.NoticePublished {
			return out, nil
		}
		page, err := a.Notices.Unacknowledged(ctx, id, after, noticePage)
		if err != nil || len(page) == 0 {
			return out, err
		}
		readers := make([]string, len(page))
		for i, rc := range page {
			if err := a.Chases.startReader(ctx, in.GetNotice(), rc); err != nil {
				return out, err
			}
			readers[i] = rc.ReaderID
			out.Started++
		}
		acked, err := a.Notices.Acknowledged(ctx, id, readers)
		if err != nil {
			return out, err
		}
		for _, r := range readers {
			if !acked[r] {
				continue
			}
			if err := a.Chases.Acknowledged(ctx, n, r); err != nil {
				return out, err
			}
			out.Closed++
		}
		after = readers[len(readers)-1]
		activity.RecordHeartbeat(ctx, after)
	}
}

// CancelNoticeChases cancels the follow-ups still open of a revoked
// notice's readers: every reader is told (one never chased, or whose
// follow-up has closed, changes nothing).
func (a *NoticeActivities) CancelNoticeChases(ctx context.Context, in *servicev1.NoticeChasesInput) (*servicev1.NoticeChasesResult, error) {
	out := &servicev1.NoticeChasesResult{}
	id := in.GetNotice().GetNoticeId()
	after := ""
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &after)
	}
	for {
		page, err := a.Notices.Readers(ctx, id, after, noticePage)
		if err != nil || len(page) == 0 {
			return out, err
		}
		for _, rc := range page {
			if rc.AckedAt != nil {
				continue // closed when acknowledged
			}
			if err := a.Chases.closeReader(ctx, id, rc.ReaderID,
				&followupv1.CloseSignal{State: "cancelled", By: in.GetBy(), Note: in.GetNote()}); err != nil {
				return out, err
			}
			out.Closed++
		}
		after = page[len(page)-1].ReaderID
		activity.RecordHeartbeat(ctx, after)
	}
}

// NoticeReceiptState says whether the reader acknowledged the notice, and
// whether it was revoked (or the reader has no receipt of it).
func (a *NoticeActivities) NoticeReceiptState(ctx context.Context, in *servicev1.NoticeReceiptInput) (*servicev1.NoticeReceiptState, error) {
	n, err := a.Notices.Notice(ctx, in.GetNoticeId())
	if err != nil {
		return nil, temporalx.NonRetryable(err)
	}
	rc, ok, err := a.Notices.ReceiptOf(ctx, in.GetNoticeId(), in.GetReaderId())
	if err != nil {
		return nil, err
	}
	return &servicev1.NoticeReceiptState{Acknowledged: ok && rc.AckedAt != nil, Revoked: !ok || n.State == domain.NoticeRevoked}, nil
}
