package wfx_test

import (
	"errors"
	"fmt"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/closeloop/closeloop/workflows/wfx"
)

func TestRefusalRoundTrip(t *testing.T) {
	for _, r := range []*wfx.Refusal{
		{Code: "same_owner", Message: "the lead is already assigned to rep-ana"},
		{Code: "non_working_day", Field: "day", Message: "2026-12-25 is not a working day"},
	} {
		err := r.Err()
		var app *temporal.ApplicationError
		if !errors.As(err, &app) || !app.NonRetryable() || app.Type() != r.Code || app.Message() != r.Message {
			t.Fatalf("%+v as error: %v", r, err)
		}
		back, ok := wfx.AsRefusal(fmt.Errorf("update failed: %w", err))
		if !ok || *back != *r {
			t.Errorf("round trip of %+v gave %+v (%v)", r, back, ok)
		}
		if r.Error() != r.Message {
			t.Errorf("Error() %q, want the message", r.Error())
		}
	}
	var none *wfx.Refusal
	if none.Err() != nil {
		t.Error("a nil refusal is no error")
	}
	if _, ok := wfx.AsRefusal(errors.New("connection refused")); ok {
		t.Error("a plain error is no refusal")
	}
}
