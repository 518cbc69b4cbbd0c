package httpx

import (
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
)

// bodyKey is where trackBody keeps the request's tracked body in the gin context.
const bodyKey = "closeloop.httpx.body"

// trackedBody remembers whether the handler read the request body to its end.
type trackedBody struct {
	io.ReadCloser
	eof atomic.Bool
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) {
		b.eof.Store(true)
	}
	return n, err
}

// trackBody wraps a request body that is announced (Content-Length above 0,
// or chunked) so that WriteError can tell whether it was read. BodyLimit,
// the first thing every engine runs after logging, calls it.
func trackBody(c *gin.Context) {
	if c.Request.ContentLength == 0 || c.Request.Body == nil || c.Request.Body == http.NoBody {
		return
	}
	b := &trackedBody{ReadCloser: c.Request.Body}
	c.Request.Body = b
	c.Set(bodyKey, b)
}

// closeIfBodyUnread makes an error answer to a request whose body was not
// read to its end the last one on its connection, and stops waiting for that
// body. A request refused before its body is read (401, 429, 413, 404 …)
// would otherwise keep its connection while net/http reads and discards up
// to 256 KiB of the unread body before answering — indefinitely from a
// client that trickles it, even an unauthenticated one. With the header
// "Connection: close" net/http sends the answer at once without reading the
// body, and the read deadline set to now ends its attempt to drain the rest
// afterwards, so the connection closes as soon as the answer is out.
func closeIfBodyUnread(c *gin.Context) {
	v, ok := c.Get(bodyKey)
	if !ok {
		return
	}
	if b, _ := v.(*trackedBody); b == nil || b.eof.Load() {
		return
	}
	c.Header("Connection", "close")
	// Unsupported by a test recorder; then there is no connection to free.
	_ = http.NewResponseController(c.Writer).SetReadDeadline(time.Now())
}
