package httpx

import (
	"context"

	"github.com/gin-gonic/gin"
)

type bearerKey struct{}

// WithBearer returns ctx carrying header, a request's Authorization header
// ("Bearer …"), for calls to other services made as the caller.
func WithBearer(ctx context.Context, header string) context.Context {
	return context.WithValue(ctx, bearerKey{}, header)
}

// Bearer returns the Authorization header WithBearer put on ctx ("" if none).
func Bearer(ctx context.Context) string {
	h, _ := ctx.Value(bearerKey{}).(string)
	return h
}

// ForwardBearer keeps the request's Authorization header on its context
// (Bearer reads it), so that a service calling another service's API while
// it answers the request calls as the caller, who is then seen there with
// the caller's own permissions and scope.
func ForwardBearer(c *gin.Context) {
	if h := c.GetHeader("Authorization"); h != "" {
		c.Request = c.Request.WithContext(WithBearer(c.Request.Context(), h))
	}
	c.Next()
}
