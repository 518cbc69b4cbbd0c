package followup

import (
	"time"

	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// Close notices: a follow-up whose spec names an activity in notify has it
// called once its record is closed, with a FollowUpClosed, so the owning
// service applies what a close means to it (a care contact restarts the
// customer's care cadence, …) without reaching into the engine's store. The
// engine stays generic: every service's follow-up kinds work the same way.

// closeNoticeChange is the workflow.GetVersion change id of the notice. It is
// asked only when the spec names a notice, so executions without one keep
// their histories unchanged.
const closeNoticeChange = "followup-close-notice"

// NoticeTimeout bounds one attempt of a close notice. The attempt is retried
// (wfx.Retry) with no limit: the owner's service may be down for a while, and
// the notice must reach it once it is back.
const NoticeTimeout = time.Minute

// notifyClosed sends the close notice of the spec, if it names one, for the
// record closed at `at` with state, by and note, and waits until the owner
// took it. It runs in a disconnected context: the record is closed, so a
// cancellation of the workflow arriving meanwhile must neither drop the
// notice nor make Track close the record a second time. Since attempts are
// retried without limit, the notice only ends in an error when the owner
// refuses it (a non-retryable error: its customer deleted, …): that is
// logged, not fatal, for the follow-up is closed either way.
func (t *tracker) notifyClosed(ctx workflow.Context, state, by, note string, at time.Time) {
	n := t.spec.GetNotify()
	if n.GetTaskQueue() == "" || n.GetActivity() == "" {
		return
	}
	if t.version(ctx, closeNoticeChange) != 1 {
		return
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	dctx = wfx.Activities(dctx, wfx.Call{Queue: n.GetTaskQueue(), Timeout: NoticeTimeout})
	if err := workflow.ExecuteActivity(dctx, n.GetActivity(), closedNotice(t.spec, state, by, note, at)).Get(dctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("close notice refused by its owner", "activity", n.GetActivity(), "queue", n.GetTaskQueue(),
			"follow_up", t.spec.GetId(), "error", err)
	}
}

// closedNotice is the FollowUpClosed of spec closed with state, by and note
// at `at`.
func closedNotice(spec *followupv1.FollowUpSpec, state, by, note string, at time.Time) *followupv1.FollowUpClosed {
	return &followupv1.FollowUpClosed{
		Id: spec.GetId(), Kind: spec.GetKind(), CustomerId: spec.GetCustomerId(), OwnerId: spec.GetOwnerId(),
		PolicyKey: spec.GetPolicyKey(), AnchorAt: spec.GetAnchorAt(),
		State: state, By: by, Note: note, At: timestamppb.New(at),
	}
}
