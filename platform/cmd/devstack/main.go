// Command devstack is what `make run` runs: the whole Closeloop stack on one
// machine with its embedded defaults. It starts the Temporal dev server (SQLite
// file under .data/, web UI on), a development OIDC issuer that signs tokens for
// one user of each role, every service and the workflow worker (each on its own
// SQLite database), waits until all are ready, prints where to reach them and the
// dev tokens, and stops everything on Ctrl-C. Data stays in .data/ across runs.
//
// The dev issuer exists only here: services verify tokens against whatever
// OIDC_ISSUER_URL names, and there is no unauthenticated mode.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/closeloop/closeloop/platform/auth/devissuer"
)

type component struct {
	name string
	bin  string
	args []string
	port int
	env  []string
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	bin := filepath.Join(root, "bin")
	data := filepath.Join(root, ".data")
	logs := filepath.Join(data, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return err
	}
	const (
		temporalPort = 7233
		uiPort       = 8233
		issuerPort   = 8089
	)
	for _, p := range []int{temporalPort, uiPort, issuerPort, 8081, 8082, 8083, 8084, 8085} {
		if inUse(p) {
			return fmt.Errorf("port %d is already in use: is another `make run` still running? stop it first", p)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The dev OIDC issuer, with its key kept in .data so printed tokens survive restarts.
	issuerURL := fmt.Sprintf("http://127.0.0.1:%d", issuerPort)
	iss, err := devissuer.NewWithKeyFile(issuerURL, filepath.Join(data, "dev-issuer-key.pem"))
	if err != nil {
		return fmt.Errorf("dev issuer: %w", err)
	}
	issSrv := &http.Server{Addr: fmt.Sprintf("127.0.0.1:%d", issuerPort), Handler: iss.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = issSrv.ListenAndServe() }()
	defer issSrv.Close()

	type proc struct {
		cmd  *exec.Cmd
		done chan struct{}
	}
	var procs []proc
	var mu sync.Mutex
	start := func(c component) error {
		logf, err := os.OpenFile(filepath.Join(logs, c.name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		cmd := exec.Command(c.bin, c.args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), c.env...)
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start %s: %w", c.name, err)
		}
		done := make(chan struct{})
		mu.Lock()
		procs = append(procs, proc{cmd: cmd, done: done})
		mu.Unlock()
		go func() {
			err := cmd.Wait()
			close(done)
			if ctx.Err() == nil {
				fmt.Fprintf(os.Stderr, "devstack: %s exited (%v); see %s\n", c.name, err, logf.Name())
				stop()
			}
		}()
		return nil
	}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		// Stop services first, Temporal last, each gracefully.
		for i := len(procs) - 1; i >= 0; i-- {
			p := procs[i]
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(30 * time.Second):
				_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
				<-p.done
			}
		}
		fmt.Println("devstack: stopped")
	}()

	fmt.Println("devstack: starting the Temporal dev server …")
	if err := start(component{name: "temporal", bin: filepath.Join(bin, "temporal"), args: []string{
		"server", "start-dev", "--db-filename", filepath.Join(data, "temporal.db"),
		"--ip", "127.0.0.1", "--port", fmt.Sprint(temporalPort), "--ui-port", fmt.Sprint(uiPort),
		"--namespace", "default", "--log-level", "warn",
	}}); err != nil {
		return err
	}
	if err := waitTCP(ctx, temporalPort, 90*time.Second); err != nil {
		return fmt.Errorf("temporal dev server did not come up (see .data/logs/temporal.log): %w", err)
	}

	common := []string{
		"OIDC_ISSUER_URL=" + issuerURL,
		"OIDC_AUDIENCE=closeloop",
		fmt.Sprintf("TEMPORAL_ADDRESS=127.0.0.1:%d", temporalPort),
		"TEMPORAL_NAMESPACE=default",
	}
	components := []component{
		{name: "worker", port: 8085, env: []string{"HTTP_ADDR=127.0.0.1:8085"}},
		{name: "customer", port: 8081, env: []string{"HTTP_ADDR=127.0.0.1:8081", "DATABASE_URL=sqlite://" + filepath.Join(data, "customer.db")}},
		{name: "sales", port: 8082, env: []string{"HTTP_ADDR=127.0.0.1:8082", "DATABASE_URL=sqlite://" + filepath.Join(data, "sales.db"),
			"CUSTOMER_API_URL=http://127.0.0.1:8081"}},
		{name: "service", port: 8083, env: []string{"HTTP_ADDR=127.0.0.1:8083", "DATABASE_URL=sqlite://" + filepath.Join(data, "service.db")}},
		{name: "marketing", port: 8084, env: []string{"HTTP_ADDR=127.0.0.1:8084", "DATABASE_URL=sqlite://" + filepath.Join(data, "marketing.db")}},
	}
	for _, c := range components {
		c.bin = filepath.Join(bin, c.name)
		c.env = append(c.env, common...)
		if err := start(c); err != nil {
			return err
		}
	}
	for _, c := range components {
		if err := waitReady(ctx, c.port, 90*time.Second); err != nil {
			return fmt.Errorf("%s did not become ready (see .data/logs/%s.log): %w", c.name, c.name, err)
		}
	}

	var b strings.Builder
	b.WriteString("\nCloseloop is running (Ctrl-C stops everything; data is kept in .data/).\n\n")
	fmt.Fprintf(&b, "  customer API   http://127.0.0.1:8081/v1   (OpenAPI: http://127.0.0.1:8081/openapi.json)\n")
	fmt.Fprintf(&b, "  sales API      http://127.0.0.1:8082/v1   (OpenAPI: http://127.0.0.1:8082/openapi.json)\n")
	fmt.Fprintf(&b, "  service API    http://127.0.0.1:8083/v1\n")
	fmt.Fprintf(&b, "  marketing API  http://127.0.0.1:8084/v1\n")
	fmt.Fprintf(&b, "  worker         http://127.0.0.1:8085/readyz\n")
	fmt.Fprintf(&b, "  timer policies http://127.0.0.1:8081/v1/policies   (analyst token; docs/api/policies.md)\n")
	fmt.Fprintf(&b, "  overdue        http://127.0.0.1:8081/v1/follow-ups/overdue   (manager token)\n")
	fmt.Fprintf(&b, "  leads          http://127.0.0.1:8082/v1/leads, /v1/territories, /v1/funnel   (docs/api/sales.md, docs/leads.md)\n")
	fmt.Fprintf(&b, "  Temporal UI    http://127.0.0.1:%d   (schedules: closeloop-abc-reclassification, closeloop-policy-reconcile, closeloop-care-sweep)\n", uiPort)
	fmt.Fprintf(&b, "  Temporal       127.0.0.1:%d, namespace default\n", temporalPort)
	fmt.Fprintf(&b, "  metrics        http://127.0.0.1:8081/metrics (each service)\n")
	fmt.Fprintf(&b, "  logs           %s/<component>.log\n\n", logs)
	b.WriteString("Dev tokens (valid 12 hours; `make run` prints fresh ones each start):\n")
	for _, u := range devissuer.DevUsers() {
		tok, err := iss.Mint(u, "closeloop", 12*time.Hour)
		if err != nil {
			return err
		}
		roles := make([]string, len(u.Roles))
		for i, r := range u.Roles {
			roles[i] = string(r)
		}
		who := strings.Join(roles, ",")
		if len(u.Teams) > 0 {
			who += ", teams " + strings.Join(u.Teams, ",")
		}
		fmt.Fprintf(&b, "\n  %s (%s):\n  %s\n", u.Subject, who, tok)
	}
	b.WriteString("\nTry:\n  TOKEN=<a token above>\n")
	b.WriteString(`  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \` + "\n")
	b.WriteString(`       -d '{"name":"Acme Steel","region":"north","industry":"steel","annual_revenue":120000}' http://127.0.0.1:8081/v1/customers` + "\n")
	b.WriteString(`  curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8081/v1/customers` + "\n")
	fmt.Print(b.String())
	<-ctx.Done()
	fmt.Println("\ndevstack: stopping …")
	return nil
}

func inUse(port int) bool {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func waitTCP(ctx context.Context, port int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if inUse(port) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return errors.New("timed out")
}

func waitReady(ctx context.Context, port int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	url := fmt.Sprintf("http://127.0.0.1:%d/readyz", port)
	var last string
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
	return fmt.Errorf("timed out (last: %s)", last)
}
