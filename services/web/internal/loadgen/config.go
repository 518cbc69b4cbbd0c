package loadgen

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Config is a run's settings (cmd/loadgen's flags).
type Config struct {
	URLs   URLs
	Tokens Tokens

	Rate        float64
	Duration    time.Duration
	Mix         Mix
	Concurrency int
	Timeout     time.Duration
	// Customers is how many customers the run creates (or finds again, by
	// Tag) for its contacts and visits; CustomerIDs are existing ones to use
	// as well.
	Customers   int
	CustomerIDs []string
	Tag         string
	Region      string
	Industry    string
	// Policy is the timer policy the policy action edits (and restores).
	Policy         string
	VisitAfterDays int
	MaxErrorRate   float64
	JSON           bool
}

// envOr is the environment's value of name, else def.
func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

// ParseFlags reads cmd/loadgen's command line; every flag has an
// environment variable (LOADGEN_<FLAG>, upper case, - as _) that gives its
// default. Tokens come from -rep-token etc., LOADGEN_REP_TOKEN etc., or a
// -tokens-file of role=token lines; they are never printed.
func ParseFlags(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		return envOr(getenv, "LOADGEN_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_")), def)
	}
	var c Config
	var mix, ids, tokensFile, base string
	var rate, maxErr float64
	var dur, timeout time.Duration
	var conc, customers, after int
	fs.StringVar(&base, "base-url", env("base-url", ""), "`URL` of one host with the services on the ports of make run: http://HOST gives customer :8081, sales :8082, follow-up :8086")
	fs.StringVar(&c.URLs.Customer, "customer-url", env("customer-url", ""), "customer service base URL (default from -base-url)")
	fs.StringVar(&c.URLs.Sales, "sales-url", env("sales-url", ""), "sales service base URL (default from -base-url)")
	fs.StringVar(&c.URLs.FollowUp, "followup-url", env("followup-url", ""), "follow-up service base URL (default from -base-url)")
	// Tokens take the environment after parsing, not as flag defaults:
	// -help prints defaults, and a token is never printed.
	fs.StringVar(&c.Tokens.Rep, "rep-token", "", "a rep's bearer token (leads, contacts, visits, customer and lead lists); env LOADGEN_REP_TOKEN")
	fs.StringVar(&c.Tokens.Manager, "manager-token", "", "a manager's bearer token (overdue follow-ups list); env LOADGEN_MANAGER_TOKEN")
	fs.StringVar(&c.Tokens.Analyst, "analyst-token", "", "an analyst's or admin's bearer token (policy edits); env LOADGEN_ANALYST_TOKEN")
	fs.StringVar(&tokensFile, "tokens-file", env("tokens-file", ""), "file of role=token lines (rep, manager, analyst); flags win")
	fs.Float64Var(&rate, "rate", envFloat(env("rate", "10")), "requests per second, all actions together (open loop)")
	fs.DurationVar(&dur, "duration", envDuration(env("duration", "30s")), "how long to send")
	fs.StringVar(&mix, "mix", env("mix", DefaultMix), "relative weight per action: lead, contact, visit, policy, list")
	fs.IntVar(&conc, "concurrency", envInt(env("concurrency", "64")), "at most this many requests in flight; a due request waits for a slot and its wait counts in its latency")
	fs.DurationVar(&timeout, "timeout", envDuration(env("timeout", "30s")), "per request; a request without an answer by then is an error (timeout)")
	fs.IntVar(&customers, "customers", envInt(env("customers", "20")), "customers to create (or find again by -tag) for contacts and visits")
	fs.StringVar(&ids, "customer-ids", env("customer-ids", ""), "comma-separated ids of existing customers of the rep to use as well")
	fs.StringVar(&c.Tag, "tag", env("tag", ""), "the run's tag in names, keys and reasons (default lg-YYYYMMDD-HHMMSS); reuse it to reuse the run's customers")
	fs.StringVar(&c.Region, "region", env("region", "north"), "region of the run's customers and leads")
	fs.StringVar(&c.Industry, "industry", env("industry", "steel"), "industry of the run's customers and leads")
	fs.StringVar(&c.Policy, "policy", env("policy", "visit.reminder_before"), "timer policy the policy action edits and restores")
	fs.IntVar(&after, "visit-after-days", envInt(env("visit-after-days", "7")), "first visit day, days from today (visits are spread over customer-days from there)")
	fs.Float64Var(&maxErr, "max-error-rate", envFloat(env("max-error-rate", "0.01")), "exit 1 when errors / requests exceeds this (0.01 = 1%)")
	fs.BoolVar(&c.JSON, "json", env("json", "") == "true" || env("json", "") == "1", "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, tk := range []struct {
		dst  *string
		name string
	}{{&c.Tokens.Rep, "rep-token"}, {&c.Tokens.Manager, "manager-token"}, {&c.Tokens.Analyst, "analyst-token"}} {
		if *tk.dst == "" {
			*tk.dst = env(tk.name, "")
		}
	}
	c.Rate, c.Duration, c.Concurrency, c.Timeout, c.Customers, c.VisitAfterDays, c.MaxErrorRate = rate, dur, conc, timeout, customers, after, maxErr
	var err error
	if c.Mix, err = ParseMix(mix); err != nil {
		return c, err
	}
	if base != "" {
		base = strings.TrimRight(base, "/")
		def := func(u *string, port string) {
			if *u == "" {
				*u = withPort(base, port)
			}
		}
		def(&c.URLs.Customer, "8081")
		def(&c.URLs.Sales, "8082")
		def(&c.URLs.FollowUp, "8086")
	}
	for _, id := range strings.Split(ids, ",") {
		if id = strings.TrimSpace(id); id != "" {
			c.CustomerIDs = append(c.CustomerIDs, id)
		}
	}
	if tokensFile != "" {
		if err := readTokens(tokensFile, &c.Tokens); err != nil {
			return c, err
		}
	}
	if c.Tag == "" {
		c.Tag = "lg-" + time.Now().UTC().Format("20060102-150405")
	}
	return c, c.Validate()
}

// withPort is base (scheme://host[:port]) with port.
func withPort(base, port string) string {
	scheme, rest, ok := strings.Cut(base, "://")
	if !ok {
		scheme, rest = "http", base
	}
	host := rest
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		host = rest[:i]
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	return scheme + "://" + host + ":" + port
}

// readTokens fills the tokens not set yet from a file of role=token lines
// (# comments; roles rep, manager, analyst or admin).
func readTokens(path string, t *Tokens) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("tokens file: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		role, tok, ok := strings.Cut(line, "=")
		if !ok {
			return fmt.Errorf("tokens file %s line %d: not role=token", path, n)
		}
		set := func(dst *string) {
			if *dst == "" {
				*dst = strings.TrimSpace(tok)
			}
		}
		switch strings.TrimSpace(role) {
		case "rep":
			set(&t.Rep)
		case "manager":
			set(&t.Manager)
		case "analyst", "admin":
			set(&t.Analyst)
		default:
			return fmt.Errorf("tokens file %s line %d: unknown role %q (rep, manager, analyst)", path, n, role)
		}
	}
	return sc.Err()
}

// Validate checks the settings and that the tokens the mix needs are there.
func (c Config) Validate() error {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	if c.Rate <= 0 {
		bad("-rate must be above 0")
	}
	if c.Duration <= 0 {
		bad("-duration must be above 0")
	}
	if c.Concurrency < 1 {
		bad("-concurrency must be at least 1")
	}
	if c.Timeout <= 0 {
		bad("-timeout must be above 0")
	}
	if c.MaxErrorRate < 0 || c.MaxErrorRate > 1 {
		bad("-max-error-rate must be between 0 and 1")
	}
	if c.Customers < 0 || c.VisitAfterDays < 0 {
		bad("-customers and -visit-after-days must not be negative")
	}
	for name, u := range map[string]string{"-customer-url": c.URLs.Customer, "-sales-url": c.URLs.Sales, "-followup-url": c.URLs.FollowUp} {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			bad("%s (or -base-url) must be an http(s) URL, not %q", name, u)
		}
	}
	if c.Tokens.Rep == "" {
		bad("a rep token is needed (-rep-token, LOADGEN_REP_TOKEN or -tokens-file): the run's customers are the rep's")
	}
	if c.Mix[ActList] > 0 && c.Tokens.Manager == "" {
		bad("the list action reads the overdue follow-ups as a manager: give -manager-token")
	}
	if c.Mix[ActPolicy] > 0 && c.Tokens.Analyst == "" {
		bad("the policy action edits a timer policy as an analyst or admin: give -analyst-token")
	}
	if (c.Mix[ActContact] > 0 || c.Mix[ActVisit] > 0) && c.Customers == 0 && len(c.CustomerIDs) == 0 {
		bad("contacts and visits need customers: -customers N or -customer-ids")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

func envFloat(s string) float64 {
	var f float64
	_, _ = fmt.Sscan(s, &f)
	return f
}

func envInt(s string) int {
	var n int
	_, _ = fmt.Sscan(s, &n)
	return n
}

func envDuration(s string) time.Duration {
	d, _ := time.ParseDuration(s)
	return d
}
