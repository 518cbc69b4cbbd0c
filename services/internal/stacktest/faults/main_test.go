package faults_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/auth/devissuer"
	"github.com/closeloop/closeloop/platform/faults"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/customer"
	"github.com/closeloop/closeloop/services/followup"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/sales"
	"github.com/closeloop/closeloop/workflows"
)

// processEnv makes the test binary, run again by a test, one of the stack's
// binaries instead of the tests: customer, followup or worker. faultEnv
// arms it to kill itself at that fault point (platform/faults).
const (
	processEnv = "CLOSELOOP_FAULTS_PROCESS"
	faultEnv   = "CLOSELOOP_FAULT"
)

// chaosEnv, set to 1, runs the tests too long for make test (make chaos).
const chaosEnv = "CLOSELOOP_CHAOS"

func TestMain(m *testing.M) {
	if role := os.Getenv(processEnv); role != "" {
		if f := os.Getenv(faultEnv); f != "" {
			faults.KillAt(f)
		}
		switch role {
		case "customer":
			service.Main(customer.Spec())
		case "followup":
			service.Main(followup.Spec())
		case "sales":
			service.Main(sales.Spec())
		case "worker":
			service.Main(workflows.Spec())
		default:
			fmt.Fprintf(os.Stderr, "%s=%s: not a binary of the stack\n", processEnv, role)
			os.Exit(2)
		}
		return
	}
	testenv.Main(m)
}

// proc is one binary of the stack run as a child process, on a fixed port
// across restarts (so its peers and the test keep its address), killed at
// the end of the test; its output is logged if the test failed.
type proc struct {
	t    testing.TB
	role string
	env  map[string]string
	addr string // 127.0.0.1:port
	Base string // http://addr

	mu   sync.Mutex
	cmd  *exec.Cmd
	died chan struct{}
	err  error // Wait's, once died is closed
	out  bytes.Buffer
}

func newProc(t testing.TB, role string, env map[string]string) *proc {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	p := &proc{t: t, role: role, env: env, addr: addr, Base: "http://" + addr}
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if s := strings.TrimSpace(p.out.String()); s != "" {
				t.Logf("%s process output (last 8 KiB):\n%s", role, s[max(0, len(s)-8<<10):])
			}
		}
	})
	return p
}

// Write collects the process's output.
func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

// Start runs the binary, armed to kill itself at fault ("" : not armed),
// and waits until it answers /healthz.
func (p *proc) Start(fault string) {
	p.t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), processEnv+"="+p.role, faultEnv+"="+fault, "HTTP_ADDR="+p.addr, "METRICS_ADDR=127.0.0.1:0",
		"LOG_LEVEL=warn", "SHUTDOWN_TIMEOUT=2s", "MIGRATE_ON_START=true")
	for k, v := range p.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = p, p
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	died := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.died = cmd, died
	p.mu.Unlock()
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(died)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(p.Base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-died:
			p.t.Fatalf("the %s process exited while starting: %v", p.role, p.err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("the %s process did not answer /healthz within a minute", p.role)
		}
	}
}

// Kill kills the process with SIGKILL (if it runs) and waits for it.
func (p *proc) Kill() {
	p.mu.Lock()
	cmd, died := p.cmd, p.died
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-died
}

// Died waits up to d for the process to die by SIGKILL of its own (an
// armed fault point), failing the test otherwise.
func (p *proc) Died(d time.Duration) {
	p.t.Helper()
	p.mu.Lock()
	died := p.died
	p.mu.Unlock()
	select {
	case <-died:
	case <-time.After(d):
		p.t.Fatalf("the %s process did not reach its fault point within %v", p.role, d)
	}
	p.mu.Lock()
	err := p.err
	p.mu.Unlock()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		p.t.Fatalf("the %s process did not die by SIGKILL: %v", p.role, err)
	}
}

// tokens mints an hour's token for every dev user of iss.
func tokens(t testing.TB, iss *devissuer.Issuer) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, u := range devissuer.DevUsers() {
		tok, err := iss.Mint(u, "closeloop", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		out[u.Subject] = tok
	}
	return out
}

// answer is an HTTP answer, or the error of a request that got none.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
	Err    error
}

func (a answer) String() string {
	if a.Err != nil {
		return "no answer: " + a.Err.Error()
	}
	return fmt.Sprintf("%d %s", a.Status, bytes.TrimSpace(a.Body))
}

// JSON decodes the body as an object.
func (a answer) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.Body, &m); err != nil {
		t.Fatalf("not a JSON object: %s", a)
	}
	return m
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// send sends a request with the bearer token (empty: none), the JSON body
// (nil: none) and headers as name, value pairs; a request that gets no
// answer (the process died, the connection was refused) is an answer with
// Err set, not a failure. A 429 (the per-user rate limits: the tests send
// hundreds of writes as one user) is waited out and sent again, as a
// client does.
func send(method, url, token string, body any, headers ...string) answer {
	for range 60 {
		a := sendOnce(method, url, token, body, headers...)
		if a.Status != http.StatusTooManyRequests {
			return a
		}
		wait, err := strconv.Atoi(a.Header.Get("Retry-After"))
		if err != nil || wait < 1 {
			wait = 1
		}
		time.Sleep(time.Duration(min(wait, 2)) * time.Second)
	}
	return sendOnce(method, url, token, body, headers...)
}

func sendOnce(method, url, token string, body any, headers ...string) answer {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return answer{Err: err}
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return answer{Err: err}
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return answer{Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: raw, Err: err}
}

// call is s.Call through send: to the service owning path, as user, with
// 429s waited out.
func call(s *stacktest.Stack, method, path, user string, body any, headers ...string) answer {
	base := s.Base
	if stacktest.OwnsPath(path) {
		base = s.FollowUpBase
	}
	return send(method, base+path, s.Tokens[user], body, headers...)
}
