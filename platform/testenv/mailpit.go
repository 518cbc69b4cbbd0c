package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// MailpitEnv names the variable that points at a Mailpit binary to use
// instead of bin/mailpit.
const MailpitEnv = "CLOSELOOP_MAILPIT"

// mailpitReady bounds Mailpit's start-up: it opens an SQLite file and two
// listeners, which takes well under a second even on a busy machine.
const mailpitReady = 30 * time.Second

// Mailpit starts a Mailpit SMTP catcher for the test and returns the
// address its SMTP server listens on (127.0.0.1:port, plain SMTP unless
// flags say otherwise) and the base URL of its REST API
// (http://127.0.0.1:port; read what it caught with MailpitClient). It is
// stopped when the test and its subtests end.
//
// Each call starts its own Mailpit (in a few hundred milliseconds), so that
// a test sees only its own messages and may give it flags of its own, added
// to the defaults (free loopback ports, a database in the test's temp dir,
// no version check, no reverse DNS lookups). Flags that Mailpit v1.33.1
// offers and tests use:
//
//	--smtp-auth-accept-any --smtp-auth-allow-insecure   AUTH PLAIN/LOGIN with any credentials, without TLS
//	--smtp-auth-file FILE                               only the user:password lines in FILE may log in
//	--smtp-tls-cert F --smtp-tls-key F                  offer STARTTLS with this certificate
//	--smtp-require-starttls / --smtp-require-tls        insist on STARTTLS / speak implicit TLS only
//	--smtp-allowed-recipients REGEXP                    550 to RCPT TO of any other address
//	--ignore-duplicate-ids                              store a repeated Message-ID once
//	--enable-chaos / --chaos-triggers Recipient:451:100 fail MAIL FROM, RCPT TO or AUTH with a code (MailpitClient.SetChaos)
//
// The binary is $CLOSELOOP_MAILPIT, else bin/mailpit at the repository root
// (built by `make tools`); without it the test fails and says so.
func Mailpit(t testing.TB, flags ...string) (smtpAddr, apiURL string) {
	t.Helper()
	bin, err := mailpitBinary()
	if err != nil {
		t.Fatalf("testenv: no Mailpit: %v", err)
	}
	dir := t.TempDir()
	// A free port can be taken between our probe and Mailpit's listen:
	// try again with other ports then.
	for attempt := 1; ; attempt++ {
		p, err := startMailpit(bin, dir, flags)
		if err == nil {
			t.Cleanup(p.stop)
			return p.smtp, p.api
		}
		if !errors.Is(err, errPortTaken) || attempt == 3 {
			t.Fatalf("testenv: start %s: %v", bin, err)
		}
	}
}

// mailpitBinary locates Mailpit: $CLOSELOOP_MAILPIT, else bin/mailpit at
// the repository root.
func mailpitBinary() (string, error) {
	if p := os.Getenv(MailpitEnv); p != "" {
		if !isFile(p) {
			return "", fmt.Errorf("%s=%s is not a file; unset it to use bin/mailpit (built by `make tools`)", MailpitEnv, p)
		}
		return p, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", fmt.Errorf("%w; run `make tools` to build bin/mailpit at the repository root, or set %s", err, MailpitEnv)
	}
	p := filepath.Join(root, "bin", "mailpit")
	if !isFile(p) {
		return "", fmt.Errorf("%s not found: run `make tools` to build bin/mailpit (or set %s to a mailpit binary)", p, MailpitEnv)
	}
	return p, nil
}

var errPortTaken = errors.New("port taken")

type mailpitProc struct {
	cmd       *exec.Cmd
	exited    chan struct{}
	smtp, api string
	unwatch   func()
}

func startMailpit(bin, dir string, flags []string) (*mailpitProc, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	p := &mailpitProc{
		smtp:   net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])),
		exited: make(chan struct{}),
	}
	web := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))
	p.api = "http://" + web
	args := append([]string{
		"--smtp", p.smtp,
		"--listen", web,
		"--database", filepath.Join(dir, fmt.Sprintf("mailpit-%d.db", ports[0])),
		"--disable-version-check", // no internet in tests, and no need
		"--smtp-disable-rdns",     // no DNS lookups of 127.0.0.1 per connection
	}, flags...)
	out := &tailWriter{max: 32 << 10, name: "mailpit"}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	p.cmd.Env = mailpitEnv()
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	p.unwatch = watch(p.cmd.Process.Pid, "INT", "")

	if err := p.waitReady(); err != nil {
		p.stop()
		output := out.String()
		if strings.Contains(output, "address already in use") {
			return nil, fmt.Errorf("%w: %v", errPortTaken, err)
		}
		return nil, fmt.Errorf("%s %s: %w\n%s", bin, strings.Join(args, " "), err, output)
	}
	return p, nil
}

// mailpitEnv is the environment without Mailpit's own MP_* variables: a
// developer's MP_UI_AUTH or MP_SMTP_AUTH must not change what tests see.
func mailpitEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MP_") {
			env = append(env, kv)
		}
	}
	return env
}

// waitReady waits until the API answers /readyz and the SMTP server accepts
// connections. Mailpit starts its HTTP server first, so the API being up is
// not enough.
func (p *mailpitProc) waitReady() error {
	deadline := time.Now().Add(mailpitReady)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("exited during start-up (%v)", p.cmd.ProcessState)
		default:
		}
		if last = p.probe(); last == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %s: %v", mailpitReady, last)
}

func (p *mailpitProc) probe() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.api+"/readyz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /readyz: %s", resp.Status)
	}
	// The listener accepting is enough: a greeting would need TLS with
	// --smtp-require-tls.
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", p.smtp)
	if err != nil {
		return err
	}
	return conn.Close()
}

// stop interrupts Mailpit (it closes its database on SIGINT) and kills it
// if it has not exited after 5 seconds.
func (p *mailpitProc) stop() {
	p.unwatch()
	_ = interrupt(p.cmd.Process)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// freePorts returns n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
