// Package activityhttp lets a service's worker run another service's
// activity as a local activity: the activity is served over HTTP on the
// owning service's routes for services (/internal/v1, platform/service
// Module.Internal), and the calling worker registers, under the activity's
// name, a function of the same signature that calls it there as the calling
// service (its own token, platform/auth ServiceTokens).
//
// Why: an activity task costs the Temporal server a dispatch, three history
// events and a workflow task after it; a local activity costs one marker in
// the workflow task that ran it. For a workflow whose steps call another
// service (a new lead finding its customer, its follow-up's engine calls),
// that is most of the server's work (docs/performance.md). The owning service
// keeps its rules and its database: only the transport changes.
//
// What is kept: the input and the result are the activity's own proto
// messages (protojson on the wire); an activity's error that is a
// temporal.ApplicationError arrives as one with the same message, type and
// retryability — so a workflow's refusal checks and a retry policy's
// non-retryable types see what they saw of the remote activity — and any
// other failure (the service away, a 5xx, a refused token) is an error the
// local activity retries. Activities served this way must be idempotent by
// their input, as every activity already is: a local activity is run again
// after a worker's crash, as an activity task is.
package activityhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Path is where an activity is served, under a service's /internal/v1.
func Path(name string) string { return "/activities/" + name }

// failure is the body of an activity's error (422).
type failure struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details struct {
		Type         string `json:"type"`
		NonRetryable bool   `json:"non_retryable"`
	} `json:"details"`
}

const failureCode = "activity_failed"

// Handler serves fn: the body is protojson of its input, the answer
// protojson of its result (200); fields one side does not know are dropped,
// as Temporal's payloads drop them, so the two services can be deployed one
// after the other. An error that is a
// temporal.ApplicationError answers 422 with its message, type and
// retryability; any other error 500 with a fixed message (the cause is
// logged by the caller's retry, and may hold what a client should not
// read); a body that is not the input 400.
func Handler[I any, PI interface {
	*I
	proto.Message
}, O proto.Message](fn func(context.Context, PI) (O, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		raw, err := io.ReadAll(c.Request.Body)
		if err != nil {
			c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"code": "malformed_body", "message": "the body could not be read"})
			return
		}
		in := PI(new(I))
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw, in); err != nil {
			c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"code": "malformed_body", "message": "the body is not the activity's input: " + err.Error()})
			return
		}
		out, err := fn(c.Request.Context(), in)
		if err != nil {
			var app *temporal.ApplicationError
			if errors.As(err, &app) {
				f := failure{Code: failureCode, Message: app.Message()}
				f.Details.Type, f.Details.NonRetryable = app.Type(), app.NonRetryable()
				c.AbortWithStatusJSON(http.StatusUnprocessableEntity, f)
				return
			}
			_ = c.Error(err)
			c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"code": "internal", "message": "the activity failed; it may be retried"})
			return
		}
		body, err := protojson.Marshal(out)
		if err != nil {
			_ = c.Error(err)
			c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"code": "internal", "message": "the result could not be encoded"})
			return
		}
		c.Data(http.StatusOK, "application/json", body)
	}
}

// Authorizer gives the Authorization header of a call made as the service.
type Authorizer interface {
	Authorization(ctx context.Context) (string, error)
}

// Client calls another service's activities.
type Client struct {
	// Base is the other service's base URL (e.g. http://customer:8081).
	Base string
	// Auth signs each call as the calling service.
	Auth Authorizer
	// HTTP sends the calls; the call's context bounds each.
	HTTP *http.Client
}

// Remote returns a function with the signature of the activity name, to
// register on the calling worker under that name: it calls the activity
// at c.Base and returns its result or its error as described in the
// package documentation.
func Remote[I proto.Message, O any, PO interface {
	*O
	proto.Message
}](c *Client, name string) func(context.Context, I) (PO, error) {
	url := strings.TrimSuffix(c.Base, "/") + "/internal/v1" + Path(name)
	return func(ctx context.Context, in I) (PO, error) {
		body, err := protojson.Marshal(in)
		if err != nil {
			return nil, temporal.NewNonRetryableApplicationError("the input could not be encoded: "+err.Error(), "invalid", err)
		}
		authz, err := c.Auth.Authorization(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", authz)
		resp, err := c.HTTP.Do(req)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		if err != nil {
			return nil, fmt.Errorf("%s: reading the answer: %w", name, err)
		}
		switch resp.StatusCode {
		case http.StatusOK:
			out := PO(new(O))
			if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw, out); err != nil {
				return nil, fmt.Errorf("%s: the answer is not the activity's result: %w", name, err)
			}
			return out, nil
		case http.StatusUnprocessableEntity:
			var f failure
			if err := json.Unmarshal(raw, &f); err == nil && f.Code == failureCode {
				return nil, temporal.NewApplicationErrorWithOptions(f.Message, f.Details.Type, temporal.ApplicationErrorOptions{NonRetryable: f.Details.NonRetryable})
			}
		}
		return nil, fmt.Errorf("%s: %s answered %s: %s", name, c.Base, resp.Status, clip(raw))
	}
}

// clip shortens an answer's body for an error message.
func clip(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// NoResult adapts an activity that returns only an error to Handler: its
// answer is an empty object.
func NoResult[PI proto.Message](fn func(context.Context, PI) error) func(context.Context, PI) (*emptypb.Empty, error) {
	return func(ctx context.Context, in PI) (*emptypb.Empty, error) {
		if err := fn(ctx, in); err != nil {
			return nil, err
		}
		return &emptypb.Empty{}, nil
	}
}

// RemoteNoResult is Remote for an activity that returns only an error.
func RemoteNoResult[I proto.Message](c *Client, name string) func(context.Context, I) error {
	call := Remote[I, emptypb.Empty](c, name)
	return func(ctx context.Context, in I) error {
		_, err := call(ctx, in)
		return err
	}
}
