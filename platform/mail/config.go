package mail

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"os"
	"strconv"
	"strings"
	"time"
)

// TLS modes of SMTP_TLS.
const (
	// TLSNone sends in clear text. It exists for a catcher on the same
	// machine (Mailpit in `make run` and the tests) or a relay inside the
	// cluster; credentials are refused with it unless the host is loopback,
	// since they would cross the network readable by anyone on the path.
	TLSNone = "none"
	// TLSStartTLS connects in clear text and upgrades with STARTTLS before
	// anything else is said (submission, port 587). A server that does not
	// offer STARTTLS is an error, never a silent downgrade.
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (submissions, port 465).
	TLSImplicit = "tls"
)

// Config is the SMTP relay the email channel sends through, read from the
// environment by package config like every other setting (tags below;
// docs/deploy.md, "SMTP (email notifications)").
//
// An empty SMTP_HOST means email is not configured: callers check Enabled
// and leave the channel off rather than fail at start. Everything else is
// checked by Validate, which New calls.
type Config struct {
	Host     string        `env:"SMTP_HOST" help:"SMTP relay that sends email notifications (host name or IP); empty: no email"`
	Port     int           `env:"SMTP_PORT" help:"SMTP port; empty or 0: 587 for starttls, 465 for tls, 25 for none"`
	TLS      string        `env:"SMTP_TLS" default:"starttls" help:"none, starttls or tls (implicit TLS); none only for a catcher on loopback or a relay inside the cluster, and never with credentials unless the host is loopback"`
	CAFile   string        `env:"SMTP_TLS_CA_FILE" help:"CA bundle (PEM) that signed the relay's certificate; system roots when empty"`
	Username string        `env:"SMTP_USERNAME" help:"SMTP AUTH user; empty: no authentication"`
	Password string        `env:"SMTP_PASSWORD" help:"SMTP AUTH password (from a Secret; never logged)"`
	From     string        `env:"SMTP_FROM" help:"sender of every email, with display name: Closeloop <noreply@example.com>; its domain also names the Message-IDs"`
	Timeout  time.Duration `env:"SMTP_TIMEOUT" default:"30s" help:"limit for connecting (TLS and login included), and again for handing a message over; the caller's own deadline, when shorter, wins"`
	HELO     string        `env:"SMTP_HELO" help:"name announced in EHLO; empty: the machine's host name"`
}

// Default ports per TLS mode, used when SMTP_PORT is empty or 0.
const (
	portSubmission  = 587
	portSubmissions = 465
	portSMTP        = 25
)

// Enabled reports whether an SMTP relay is configured at all.
func (c Config) Enabled() bool { return strings.TrimSpace(c.Host) != "" }

// Validate checks the configuration; each error names the variable at
// fault, all of them at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	host := strings.TrimSpace(c.Host)
	switch {
	case host == "":
		bad("SMTP_HOST is empty: set the SMTP relay's host name")
	case strings.ContainsAny(host, " /:@") && net.ParseIP(host) == nil:
		bad("SMTP_HOST=%q: a host name or IP address, without scheme, port or user", c.Host)
	}
	if c.Port < 0 || c.Port > 65535 {
		bad("SMTP_PORT=%d: a port is 1-65535 (or empty for the TLS mode's default)", c.Port)
	}
	switch c.TLS {
	case TLSNone, TLSStartTLS, TLSImplicit:
	default:
		bad("SMTP_TLS=%q: one of none, starttls, tls", c.TLS)
	}
	if (c.Username == "") != (c.Password == "") {
		bad("SMTP_USERNAME and SMTP_PASSWORD go together: set both for SMTP AUTH, or neither")
	}
	if c.TLS == TLSNone && (c.Username != "" || c.Password != "") && host != "" && !isLoopback(host) {
		bad("SMTP_TLS=none with SMTP_USERNAME/SMTP_PASSWORD: the password would cross the network in clear text to %s; use starttls or tls (none with credentials is for a catcher on loopback only)", host)
	}
	if c.TLS == TLSNone && c.CAFile != "" {
		bad("SMTP_TLS_CA_FILE is set but SMTP_TLS=none: no certificate is checked without TLS")
	}
	if strings.TrimSpace(c.From) == "" {
		bad("SMTP_FROM is empty: set the sender, e.g. Closeloop <noreply@example.com>")
	} else if _, err := parseFrom(c.From); err != nil {
		bad("SMTP_FROM=%q: %v", c.From, err)
	}
	if c.Timeout <= 0 {
		bad("SMTP_TIMEOUT=%s: must be positive, e.g. 30s", c.Timeout)
	}
	if c.HELO != "" && (strings.ContainsAny(c.HELO, " \t\r\n") || !isASCII(c.HELO)) {
		bad("SMTP_HELO=%q: one host name, ASCII, no spaces", c.HELO)
	}
	return errors.Join(errs...)
}

// port is the port to dial: SMTP_PORT, else the TLS mode's usual one.
func (c Config) port() int {
	if c.Port != 0 {
		return c.Port
	}
	switch c.TLS {
	case TLSImplicit:
		return portSubmissions
	case TLSNone:
		return portSMTP
	}
	return portSubmission
}

// tlsConfig is the client TLS configuration for starttls and tls: the
// relay's certificate is verified against SMTP_HOST (never skipped), with the
// system roots or SMTP_TLS_CA_FILE.
func (c Config) tlsConfig() (*tls.Config, error) {
	t := &tls.Config{ServerName: strings.TrimSpace(c.Host), MinVersion: tls.VersionTLS12}
	if c.CAFile == "" {
		return t, nil
	}
	pem, err := os.ReadFile(c.CAFile)
	if err != nil {
		return nil, fmt.Errorf("SMTP_TLS_CA_FILE: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("SMTP_TLS_CA_FILE %s holds no PEM certificate", c.CAFile)
	}
	t.RootCAs = pool
	return t, nil
}

// String describes the relay without the password, so that a Config that
// ends up in a log line or an error message leaks nothing.
func (c Config) String() string {
	user := ""
	if c.Username != "" {
		user = c.Username + ":[redacted]@"
	}
	return fmt.Sprintf("smtp://%s%s (tls=%s, from=%q, timeout=%s)",
		user, net.JoinHostPort(strings.TrimSpace(c.Host), strconv.Itoa(c.port())), c.TLS, c.From, c.Timeout)
}

// GoString hides the password from %#v as well.
func (c Config) GoString() string { return "mail.Config(" + c.String() + ")" }

// LogValue hides the password from slog.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// parseFrom reads SMTP_FROM: one address, optionally with a display name.
func parseFrom(s string) (*netmail.Address, error) {
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("not an email address with optional display name (%v)", err)
	}
	if err := checkAddress(a.Address); err != nil {
		return nil, err
	}
	return a, nil
}

// isLoopback reports whether host names this machine only: localhost or a
// loopback IP.
func isLoopback(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
