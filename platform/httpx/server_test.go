package httpx

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/config"
)

func TestServerConfigDefaultsAreTheVariablesDefaults(t *testing.T) {
	var c ServerConfig
	if err := config.LoadFrom(&c, func(string) (string, bool) { return "", false }); err != nil {
		t.Fatal(err)
	}
	if c != DefaultServerConfig() {
		t.Fatalf("environment defaults %+v, DefaultServerConfig %+v", c, DefaultServerConfig())
	}
	for _, v := range config.Describe(&c) {
		if v.Help == "" || !strings.HasPrefix(v.Name, "HTTP_") {
			t.Errorf("%s: want an HTTP_ name and a help text", v.Name)
		}
	}
	if err := (ServerConfig{ReadTimeout: -time.Second, MaxHeaderBytes: -1}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "HTTP_READ_TIMEOUT") || !strings.Contains(err.Error(), "HTTP_MAX_HEADER_BYTES") {
		t.Fatalf("negative values: %v", err)
	}
}

// serveWith runs h with sc on a free port until the test ends.
func serveWith(t *testing.T, h http.Handler, sc ServerConfig) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, "127.0.0.1:0", h, time.Second, func(a net.Addr) { addr <- a }, sc) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case a := <-addr:
		return a.String()
	case err := <-done:
		t.Fatal(err)
	}
	return ""
}

// An error answered before the body is read ends the connection at once;
// one answered after the body was read keeps it for the next request.
func TestErrorBeforeTheBodyClosesTheConnection(t *testing.T) {
	e := NewEngine(EngineOptions{Logger: slog.New(slog.DiscardHandler)})
	e.POST("/refuse", func(c *gin.Context) { WriteError(c, apperr.Unauthenticated("unauthenticated", "no")) })
	e.POST("/rule", func(c *gin.Context) {
		var v map[string]any
		if err := Bind(c, &v); err != nil {
			WriteError(c, err)
			return
		}
		WriteError(c, apperr.Rule("rule", "no"))
	})
	addr := serveWith(t, e, ServerConfig{})
	for _, tc := range []struct {
		path, body string
		length     int
		closed     bool
	}{
		{"/refuse", `{"a":`, 1000, true}, // the rest never comes
		{"/rule", `{"a":1}`, 7, false},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, _ = io.WriteString(conn, "POST "+tc.path+" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "+
			strconv.Itoa(tc.length)+"\r\n\r\n"+tc.body)
		_ = conn.SetReadDeadline(time.Now().Add(time.Second))
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: no answer: %v", tc.path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		_, err = br.ReadByte()
		if closed := err == io.EOF; closed != tc.closed || resp.Close != tc.closed {
			t.Errorf("%s: %s, Connection: close %v, closed %v (%v); want closed %v", tc.path, resp.Status, resp.Close, closed, err, tc.closed)
		}
	}
}

// WriteTimeout ends a request whose answer is not written in time (the
// client sees the connection end); IdleTimeout closes an idle keep-alive
// connection.
func TestServeAppliesWriteAndIdleTimeouts(t *testing.T) {
	h := http.NewServeMux()
	h.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(600 * time.Millisecond)
		_, _ = io.WriteString(w, "late")
	})
	h.HandleFunc("/fast", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	addr := serveWith(t, h, ServerConfig{WriteTimeout: 200 * time.Millisecond, IdleTimeout: 300 * time.Millisecond})
	if resp, err := http.Get("http://" + addr + "/slow"); err == nil {
		resp.Body.Close()
		t.Fatalf("an answer after the write timeout: %s", resp.Status)
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(conn)
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	start := time.Now()
	if _, err := br.ReadByte(); err != io.EOF || time.Since(start) > 1500*time.Millisecond {
		t.Fatalf("idle connection: %v after %s, want closed after about 300 ms", err, time.Since(start))
	}
}
