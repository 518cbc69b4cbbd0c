package loyalty_test

import (
	"errors"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
)

var wfRegister = workflow.RegisterOptions{Name: wfc.WorkflowLoyaltySync}

type temporalContinueAsNew = workflow.ContinueAsNewError

func asContinueAsNew(err error, out **temporalContinueAsNew) bool { return errors.As(err, out) }

func decodeInput(can *temporalContinueAsNew, v any) error {
	return converter.GetDefaultDataConverter().FromPayloads(can.Input, v)
}
