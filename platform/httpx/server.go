package httpx

import (
	"errors"
	"net/http"
	"time"
)

// ServerConfig bounds what one client may hold of a server: how long it may
// take to send a request and to read the answer, how long an idle
// keep-alive connection stays open, and how large the request's header may
// be. Services read it from the environment (service.Config); Serve applies
// it. A zero duration means no limit; MaxHeaderBytes 0 means net/http's 1 MiB.
type ServerConfig struct {
	ReadTimeout    time.Duration `env:"HTTP_READ_TIMEOUT" default:"60s" help:"longest time a client may take to send a whole request, header and body (a slower one is cut off); 0: no limit"`
	WriteTimeout   time.Duration `env:"HTTP_WRITE_TIMEOUT" default:"2m" help:"longest time from the end of a request's header to the end of its answer; keep it above the longest wait of a request (VISIT_DECISION_WAIT, UPDATE_WAIT …) and the console's longest page (a CSV export); 0: no limit"`
	IdleTimeout    time.Duration `env:"HTTP_IDLE_TIMEOUT" default:"2m" help:"how long an idle keep-alive connection is kept open; keep it above the idle timeout of any load balancer in front"`
	MaxHeaderBytes int           `env:"HTTP_MAX_HEADER_BYTES" default:"65536" help:"largest request header (request line, header fields and cookies) in bytes; a larger one is answered 431"`
}

// DefaultServerConfig is the ServerConfig of the environment variables'
// defaults, which Serve uses when given none.
func DefaultServerConfig() ServerConfig {
	return ServerConfig{ReadTimeout: 60 * time.Second, WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
}

// readHeaderTimeout is the most a client may take to send a request's
// header, whatever ReadTimeout allows for the whole request.
const readHeaderTimeout = 10 * time.Second

// Validate refuses negative values.
func (c ServerConfig) Validate() error {
	var errs []error
	for name, d := range map[string]time.Duration{"HTTP_READ_TIMEOUT": c.ReadTimeout, "HTTP_WRITE_TIMEOUT": c.WriteTimeout, "HTTP_IDLE_TIMEOUT": c.IdleTimeout} {
		if d < 0 {
			errs = append(errs, errors.New(name+" must not be negative"))
		}
	}
	if c.MaxHeaderBytes < 0 {
		errs = append(errs, errors.New("HTTP_MAX_HEADER_BYTES must not be negative"))
	}
	return errors.Join(errs...)
}

// apply sets srv's timeouts and header limit.
func (c ServerConfig) apply(srv *http.Server) {
	srv.ReadHeaderTimeout = readHeaderTimeout
	if c.ReadTimeout > 0 && c.ReadTimeout < readHeaderTimeout {
		srv.ReadHeaderTimeout = c.ReadTimeout
	}
	srv.ReadTimeout = c.ReadTimeout
	srv.WriteTimeout = c.WriteTimeout
	srv.IdleTimeout = c.IdleTimeout
	srv.MaxHeaderBytes = c.MaxHeaderBytes
}
