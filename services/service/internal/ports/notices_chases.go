package ports

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/apperr"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/services/service/internal/domain"
	"github.com/closeloop/closeloop/workflows/policy"
)

// NoticeWorkflows is where a published notice goes in production
// (app.NoticeWorkflows): its readers from the user directory
// (NoticeReaders), and the workflows that chase those who miss the
// acknowledgement deadline (NoticeChases).
type NoticeWorkflows struct {
	NoticeReaders
	NoticeChases
}

// NoticeChases starts and signals the Notice workflow of a notice that must
// be acknowledged, and the NoticeAck workflows of its readers
// (workflows/notice).
type NoticeChases struct {
	Client client.Client
}

// noticeInput is what the Notice and NoticeAck workflows know of a notice.
func noticeInput(n domain.Notice) *servicev1.NoticeInput {
	in := &servicev1.NoticeInput{NoticeId: n.ID, Title: n.Title, ValidUntil: timestamppb.New(n.ValidUntil), PublishedBy: n.PublisherID}
	if n.AckDeadline != nil {
		in.AckDeadline = timestamppb.New(*n.AckDeadline)
	}
	if n.PublishedAt != nil {
		in.PublishedAt = timestamppb.New(*n.PublishedAt)
	}
	return in
}

func (c NoticeChases) noticeOptions(n domain.Notice) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID: wfc.NoticeWorkflowID(n.ID), TaskQueue: wfc.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword(wfc.SAKind.String()).ValueSet("notice"),
		),
	}
}

// Chase starts the Notice workflow of a published notice that must be
// acknowledged (a running one is kept).
func (c NoticeChases) Chase(ctx context.Context, n domain.Notice) error {
	if !n.MustAcknowledge || n.AckDeadline == nil {
		return nil
	}
	if _, err := c.Client.ExecuteWorkflow(ctx, c.noticeOptions(n), wfc.WorkflowNotice, noticeInput(n)); err != nil {
		return apperr.Unavailable("workflow_unavailable", "the workflow engine is unavailable; retry shortly").Wrap(err)
	}
	return nil
}

// Revoked tells the notice's workflow that it was revoked, starting it
// again if it has ended (after the notice's validity) so that the readers'
// follow-ups still open are cancelled all the same.
func (c NoticeChases) Revoked(ctx context.Context, n domain.Notice) error {
	if !n.MustAcknowledge || n.AckDeadline == nil {
		return nil
	}
	_, err := c.Client.SignalWithStartWorkflow(ctx, wfc.NoticeWorkflowID(n.ID), wfc.SignalNoticeRevoked,
		&servicev1.NoticeRevoked{By: n.RevokedBy, Reason: n.RevokeReason}, c.noticeOptions(n), wfc.WorkflowNotice, noticeInput(n))
	return err
}

// Acknowledged closes the reader's follow-up, if one was opened, as done.
func (c NoticeChases) Acknowledged(ctx context.Context, n domain.Notice, readerID string) error {
	return c.closeReader(ctx, n.ID, readerID, &followupv1.CloseSignal{State: "done", By: readerID, Note: "acknowledged"})
}

// NoticeFollowUpID is the id of a reader's follow-up for a notice: the same
// for every attempt to open it.
func NoticeFollowUpID(noticeID, readerID string) string {
	return uuid.NewSHA1(noticeFollowUps, []byte(noticeID+"\x00"+readerID)).String()
}

var noticeFollowUps = uuid.MustParse("8d3c2f6e-4f7b-5a51-9a6e-2f1d5b0c7e11")

// startReader starts the reader's NoticeAck workflow; one that exists
// (running or ended) is kept, so a retried page starts nobody twice.
func (c NoticeChases) startReader(ctx context.Context, in *servicev1.NoticeInput, rc domain.Receipt) error {
	team := ""
	if len(rc.ReaderTeams) > 0 {
		team = rc.ReaderTeams[0]
	}
	_, err := c.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: wfc.NoticeAckWorkflowID(in.GetNoticeId(), rc.ReaderID), TaskQueue: wfc.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword(wfc.SAKind.String()).ValueSet("follow-up:"+policy.KindNoticeAck),
			temporal.NewSearchAttributeKeyKeyword(wfc.SAOwnerID.String()).ValueSet(rc.ReaderID),
		),
	}, wfc.WorkflowNoticeAck, &servicev1.NoticeAckInput{Notice: in, ReaderId: rc.ReaderID, ReaderTeam: team,
		FollowUpId: NoticeFollowUpID(in.GetNoticeId(), rc.ReaderID)})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil
	}
	return err
}

// closeReader sends the close-follow-up signal to the reader's NoticeAck
// workflow; a reader who was never chased (no workflow, or one that has
// ended) is fine.
func (c NoticeChases) closeReader(ctx context.Context, noticeID, readerID string, s *followupv1.CloseSignal) error {
	err := c.Client.SignalWorkflow(ctx, wfc.NoticeAckWorkflowID(noticeID, readerID), "", wfc.SignalCloseFollowUp, s)
	var missing *serviceerror.NotFound
	if errors.As(err, &missing) {
		return nil
	}
	return err
}
