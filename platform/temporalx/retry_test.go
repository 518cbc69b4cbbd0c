package temporalx_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"

	"github.com/closeloop/closeloop/platform/temporalx"
)

// fakeOperator stands in for a cluster where another replica races us: the
// first AddSearchAttributes fails the way a real server reports a race, after
// the other replica has registered part of the set.
type fakeOperator struct {
	operatorservice.OperatorServiceClient
	mu       sync.Mutex
	have     map[string]enums.IndexedValueType
	failWith []error // returned by successive Add calls before any success
	adds     []map[string]enums.IndexedValueType
	race     map[string]enums.IndexedValueType // what the other replica adds on the first call
}

func (f *fakeOperator) ListSearchAttributes(context.Context, *operatorservice.ListSearchAttributesRequest, ...grpc.CallOption) (*operatorservice.ListSearchAttributesResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]enums.IndexedValueType{}
	for k, v := range f.have {
		out[k] = v
	}
	return &operatorservice.ListSearchAttributesResponse{CustomAttributes: out,
		SystemAttributes: map[string]enums.IndexedValueType{"WorkflowId": enums.INDEXED_VALUE_TYPE_KEYWORD}}, nil
}

func (f *fakeOperator) AddSearchAttributes(_ context.Context, req *operatorservice.AddSearchAttributesRequest, _ ...grpc.CallOption) (*operatorservice.AddSearchAttributesResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.adds = append(f.adds, req.GetSearchAttributes())
	for k, v := range f.race {
		f.have[k] = v
	}
	f.race = nil
	if len(f.failWith) > 0 {
		err := f.failWith[0]
		f.failWith = f.failWith[1:]
		return nil, err
	}
	for k, v := range req.GetSearchAttributes() {
		f.have[k] = v
	}
	return &operatorservice.AddSearchAttributesResponse{}, nil
}

// fakeWorkflowService holds a namespace's SQL-visibility aliases
// (column -> name), none for an Elasticsearch-like namespace.
type fakeWorkflowService struct {
	workflowservice.WorkflowServiceClient
	mu        sync.Mutex
	aliases   map[string]string
	updates   []map[string]string
	countErrs []error
	probes    []string
}

func (f *fakeWorkflowService) DescribeNamespace(context.Context, *workflowservice.DescribeNamespaceRequest, ...grpc.CallOption) (*workflowservice.DescribeNamespaceResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for k, v := range f.aliases {
		out[k] = v
	}
	return &workflowservice.DescribeNamespaceResponse{Config: &namespacepb.NamespaceConfig{CustomSearchAttributeAliases: out}}, nil
}

func (f *fakeWorkflowService) UpdateNamespace(_ context.Context, req *workflowservice.UpdateNamespaceRequest, _ ...grpc.CallOption) (*workflowservice.UpdateNamespaceResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, req.GetConfig().GetCustomSearchAttributeAliases())
	for col, alias := range req.GetConfig().GetCustomSearchAttributeAliases() {
		if alias == "" {
			delete(f.aliases, col)
		} else {
			f.aliases[col] = alias
		}
	}
	return &workflowservice.UpdateNamespaceResponse{}, nil
}

// CountWorkflowExecutions answers the readiness probe: countErrs first.
func (f *fakeWorkflowService) CountWorkflowExecutions(_ context.Context, req *workflowservice.CountWorkflowExecutionsRequest, _ ...grpc.CallOption) (*workflowservice.CountWorkflowExecutionsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.probes = append(f.probes, req.GetQuery())
	if len(f.countErrs) > 0 {
		err := f.countErrs[0]
		f.countErrs = f.countErrs[1:]
		return nil, err
	}
	return &workflowservice.CountWorkflowExecutionsResponse{}, nil
}

type fakeClient struct {
	client.Client
	op *fakeOperator
	ws *fakeWorkflowService
}

func (c fakeClient) OperatorService() operatorservice.OperatorServiceClient { return c.op }

func (c fakeClient) WorkflowService() workflowservice.WorkflowServiceClient {
	if c.ws == nil {
		return &fakeWorkflowService{}
	}
	return c.ws
}

func TestEnsureSearchAttributesRetriesOnlyWhatIsStillMissingAfterARace(t *testing.T) {
	want := map[string]enums.IndexedValueType{
		"A": enums.INDEXED_VALUE_TYPE_KEYWORD, "B": enums.INDEXED_VALUE_TYPE_KEYWORD, "C": enums.INDEXED_VALUE_TYPE_INT,
	}
	for _, raceErr := range []error{
		serviceerror.NewAlreadyExists("Search attribute A already exists."),             // Elasticsearch visibility
		serviceerror.NewUnavailable("Generated search attributes mapping unavailable."), // SQL visibility
	} {
		op := &fakeOperator{
			have:     map[string]enums.IndexedValueType{"A": enums.INDEXED_VALUE_TYPE_KEYWORD},
			failWith: []error{raceErr},
			race:     map[string]enums.IndexedValueType{"B": enums.INDEXED_VALUE_TYPE_KEYWORD},
		}
		if err := temporalx.EnsureSearchAttributes(context.Background(), fakeClient{op: op}, "ns", want); err != nil {
			t.Fatalf("%T: %v", raceErr, err)
		}
		if len(op.adds) != 2 || len(op.adds[0]) != 2 || len(op.adds[1]) != 1 || op.adds[1]["C"] != enums.INDEXED_VALUE_TYPE_INT {
			t.Fatalf("%T: adds %v: want {B,C} then {C}", raceErr, op.adds)
		}
		for k, v := range want {
			if op.have[k] != v {
				t.Fatalf("%T: %s missing", raceErr, k)
			}
		}
	}

	op := &fakeOperator{have: map[string]enums.IndexedValueType{}, failWith: []error{serviceerror.NewInvalidArgument("Unable to create search attributes: cannot have more than 10 search attribute of type Keyword.")}}
	err := temporalx.EnsureSearchAttributes(context.Background(), fakeClient{op: op}, "ns", want)
	if err == nil || !strings.Contains(err.Error(), "A, B, C") || len(op.adds) != 1 {
		t.Fatalf("a refusal must fail at once naming the attributes, got %v after %d adds", err, len(op.adds))
	}

	op = &fakeOperator{have: map[string]enums.IndexedValueType{}}
	for i := 0; i < 10; i++ {
		op.failWith = append(op.failWith, serviceerror.NewUnavailable("down"))
	}
	if err := temporalx.EnsureSearchAttributes(context.Background(), fakeClient{op: op}, "ns", want); err == nil || !strings.Contains(err.Error(), "gave up") {
		t.Fatalf("want a give-up error, got %v", err)
	}

	if err := temporalx.EnsureSearchAttributes(context.Background(), fakeClient{op: &fakeOperator{have: map[string]enums.IndexedValueType{}}}, "ns",
		map[string]enums.IndexedValueType{"WorkflowId": enums.INDEXED_VALUE_TYPE_KEYWORD}); err == nil || !strings.Contains(err.Error(), "system attribute") {
		t.Fatalf("a system attribute name must be refused, got %v", err)
	}
}

func TestEnsureSearchAttributesUnmapsANameMappedToTwoColumns(t *testing.T) {
	want := map[string]enums.IndexedValueType{"A": enums.INDEXED_VALUE_TYPE_KEYWORD, "B": enums.INDEXED_VALUE_TYPE_KEYWORD}
	op := &fakeOperator{have: map[string]enums.IndexedValueType{"A": enums.INDEXED_VALUE_TYPE_KEYWORD, "B": enums.INDEXED_VALUE_TYPE_KEYWORD}}
	ws := &fakeWorkflowService{aliases: map[string]string{
		"Keyword01": "A", "Keyword03": "B", "Keyword02": "B", "Keyword07": "B",
		"Keyword05": "Other", "Keyword06": "Other", // not ours: left alone
	}}
	if err := temporalx.EnsureSearchAttributes(context.Background(), fakeClient{op: op, ws: ws}, "ns", want); err != nil {
		t.Fatal(err)
	}
	if len(ws.updates) != 1 || len(ws.updates[0]) != 2 || ws.updates[0]["Keyword03"] != "" || ws.updates[0]["Keyword07"] != "" {
		t.Fatalf("updates %v: want Keyword03 and Keyword07 unmapped once", ws.updates)
	}
	if ws.aliases["Keyword02"] != "B" || ws.aliases["Keyword01"] != "A" || len(ws.aliases) != 4 {
		t.Fatalf("aliases after repair %v", ws.aliases)
	}
	if len(op.adds) != 0 {
		t.Fatalf("nothing was missing, yet it added %v", op.adds)
	}
}

func TestEnsureSearchAttributesWaitsUntilQueriesAcceptThem(t *testing.T) {
	want := map[string]enums.IndexedValueType{"A": enums.INDEXED_VALUE_TYPE_KEYWORD, "B": enums.INDEXED_VALUE_TYPE_INT}
	notYet := serviceerror.NewInvalidArgument("invalid query: invalid expression: column name 'B' is not a valid search attribute")
	ws := &fakeWorkflowService{aliases: map[string]string{}, countErrs: []error{notYet, notYet}}
	op := &fakeOperator{have: map[string]enums.IndexedValueType{}}
	if err := temporalx.EnsureSearchAttributes(context.Background(), fakeClient{op: op, ws: ws}, "ns", want); err != nil {
		t.Fatal(err)
	}
	if len(ws.probes) != 3 || ws.probes[2] != "WorkflowId = 'closeloop-search-attribute-probe' AND `A` IS NULL AND `B` IS NULL" {
		t.Fatalf("probes %q: want three, the last accepted", ws.probes)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	ws = &fakeWorkflowService{aliases: map[string]string{}, countErrs: []error{notYet, notYet, notYet, notYet, notYet, notYet}}
	err := temporalx.EnsureSearchAttributes(ctx, fakeClient{op: &fakeOperator{have: map[string]enums.IndexedValueType{}}, ws: ws}, "ns", want)
	if err == nil || !strings.Contains(err.Error(), "not yet accepted") {
		t.Fatalf("want the context's end reported, got %v", err)
	}
}
