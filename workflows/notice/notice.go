// Package notice holds the workflows that chase the readers of a notice
// (bulletin) that must be acknowledged: Notice:<id>, one per such notice,
// and NoticeAck:<notice>:<reader>, one per reader who missed the deadline.
//
// The service database is the record of notices and receipts; nothing here
// writes them. A notice's workflow only waits: for the acknowledgement
// deadline, then — at once — has the after-sales service start a NoticeAck
// workflow for every reader who has not acknowledged (the service pages
// through its receipts, and closes again at once a follow-up whose reader
// acknowledged while it was being started); after that it waits for a
// revocation until the notice's validity ends. A revocation cancels the
// readers' follow-ups still open; one before the deadline leaves nobody to
// chase. The service sends the revocation with signal-with-start, so that it
// reaches the notice even after its workflow ended.
//
// A reader's NoticeAck workflow is the follow-up engine's tracker (kind
// notice_ack, due at the notice's deadline, escalated along
// notices.ack_escalation_ladder: remind the reader, then tell their team's
// managers) and nothing else: the reader's acknowledgement closes it (done)
// through the close-follow-up signal, as a revocation (cancelled) and a
// manager on the board do. Before each ladder step is acted on, it asks the
// service how the receipt stands, so that a close signal that was lost (the
// engine was down when the reader acknowledged) ends it at the next step.
package notice

import (
	"time"

	"go.temporal.io/sdk/workflow"

	servicec "github.com/closeloop/closeloop/proto/contract/service"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// ChasesTimeout bounds one attempt of opening or cancelling the readers'
// follow-ups: the service pages through every receipt, heartbeating each
// page, and resumes from the last page done when an attempt is retried.
const (
	ChasesTimeout   = 30 * time.Minute
	ChasesHeartbeat = time.Minute
)

// Notice is the Notice workflow (see the package documentation).
func Notice(ctx workflow.Context, in *servicev1.NoticeInput) (*servicev1.NoticeChasesResult, error) {
	svc := wfx.Activities(ctx, wfx.Call{Queue: servicec.TaskQueue, Timeout: ChasesTimeout, Heartbeat: ChasesHeartbeat,
		NonRetryable: []string{"invalid", "not_found"}})
	revocations := workflow.GetSignalChannel(ctx, wfc.SignalNoticeRevoked)
	log := workflow.GetLogger(ctx)
	out := &servicev1.NoticeChasesResult{}

	var revoked *servicev1.NoticeRevoked
	// wait waits until the instant or a revocation, whichever comes first.
	wait := func(until time.Time) {
		if revoked != nil {
			return
		}
		r := &servicev1.NoticeRevoked{}
		if revocations.ReceiveAsync(r) {
			revoked = r
			return
		}
		d := until.Sub(workflow.Now(ctx))
		if d <= 0 {
			return
		}
		tctx, cancel := workflow.WithCancel(ctx)
		defer cancel()
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(workflow.NewTimer(tctx, d), func(workflow.Future) {})
		sel.AddReceive(revocations, func(c workflow.ReceiveChannel, _ bool) {
			c.Receive(ctx, r)
			revoked = r
		})
		sel.Select(ctx)
	}

	deadline := in.GetAckDeadline().AsTime()
	wait(deadline)
	if revoked == nil {
		var opened servicev1.NoticeChasesResult
		if err := workflow.ExecuteActivity(svc, servicec.ActivityOpenNoticeChases, &servicev1.NoticeChasesInput{Notice: in}).Get(ctx, &opened); err != nil {
			return out, err
		}
		out.Started, out.Closed = opened.GetStarted(), opened.GetClosed()
		log.Info("notice: readers chased", "started", opened.GetStarted(), "acknowledged meanwhile", opened.GetClosed())
		wait(in.GetValidUntil().AsTime())
	}
	if revoked == nil || workflow.Now(ctx).Before(deadline) {
		// Ended, or revoked before anyone was chased.
		return out, nil
	}
	note := "the notice was revoked"
	if r := revoked.GetReason(); r != "" {
		note += ": " + r
	}
	var cancelled servicev1.NoticeChasesResult
	err := workflow.ExecuteActivity(svc, servicec.ActivityCancelNoticeChases,
		&servicev1.NoticeChasesInput{Notice: in, By: revoked.GetBy(), Note: note}).Get(ctx, &cancelled)
	out.Closed += cancelled.GetClosed()
	return out, err
}

// NoticeAck is the NoticeAck workflow (see the package documentation): the
// reader's follow-up, closed by the close-follow-up signal.
func NoticeAck(ctx workflow.Context, in *servicev1.NoticeAckInput) (*followupv1.CloseSignal, error) {
	n := in.GetNotice()
	spec := &followupv1.FollowUpSpec{
		Id: in.GetFollowUpId(), Kind: policy.KindNoticeAck, OwnerId: in.GetReaderId(), Team: in.GetReaderTeam(),
		Title: title(n.GetTitle()), AnchorAt: n.GetPublishedAt(), DueAt: n.GetAckDeadline(),
		OpenedBy: wfc.NoticeWorkflowID(n.GetNoticeId()),
	}
	svc := wfx.Activities(ctx, wfx.Call{Queue: servicec.TaskQueue, NonRetryable: []string{"invalid", "not_found"}})
	out, err := followup.Track(ctx, spec, followup.Options{
		// A close signal lost on the way (the engine was down when the
		// reader acknowledged) ends the chase at its next step.
		OnStep: func(ctx workflow.Context, _ followup.Step) error {
			var st servicev1.NoticeReceiptState
			if err := workflow.ExecuteActivity(svc, servicec.ActivityNoticeReceiptState,
				&servicev1.NoticeReceiptInput{NoticeId: n.GetNoticeId(), ReaderId: in.GetReaderId()}).Get(ctx, &st); err != nil {
				return err
			}
			switch {
			case st.GetAcknowledged():
				return &followup.Handover{State: "done", Note: "acknowledged"}
			case st.GetRevoked():
				return &followup.Handover{State: "cancelled", Note: "the notice was revoked"}
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	return &followupv1.CloseSignal{State: out.State, By: out.By, Note: out.Note}, nil
}

// title is the follow-up's title: what the reader owes (a notice's title
// has at most 200 characters, the engine keeps 300).
func title(noticeTitle string) string {
	return "Acknowledge the notice “" + noticeTitle + "”"
}
