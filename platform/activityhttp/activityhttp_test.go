package activityhttp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/temporal"

	"github.com/closeloop/closeloop/platform/activityhttp"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
)

func init() { gin.SetMode(gin.TestMode) }

type fixedAuth string

func (a fixedAuth) Authorization(context.Context) (string, error) { return string(a), nil }

type failingAuth struct{}

func (failingAuth) Authorization(context.Context) (string, error) {
	return "", errors.New("the issuer is away")
}

// serve runs fn behind a check of the Authorization header, as a service's
// /internal/v1 would, and counts the calls that reached it.
func serve(t *testing.T, fn func(context.Context, *salesv1.EnsureCustomerInput) (*salesv1.EnsureCustomerResult, error)) (string, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	e := gin.New()
	g := e.Group("/internal/v1", func(c *gin.Context) {
		if c.GetHeader("Authorization") != "Bearer svc" {
			c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"code": "unauthenticated"})
		}
	})
	g.POST(activityhttp.Path("customer.EnsureCustomer"), func(c *gin.Context) { calls.Add(1) }, activityhttp.Handler(fn))
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv.URL, &calls
}

// TestRemoteActivity: the calling side's function sends the input and
// returns the result as the activity computed them (every field through
// protojson), as the service.
func TestRemoteActivity(t *testing.T) {
	base, calls := serve(t, func(_ context.Context, in *salesv1.EnsureCustomerInput) (*salesv1.EnsureCustomerResult, error) {
		return &salesv1.EnsureCustomerResult{CustomerId: in.GetNewId(), OwnerId: in.GetClaimOwnerId(), Team: in.GetClaimTeam(),
			Created: true, Claimed: in.GetClaimOwnerId() != "", Region: in.GetRegion()}, nil
	})
	ensure := activityhttp.Remote[*salesv1.EnsureCustomerInput, salesv1.EnsureCustomerResult](
		&activityhttp.Client{Base: base, Auth: fixedAuth("Bearer svc"), HTTP: http.DefaultClient}, "customer.EnsureCustomer")
	out, err := ensure(context.Background(), &salesv1.EnsureCustomerInput{NewId: "c-1", Name: "Acme 株式会社", Region: "north", ClaimOwnerId: "rep-ana", ClaimTeam: "north"})
	if err != nil {
		t.Fatal(err)
	}
	if out.GetCustomerId() != "c-1" || out.GetOwnerId() != "rep-ana" || out.GetTeam() != "north" || !out.GetCreated() || !out.GetClaimed() || out.GetRegion() != "north" {
		t.Errorf("result %v", out)
	}
	if calls.Load() != 1 {
		t.Errorf("%d calls", calls.Load())
	}
}

// TestRemoteActivityErrors: an ApplicationError arrives as one, with its
// message, type and retryability (a refusal stays a refusal, a retryable
// one stays retryable); any other failure — a plain error of the activity,
// a refused token, the service away, the caller's token unavailable — is
// a plain error (retried), never an ApplicationError.
func TestRemoteActivityErrors(t *testing.T) {
	var next error
	base, _ := serve(t, func(context.Context, *salesv1.EnsureCustomerInput) (*salesv1.EnsureCustomerResult, error) {
		return nil, next
	})
	client := &activityhttp.Client{Base: base, Auth: fixedAuth("Bearer svc"), HTTP: http.DefaultClient}
	ensure := activityhttp.Remote[*salesv1.EnsureCustomerInput, salesv1.EnsureCustomerResult](client, "customer.EnsureCustomer")
	in := &salesv1.EnsureCustomerInput{NewId: "c-1", Name: "Acme"}

	for _, e := range []error{
		temporal.NewNonRetryableApplicationError("the company name is too long", "invalid", nil),
		temporal.NewApplicationError("the customer is being moved", "conflict"),
	} {
		var want *temporal.ApplicationError
		errors.As(e, &want)
		next = e
		_, err := ensure(context.Background(), in)
		var app *temporal.ApplicationError
		if !errors.As(err, &app) || app.Message() != want.Message() || app.Type() != want.Type() || app.NonRetryable() != want.NonRetryable() {
			t.Errorf("%v arrived as %v", want, err)
		}
	}

	next = errors.New("connection to the database lost: password=hunter2")
	_, err := ensure(context.Background(), in)
	var app *temporal.ApplicationError
	if err == nil || errors.As(err, &app) || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("a plain failure arrived as %v; want a plain error without the cause", err)
	}

	for name, c := range map[string]*activityhttp.Client{
		"a refused token":     {Base: base, Auth: fixedAuth("Bearer user"), HTTP: http.DefaultClient},
		"no token":            {Base: base, Auth: failingAuth{}, HTTP: http.DefaultClient},
		"the service away":    {Base: "http://127.0.0.1:1", Auth: fixedAuth("Bearer svc"), HTTP: http.DefaultClient},
		"an unknown activity": {Base: base + "/nothing-here", Auth: fixedAuth("Bearer svc"), HTTP: http.DefaultClient},
	} {
		_, err := activityhttp.Remote[*salesv1.EnsureCustomerInput, salesv1.EnsureCustomerResult](c, "customer.EnsureCustomer")(context.Background(), in)
		if err == nil || errors.As(err, &app) {
			t.Errorf("%s: %v; want a plain error, retried", name, err)
		}
	}
}

// TestHandlerRefusesABodyThatIsNotTheInput: a body that is not the input's
// protojson is refused with 400 before the activity runs.
func TestHandlerRefusesABodyThatIsNotTheInput(t *testing.T) {
	base, calls := serve(t, func(context.Context, *salesv1.EnsureCustomerInput) (*salesv1.EnsureCustomerResult, error) {
		t.Error("the activity ran")
		return &salesv1.EnsureCustomerResult{}, nil
	})
	req, _ := http.NewRequest(http.MethodPost, base+"/internal/v1"+activityhttp.Path("customer.EnsureCustomer"), strings.NewReader(`{"new_id": 5}`))
	req.Header.Set("Authorization", "Bearer svc")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || calls.Load() != 1 {
		t.Errorf("%d after %d calls, want 400", resp.StatusCode, calls.Load())
	}
}

// TestActivityWithoutResult: an activity that returns only an error is
// served and called alike.
func TestActivityWithoutResult(t *testing.T) {
	var got atomic.Value
	var fail error
	e := gin.New()
	e.POST("/internal/v1"+activityhttp.Path("followup.CloseFollowUp"), activityhttp.Handler(activityhttp.NoResult(func(_ context.Context, in *salesv1.EnsureCustomerInput) error {
		got.Store(in.GetNewId())
		return fail
	})))
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	closeFU := activityhttp.RemoteNoResult[*salesv1.EnsureCustomerInput](&activityhttp.Client{Base: srv.URL, Auth: fixedAuth("Bearer svc"), HTTP: http.DefaultClient}, "followup.CloseFollowUp")
	if err := closeFU(context.Background(), &salesv1.EnsureCustomerInput{NewId: "f-1"}); err != nil || got.Load() != "f-1" {
		t.Fatalf("%v, %v", err, got.Load())
	}
	fail = temporal.NewNonRetryableApplicationError("no such follow-up", "not_found", nil)
	var app *temporal.ApplicationError
	if err := closeFU(context.Background(), &salesv1.EnsureCustomerInput{NewId: "f-2"}); !errors.As(err, &app) || app.Type() != "not_found" || !app.NonRetryable() {
		t.Errorf("%v", err)
	}
}
