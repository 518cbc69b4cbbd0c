// Command devstack is what `make run` runs: the whole Closeloop stack on one
// machine with its embedded defaults. It starts the Temporal dev server (SQLite
// file under .data/, web UI on), a development OIDC issuer that signs tokens
// for the dev users (every role, and people in every department: the sales
// teams north and south, the service team and the marketing team, which the
// service component is told with DEPARTMENTS) and signs users in to the web
// console, Mailpit (an SMTP catcher on 127.0.0.1:1025 that every email of the
// stack goes to, read through its REST API on 127.0.0.1:8025), every service
// and the workflow worker (each on its own SQLite database), then the web
// console on 127.0.0.1:8080, waits until all are ready, gives every dev user a
// notification email address (<user>@closeloop.localhost, caught by Mailpit)
// unless they have one, prints where to reach them (the console first) and the
// dev tokens, and stops everything on Ctrl-C. Data stays in .data/ across runs
// (Mailpit's caught mail in .data/mailpit.db), and so does the console's
// session key (.data/web-session-key), so a sign-in survives a restart. A
// component that calls another at start waits for it (followup starts once
// customer and Mailpit are ready, the console once the APIs it calls are); the
// rest start together.
//
// Every process is supervised (package supervise): one that exits is restarted
// with an exponential backoff while the others keep running, and `make run`
// gives up and exits non-zero when one exits 5 times within 2 minutes. Each
// process's id is in .data/run/<component>.pid, so `bin/devstack restart worker`
// (or a plain kill) restarts one component.
//
//	bin/devstack                      start the stack (what `make run` runs)
//	bin/devstack token <user>         print a 12-hour token for a dev user (devissuer.DevUsers)
//	bin/devstack token                list the dev users
//	bin/devstack restart <component>  stop one component; the running devstack starts it again
//
// The dev issuer exists only here: services verify tokens against whatever
// OIDC_ISSUER_URL names, and there is no unauthenticated mode.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/auth/devissuer"
	"github.com/closeloop/closeloop/platform/cmd/devstack/supervise"
	"github.com/closeloop/closeloop/platform/temporalx"
)

type component struct {
	name  string
	bin   string
	args  []string
	port  int // /readyz is polled on this port; 0 for Temporal (TCP)
	env   []string
	after []string // components that must be ready before this one starts
	// alsoListens are further TCP ports the component listens on (Mailpit's
	// SMTP): checked free before the stack starts, waited for once /readyz
	// answers.
	alsoListens []int
	// thirdParty marks a binary that is not Closeloop's (Mailpit): it gets none
	// of the stack's common settings (issuer, Temporal), and none of the
	// inherited variables starting with dropEnv.
	thirdParty bool
	dropEnv    string
}

const (
	temporalPort = 7233
	uiPort       = 8233
	issuerPort   = 8089
	issuerURL    = "http://127.0.0.1:8089"
	tokenTTL     = 12 * time.Hour

	customerPort  = 8081
	followupPort  = 8086
	customerURL   = "http://127.0.0.1:8081"
	followupURL   = "http://127.0.0.1:8086"
	salesURL      = "http://127.0.0.1:8082"
	servicePort   = 8083
	serviceURL    = "http://127.0.0.1:8083"
	marketingPort = 8084
	marketingURL  = "http://127.0.0.1:8084"

	// Mailpit catches every email the stack sends: SMTP in on mailSMTPPort
	// (plain, no authentication: loopback only), what it caught out through
	// its REST API under mailURL (the web page is not part of the Go module
	// that `make tools` builds it from). Dev users' notification emails go to
	// <user>@mailDomain.
	mailSMTPPort = 1025
	mailHTTPPort = 8025
	mailURL      = "http://127.0.0.1:8025"
	mailDomain   = "closeloop.localhost"
	mailFrom     = "Closeloop <closeloop@closeloop.localhost>"

	// The web console: where the browser reaches it, the client it signs in
	// as at the dev issuer, and its redirect URI there.
	webPort        = 8080
	webURL         = "http://127.0.0.1:8080"
	webClientID    = "closeloop-web"
	webRedirectURI = webURL + "/auth/callback"
	webTimeZone    = "Asia/Shanghai"
)

// componentNames are the supervised processes, in start order.
var componentNames = []string{"temporal", "mailpit", "worker", "customer", "followup", "sales", "service", "marketing", "web"}

// stackComponents are the components after Temporal, in start order, each on its
// own port and (services) its own SQLite database under data. Mailpit comes
// first: the SMTP catcher the followup service sends its emails to, with its
// database data/mailpit.db. followup is the follow-up engine: it looks customers
// up through the customer API and sends email through Mailpit, so it starts
// once both are ready; it may send webhooks to loopback and plain http (a
// receiver you run on this machine). customer reads calendars and closes
// first-contact follow-ups through the followup API; sales looks customers up
// through the customer API. The web console comes last, once the five APIs it
// calls (customer, followup, sales, service, marketing) are ready, with the session key webSessionKey (kept in data, see
// sessionKey).
func stackComponents(data string, keys devKeys) []component {
	webSessionKey, unsubscribeKey := keys.webSession, keys.unsubscribe
	db := func(name string) string { return "DATABASE_URL=sqlite://" + filepath.Join(data, name+".db") }
	cs := []component{
		{name: "mailpit", port: mailHTTPPort, alsoListens: []int{mailSMTPPort}, thirdParty: true, dropEnv: "MP_",
			args: []string{
				"--smtp", fmt.Sprintf("127.0.0.1:%d", mailSMTPPort),
				"--listen", fmt.Sprintf("127.0.0.1:%d", mailHTTPPort),
				"--database", filepath.Join(data, "mailpit.db"),
				"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", // any SMTP_USERNAME/PASSWORD you give followup is accepted, without TLS
				"--disable-version-check", // no calls home
				"--smtp-disable-rdns",     // no DNS look-up of 127.0.0.1 per connection
			}},
		{name: "worker", port: 8085, env: []string{"HTTP_ADDR=127.0.0.1:8085"}},
		{name: "customer", port: customerPort, env: []string{"HTTP_ADDR=127.0.0.1:8081", db("customer"),
			"FOLLOWUP_API_URL=" + followupURL, "SERVICE_CALLERS=" + salesClientID}},
		{name: "followup", port: followupPort, env: []string{"HTTP_ADDR=127.0.0.1:8086", db("followup"),
			"CUSTOMER_API_URL=" + customerURL,
			"SMTP_HOST=127.0.0.1", fmt.Sprintf("SMTP_PORT=%d", mailSMTPPort), "SMTP_TLS=none", "SMTP_FROM=" + mailFrom,
			"CONSOLE_URL=" + webURL, "WEBHOOK_ALLOW_PRIVATE=true", "WEBHOOK_ALLOW_HTTP=true", "SERVICE_CALLERS=" + salesClientID},
			after: []string{"customer", "mailpit"}},
		// The sales service has its own identity at the dev issuer: new
		// leads call the customer and follow-up services as local
		// activities, as the sales service (issue 19).
		{name: "sales", port: 8082, env: []string{"HTTP_ADDR=127.0.0.1:8082", db("sales"),
			"CUSTOMER_API_URL=" + customerURL, "FOLLOWUP_API_URL=" + followupURL,
			"SERVICE_CLIENT_ID=" + salesClientID, "SERVICE_CLIENT_SECRET=" + keys.salesClient}},
		{name: "service", port: servicePort, env: []string{fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", servicePort), db("service"),
			"CUSTOMER_API_URL=" + customerURL,
			// Survey e-mails to Mailpit, with links to this service's public pages.
			"SMTP_HOST=127.0.0.1", fmt.Sprintf("SMTP_PORT=%d", mailSMTPPort), "SMTP_TLS=none", "SMTP_FROM=" + mailFrom,
			"SURVEY_PUBLIC_BASE_URL=" + serviceURL,
			// The departments of the dev users' teams: info slips and notices.
			"DEPARTMENTS=" + devDepartments},
			after: []string{"customer", "mailpit"}},
		{name: "marketing", port: marketingPort, env: []string{fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", marketingPort), db("marketing"),
			// Campaign e-mails (through the follow-up service, to Mailpit)
			// with unsubscribe links to this service's public page.
			"UNSUBSCRIBE_KEY=" + unsubscribeKey, "UNSUBSCRIBE_PUBLIC_BASE_URL=" + marketingURL}},
		{name: "web", port: webPort, env: []string{fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", webPort),
			"WEB_PUBLIC_URL=" + webURL, "WEB_OIDC_CLIENT_ID=" + webClientID, "WEB_SESSION_KEY=" + webSessionKey,
			"CUSTOMER_API_URL=" + customerURL, "FOLLOWUP_API_URL=" + followupURL, "SALES_API_URL=" + salesURL,
			"SERVICE_API_URL=" + serviceURL, "MARKETING_API_URL=" + marketingURL,
			fmt.Sprintf("TEMPORAL_UI_URL=http://127.0.0.1:%d", uiPort), "WEB_DEFAULT_TIME_ZONE=" + webTimeZone},
			after: []string{"customer", "followup", "sales", "service", "marketing"}},
	}
	// Every Closeloop binary serves /metrics on a port of its own, its HTTP
	// port + 1000 (METRICS_ADDR, platform/service/metrics.go): checked free
	// before the stack starts like the others.
	for i, c := range cs {
		if !c.thirdParty {
			cs[i].env = append(cs[i].env, fmt.Sprintf("METRICS_ADDR=127.0.0.1:%d", metricsPort(c.port)))
			cs[i].alsoListens = append(cs[i].alsoListens, metricsPort(c.port))
		}
	}
	return cs
}

// metricsPort is where a component on port serves /metrics under make run.
func metricsPort(port int) int { return port + 1000 }

// stackPorts are the ports `make run` listens on: Temporal, its UI, the dev
// issuer and every component (Mailpit's SMTP port too).
func stackPorts(components []component) []int {
	ports := []int{temporalPort, uiPort, issuerPort}
	for _, c := range components {
		ports = append(ports, c.port)
		ports = append(ports, c.alsoListens...)
	}
	return ports
}

// missingBinaries names the binaries under bin that `make tools` (Temporal,
// Mailpit) or `make build` (the rest) has not built.
func missingBinaries(bin string, components []component) []string {
	var missing []string
	for _, name := range append([]string{"temporal"}, names(components)...) {
		if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
			missing = append(missing, "bin/"+name)
		}
	}
	return missing
}

func names(components []component) []string {
	out := make([]string, len(components))
	for i, c := range components {
		out[i] = c.name
	}
	return out
}

func main() {
	if err := dispatch(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
}

func dispatch(args []string, out io.Writer) error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return run(root)
	}
	switch args[0] {
	case "token":
		return token(root, args[1:], out)
	case "restart":
		return restart(root, args[1:], out)
	default:
		return fmt.Errorf("unknown command %q (no argument starts the stack; or: token <user>, restart <component>)", args[0])
	}
}

// token prints a token for one dev user, signed with the key the stack's issuer
// uses (.data/dev-issuer-key.pem), or lists the dev users.
func token(root string, args []string, out io.Writer) error {
	switch len(args) {
	case 0:
		fmt.Fprintln(out, "dev users (bin/devstack token <user>, or make token USER=<user>):")
		for _, u := range devissuer.DevUsers() {
			fmt.Fprintf(out, "  %-12s %s\n", u.Subject, who(u))
		}
		return nil
	case 1:
	default:
		return errors.New("usage: bin/devstack token <user>")
	}
	tok, err := mintToken(root, issuerURL, args[0])
	if err != nil {
		return err
	}
	fmt.Fprintln(out, tok)
	return nil
}

// mintToken signs a token for the dev user subject with the issuer key in
// root/.data, as the issuer at url.
func mintToken(root, url, subject string) (string, error) {
	u, err := devissuer.DevUser(subject)
	if err != nil {
		return "", err
	}
	iss, err := devissuer.NewWithKeyFile(url, filepath.Join(root, ".data", "dev-issuer-key.pem"))
	if err != nil {
		return "", err
	}
	return iss.Mint(u, "closeloop", tokenTTL)
}

// restart stops one component of the running stack; its supervisor starts it
// again.
func restart(root string, args []string, out io.Writer) error {
	if len(args) != 1 || !slices.Contains(componentNames, args[0]) {
		return fmt.Errorf("usage: bin/devstack restart <component> (one of %s)", strings.Join(componentNames, ", "))
	}
	name := args[0]
	raw, err := os.ReadFile(pidFile(root, name))
	if err != nil {
		return fmt.Errorf("%s is not running under `make run` (%w)", name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		return fmt.Errorf("pid file %s: %w", pidFile(root, name), err)
	}
	// The pid file may outlive its process: signal only our own binary.
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.HasPrefix(string(cmdline), filepath.Join(root, "bin", name)+"\x00") {
		return fmt.Errorf("%s (pid %d) is not running; is `make run` still up?", name, pid)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop %s (pid %d): %w", name, pid, err)
	}
	fmt.Fprintf(out, "stopped %s (pid %d); `make run` starts it again within a few seconds (see its terminal and .data/logs/%s.log)\n", name, pid, name)
	return nil
}

func pidFile(root, name string) string { return filepath.Join(root, ".data", "run", name+".pid") }

func who(u auth.Principal) string {
	roles := make([]string, len(u.Roles))
	for i, r := range u.Roles {
		roles[i] = string(r)
	}
	s := strings.Join(roles, ",")
	if len(u.Teams) > 0 {
		s += ", team " + strings.Join(u.Teams, ",")
	}
	return s
}

// execProc is a component's running process.
type execProc struct{ cmd *exec.Cmd }

func (p execProc) Wait() error { return p.cmd.Wait() }
func (p execProc) Stop()       { _ = p.cmd.Process.Signal(syscall.SIGTERM) }
func (p execProc) Kill()       { _ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) }
func (p execProc) PID() int    { return p.cmd.Process.Pid }

func run(root string) error {
	bin := filepath.Join(root, "bin")
	data := filepath.Join(root, ".data")
	logs := filepath.Join(data, "logs")
	for _, d := range []string{logs, filepath.Join(data, "run")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	keys, err := readKeys(data)
	if err != nil {
		return err
	}
	components := stackComponents(data, keys)
	if missing := missingBinaries(bin, components); len(missing) > 0 {
		return fmt.Errorf("%s not built: `make run` builds them into bin/ (`make tools`: the Temporal CLI and Mailpit; `make build`: the Makefile's BINARIES, every service, the worker, the web console and devstack)", strings.Join(missing, ", "))
	}
	for _, p := range stackPorts(components) {
		if inUse(p) {
			return fmt.Errorf("port %d is already in use: is another `make run` still running? stop it first", p)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	iss, err := newDevIssuer(issuerURL, filepath.Join(data, "dev-issuer-key.pem"), keys)
	if err != nil {
		return err
	}
	issSrv := &http.Server{Addr: fmt.Sprintf("127.0.0.1:%d", issuerPort), Handler: iss.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = issSrv.ListenAndServe() }()
	defer issSrv.Close()

	logFiles := map[string]*os.File{}
	for _, name := range componentNames {
		f, err := os.OpenFile(filepath.Join(logs, name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		logFiles[name] = f
	}
	sup := supervise.New(supervise.DefaultPolicy, func(name, msg string) {
		line := "devstack: " + name + " " + msg
		fmt.Fprintln(os.Stderr, line)
		fmt.Fprintf(logFiles[name], "%s %s\n", time.Now().UTC().Format(time.RFC3339), line)
	})
	defer func() {
		sup.Stop() // the last started first, Temporal last, each gracefully
		for _, name := range componentNames {
			_ = os.Remove(pidFile(root, name))
		}
		fmt.Println("devstack: stopped")
	}()
	// A give-up while starting ends the waits below at once.
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-sup.Failed():
			cancel()
		case <-runCtx.Done():
		}
	}()
	startErr := func(err error) error {
		select {
		case <-sup.Failed():
			return sup.Wait(ctx)
		default:
		}
		if ctx.Err() != nil { // Ctrl-C while starting
			return nil
		}
		return err
	}
	start := func(c component) error {
		logf := logFiles[c.name]
		return sup.Start(c.name, func() (supervise.Process, error) {
			cmd := exec.Command(c.bin, c.args...)
			cmd.Dir = root
			cmd.Env = append(inheritedEnv(c.dropEnv), c.env...)
			cmd.Stdout, cmd.Stderr = logf, logf
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			if err := cmd.Start(); err != nil {
				return nil, err
			}
			_ = os.WriteFile(pidFile(root, c.name), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644)
			return execProc{cmd}, nil
		})
	}

	fmt.Println("devstack: starting the Temporal dev server …")
	if err := start(component{name: "temporal", bin: filepath.Join(bin, "temporal"), args: append([]string{
		"server", "start-dev", "--db-filename", filepath.Join(data, "temporal.db"),
		"--ip", "127.0.0.1", "--port", fmt.Sprint(temporalPort), "--ui-port", fmt.Sprint(uiPort),
		"--namespace", "default", "--log-level", "warn",
	}, temporalx.DevServerArgs()...)}); err != nil {
		return err
	}
	if err := waitTCP(runCtx, temporalPort, 90*time.Second); err != nil {
		return startErr(fmt.Errorf("temporal dev server did not come up (see .data/logs/temporal.log): %w", err))
	}

	common := []string{
		"OIDC_ISSUER_URL=" + issuerURL,
		"OIDC_AUDIENCE=closeloop",
		fmt.Sprintf("TEMPORAL_ADDRESS=127.0.0.1:%d", temporalPort),
		"TEMPORAL_NAMESPACE=default",
	}
	ports := map[string]int{}
	also := map[string][]int{}
	for _, c := range components {
		ports[c.name] = c.port
		also[c.name] = c.alsoListens
	}
	ready := map[string]bool{}
	awaitReady := func(name string) error {
		if ready[name] {
			return nil
		}
		if err := waitReady(runCtx, ports[name], 90*time.Second); err != nil {
			return startErr(fmt.Errorf("%s did not become ready (see .data/logs/%s.log): %w", name, name, err))
		}
		for _, p := range also[name] {
			if err := waitTCP(runCtx, p, 30*time.Second); err != nil {
				return startErr(fmt.Errorf("%s does not listen on 127.0.0.1:%d (see .data/logs/%s.log): %w", name, p, name, err))
			}
		}
		ready[name] = true
		fmt.Printf("devstack: %s is ready on 127.0.0.1:%d\n", name, ports[name])
		return nil
	}
	fmt.Printf("devstack: starting Mailpit, the worker, the services and the web console: %s …\n", strings.Join(names(components), ", "))
	for _, c := range components {
		for _, dep := range c.after {
			if !ready[dep] {
				fmt.Printf("devstack: %s starts once %s is ready …\n", c.name, dep)
			}
			if err := awaitReady(dep); err != nil {
				return err
			}
		}
		c.bin = filepath.Join(bin, c.name)
		if !c.thirdParty {
			c.env = append(c.env, common...)
		}
		if err := start(c); err != nil {
			return err
		}
	}
	for _, c := range components {
		if err := awaitReady(c.name); err != nil {
			return err
		}
	}
	if err := registerDevUsers(iss, customerURL); err != nil {
		return startErr(err)
	}
	// A dev user without a notification email gets one Mailpit catches; the
	// stack runs without it (only email notifications are missing), so a
	// failure is a warning.
	seeded, err := seedNotificationEmails(runCtx, iss, followupURL)
	if len(seeded) > 0 {
		fmt.Printf("devstack: notification email of %s set to <user>@%s (caught by Mailpit)\n", strings.Join(seeded, ", "), mailDomain)
	}
	if err != nil && runCtx.Err() == nil {
		fmt.Fprintf(os.Stderr, "devstack: warning: notification emails of the dev users not all set (email notifications of those users stay off; set one with PUT %s/v1/me/notification-preferences): %v\n", followupURL, err)
	}
	banner, err := banner(iss, logs, followupURL)
	if err != nil {
		return err
	}
	fmt.Print(banner)
	err = sup.Wait(ctx)
	if err == nil {
		fmt.Println("\ndevstack: stopping …")
	}
	return err
}

// newDevIssuer is the stack's OIDC issuer, with its key kept in keyFile so printed
// tokens survive restarts, the web console registered as a public client
// (PKCE) with its one redirect URI, so users sign in to it there, and the
// sales service as a service client with its secret.
func newDevIssuer(url, keyFile string, keys devKeys) (*devissuer.Issuer, error) {
	iss, err := devissuer.NewWithKeyFile(url, keyFile)
	if err != nil {
		return nil, fmt.Errorf("dev issuer: %w", err)
	}
	iss.RegisterClient(webClientID, webRedirectURI)
	iss.RegisterServiceClient(salesClientID, keys.salesClient)
	return iss, nil
}

// salesClientID is the sales service's own client at the dev issuer.
const salesClientID = "closeloop-sales"

// inheritedEnv is this process's environment without the variables starting
// with drop (none dropped when drop is empty): Mailpit reads its own MP_*
// settings from the environment, and a developer's MP_SMTP_AUTH or MP_UI_AUTH
// must not change what the stack's followup service can send to it.
func inheritedEnv(drop string) []string {
	env := os.Environ()
	if drop == "" {
		return env
	}
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, drop) {
			out = append(out, kv)
		}
	}
	return out
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
