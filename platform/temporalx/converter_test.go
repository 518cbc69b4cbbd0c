package temporalx_test

import (
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/closeloop/closeloop/platform/temporalx"
)

// TestPayloadWithANewerFieldDecodes: a json/protobuf payload written by a
// newer release, with a field this one does not know, decodes (the field
// ignored) — a rolling upgrade runs both releases side by side; the SDK's
// default converter refuses it.
func TestPayloadWithANewerFieldDecodes(t *testing.T) {
	p := &commonpb.Payload{
		Metadata: map[string][]byte{
			converter.MetadataEncoding:    []byte(converter.MetadataEncodingProtoJSON),
			converter.MetadataMessageType: []byte("temporal.api.common.v1.WorkflowExecution"),
		},
		Data: []byte(`{"workflowId":"Visit:c:2026-10-08","runId":"r1","addedInANewerRelease":{"x":1}}`),
	}
	var got commonpb.WorkflowExecution
	if err := temporalx.DataConverter().FromPayload(p, &got); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if got.GetWorkflowId() != "Visit:c:2026-10-08" || got.GetRunId() != "r1" {
		t.Fatalf("decoded %v", &got)
	}
	if err := converter.GetDefaultDataConverter().FromPayload(p, &commonpb.WorkflowExecution{}); err == nil {
		t.Fatal("the SDK's default converter decoded it too: the test proves nothing")
	}
	// Encoding is the default's: json/protobuf for proto messages.
	out, err := temporalx.DataConverter().ToPayload(&got)
	if err != nil || string(out.GetMetadata()[converter.MetadataEncoding]) != converter.MetadataEncodingProtoJSON {
		t.Fatalf("encode: %v %v", out, err)
	}
}
