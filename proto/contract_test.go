package proto_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/proto/contract/customer"
	"github.com/closeloop/closeloop/proto/contract/workflows"
	customerv1 "github.com/closeloop/closeloop/proto/gen/closeloop/customer/v1"
)

func TestReclassifyABCResultProtoJSONRoundTrip(t *testing.T) {
	started := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	in := &customerv1.ReclassifyABCResult{
		CustomersScanned: 1200,
		ClassChanges:     37,
		Pages:            3,
		TotalValue:       98765.5,
		ClassCounts:      map[string]int64{"A": 200, "B": 300, "C": 700},
		StartedAt:        timestamppb.New(started),
		FinishedAt:       timestamppb.New(started.Add(90 * time.Second)),
	}
	b, err := protojson.Marshal(in)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	out := &customerv1.ReclassifyABCResult{}
	if err := protojson.Unmarshal(b, out); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	if !proto.Equal(in, out) {
		t.Fatalf("round trip mismatch:\n in=%v\nout=%v", in, out)
	}
}

func TestClassifyABCPageInputProtoJSONFieldNames(t *testing.T) {
	in := &customerv1.ClassifyABCPageInput{
		RunId:      "2026-01-02",
		Thresholds: &customerv1.ABCThresholds{AShare: 0.8, BShare: 0.95},
		After:      &customerv1.ABCCursor{Value: 12.5, Id: "c-1", Set: true},
		PageSize:   500,
	}
	b, err := protojson.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out := &customerv1.ClassifyABCPageInput{}
	if err := protojson.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(in, out) {
		t.Fatalf("round trip mismatch: %s", b)
	}
	// protojson uses lowerCamelCase JSON names; also accept the proto names.
	alt := &customerv1.ClassifyABCPageInput{}
	if err := protojson.Unmarshal([]byte(`{"run_id":"2026-01-02","page_size":500}`), alt); err != nil || alt.GetRunId() != "2026-01-02" || alt.GetPageSize() != 500 {
		t.Fatalf("proto-name JSON: %v %v", alt, err)
	}
}

func TestContractNames(t *testing.T) {
	for got, want := range map[string]string{
		customer.TaskQueue:                        "customer",
		customer.ActivityBeginABCRun:              "customer.BeginABCRun",
		customer.ActivityClassifyABCPage:          "customer.ClassifyABCPage",
		workflows.TaskQueue:                       "workflows",
		workflows.WorkflowReclassifyABC:           "ReclassifyABC",
		workflows.ScheduleReclassifyABC:           "closeloop-abc-reclassification",
		workflows.ReclassifyABCWorkflowID("2026"): "ReclassifyABC:2026",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	sa := workflows.SearchAttributes()
	for _, a := range []workflows.SearchAttribute{workflows.SACustomerID, workflows.SAOwnerID, workflows.SAKind} {
		if sa[a.String()] != "Keyword" {
			t.Errorf("search attribute %s: type %q, want Keyword", a, sa[a.String()])
		}
	}
	if len(sa) != 3 {
		t.Errorf("SearchAttributes() has %d entries, want 3", len(sa))
	}
}
