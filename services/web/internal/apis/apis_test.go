package apis

import (
	"errors"
	"net/http"
	"testing"

	"github.com/closeloop/closeloop/platform/apperr"
)

// TestProblemKeepsTheKindOfEachStatus: a service's answer becomes the error
// the console shows; a rate limit stays a rate limit (the user may retry in
// a moment) rather than "a service is not answering".
func TestProblemKeepsTheKindOfEachStatus(t *testing.T) {
	cases := []struct {
		status int
		body   string
		kind   apperr.Kind
		code   string
	}{
		{http.StatusBadRequest, `{"code":"invalid_name","message":"name is required"}`, apperr.KindInvalid, "invalid_name"},
		{http.StatusNotFound, `{"code":"customer_not_found","message":"no such customer"}`, apperr.KindNotFound, "customer_not_found"},
		{http.StatusConflict, `{"code":"version_conflict","message":"changed meanwhile"}`, apperr.KindConflict, "version_conflict"},
		{http.StatusTooManyRequests, `{"code":"rate_limited","message":"too many requests; retry in 2 s","details":{"limit":"user_write","retry_after_seconds":2}}`,
			apperr.KindTooManyRequests, "rate_limited"},
		{http.StatusServiceUnavailable, `{"code":"update_pending","message":"try again"}`, apperr.KindUnavailable, "service_unavailable"},
		{http.StatusInternalServerError, `{"code":"internal","message":"logged"}`, apperr.KindUnavailable, "service_unavailable"},
	}
	for _, c := range cases {
		err := Problem(c.status, []byte(c.body))
		var e *apperr.Error
		if !errors.As(err, &e) || e.Kind != c.kind || e.Code != c.code {
			t.Errorf("status %d: got %#v, want kind %v code %q", c.status, err, c.kind, c.code)
		}
	}
	err := Problem(http.StatusTooManyRequests, []byte(`{"code":"rate_limited","message":"m","details":{"retry_after_seconds":2}}`))
	var e *apperr.Error
	if errors.As(err, &e) && e.Meta["retry_after_seconds"] != float64(2) {
		t.Errorf("the retry delay was lost: %#v", e.Meta)
	}
	if Problem(http.StatusOK, nil) != nil {
		t.Error("a 2xx answer is no problem")
	}
}
