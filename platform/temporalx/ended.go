package temporalx

import (
	"context"
	"strings"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// Ended asks Temporal visibility which of the workflow ids have ended: at
// least one closed run (completed, failed, cancelled, terminated or timed out)
// and no open one — a run that continued as new is not an end. Ids Temporal
// has never seen are not in the answer.
func Ended(ctx context.Context, c client.Client, workflowIDs []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(workflowIDs) == 0 {
		return out, nil
	}
	quoted := make([]string, len(workflowIDs))
	for i, id := range workflowIDs {
		quoted[i] = "'" + strings.ReplaceAll(id, "'", "''") + "'"
	}
	in := "WorkflowId IN (" + strings.Join(quoted, ",") + ")"
	list := func(query string, fn func(id string)) error {
		var token []byte
		for {
			res, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token, PageSize: 1000})
			if err != nil {
				return err
			}
			for _, e := range res.GetExecutions() {
				fn(e.GetExecution().GetWorkflowId())
			}
			if token = res.GetNextPageToken(); len(token) == 0 {
				return nil
			}
		}
	}
	if err := list(in+" AND ExecutionStatus IN ('Completed','Failed','Canceled','Terminated','TimedOut')", func(id string) { out[id] = true }); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	if err := list(in+" AND ExecutionStatus = 'Running'", func(id string) { delete(out, id) }); err != nil {
		return nil, err
	}
	return out, nil
}
