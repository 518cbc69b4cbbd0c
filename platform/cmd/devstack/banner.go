package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/auth/devissuer"
)

// tokenUsers are the dev users whose tokens the banner prints: one per role.
// `bin/devstack token <user>` mints one for any other.
var tokenUsers = []string{"rep-ana", "mgr-mia", "analyst-ali", "admin-ada"}

// banner is what `make run` prints once everything is ready, the web console
// first (where a newcomer starts); the default business calendar is read from
// the followup service at calendarsFrom (the follow-up engine owns calendars).
func banner(iss *devissuer.Issuer, logs, calendarsFrom string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nOpen the console: %s — sign in as any dev user\n", webURL)
	b.WriteString("\nCloseloop is running (Ctrl-C stops everything; data is kept in .data/).\n\n")
	fmt.Fprintf(&b, "  web console    %s   (the dev issuer's sign-in page lists the dev users below; time zone %s)\n", webURL, webTimeZone)
	fmt.Fprintf(&b, "  customer API   %s/v1   (OpenAPI: %s/openapi.json)\n", customerURL, customerURL)
	fmt.Fprintf(&b, "  followup API   %s/v1   (OpenAPI: %s/openapi.json; the follow-up engine)\n", followupURL, followupURL)
	fmt.Fprintf(&b, "  sales API      %s/v1   (OpenAPI: %s/openapi.json)\n", salesURL, salesURL)
	fmt.Fprintf(&b, "  service API    http://127.0.0.1:8083/v1\n")
	fmt.Fprintf(&b, "  marketing API  http://127.0.0.1:8084/v1\n")
	fmt.Fprintf(&b, "  worker         http://127.0.0.1:8085/readyz\n")
	fmt.Fprintf(&b, "  timer policies %s/v1/policies, /v1/calendars   (analyst token; docs/api/followup.md)\n", followupURL)
	fmt.Fprintf(&b, "  overdue        %s/v1/follow-ups/overdue   (manager token)\n", followupURL)
	fmt.Fprintf(&b, "  leads          http://127.0.0.1:8082/v1/leads, /v1/territories, /v1/funnel   (docs/api/sales.md, docs/leads.md)\n")
	fmt.Fprintf(&b, "  Temporal UI    http://127.0.0.1:%d   (schedules: closeloop-abc-reclassification, closeloop-policy-reconcile, closeloop-care-sweep)\n", uiPort)
	fmt.Fprintf(&b, "  Temporal       127.0.0.1:%d, namespace default\n", temporalPort)
	fmt.Fprintf(&b, "  metrics        http://127.0.0.1:%d/metrics   (each component on its HTTP port + 1000: web %d … followup %d; not on the HTTP ports)\n",
		metricsPort(customerPort), metricsPort(webPort), metricsPort(followupPort))
	fmt.Fprintf(&b, "  SMTP           127.0.0.1:%d   (Mailpit: every email goes there — the followup service's, and the service's satisfaction surveys; dev users' addresses are <user>@%s)\n", mailSMTPPort, mailDomain)
	fmt.Fprintf(&b, "  logs           %s/<component>.log\n\n", logs)
	fmt.Fprintf(&b, "Mail (every email the stack sends is caught here): %s/api/v1/messages  (Mailpit REST API; its web page is not part of the Go build)\n\n", mailURL)

	admin, err := devissuer.DevUser("admin-ada")
	if err != nil {
		return "", err
	}
	adminTok, err := iss.Mint(admin, "closeloop", time.Minute)
	if err != nil {
		return "", err
	}
	b.WriteString(defaultCalendar(calendarsFrom, adminTok))

	b.WriteString("Supervision: a component that exits is restarted (1s, 2s, 4s … backoff); `make run` gives up\n")
	b.WriteString("and exits non-zero when one exits 5 times within 2 minutes. Restart one yourself with\n")
	fmt.Fprintf(&b, "`bin/devstack restart <component>` (%s).\n\n", strings.Join(componentNames, ", "))

	fmt.Fprintf(&b, "Dev tokens (valid %d hours; `make run` prints fresh ones each start):\n", int(tokenTTL.Hours()))
	for _, name := range tokenUsers {
		u, err := devissuer.DevUser(name)
		if err != nil {
			return "", err
		}
		tok, err := iss.Mint(u, "closeloop", tokenTTL)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "\n  %s (%s):\n  %s\n", u.Subject, who(u), tok)
	}
	b.WriteString("\nEvery dev user (a token for any: `make token USER=<user>` or `bin/devstack token <user>`):\n")
	for _, u := range devissuer.DevUsers() {
		fmt.Fprintf(&b, "  %-12s %s\n", u.Subject, who(u))
	}
	b.WriteString("\nTry:\n  TOKEN=$(bin/devstack token rep-ana)\n")
	b.WriteString(`  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \` + "\n")
	b.WriteString(`       -d '{"name":"Acme Steel","region":"north","industry":"steel","annual_revenue":120000}' http://127.0.0.1:8081/v1/customers` + "\n")
	b.WriteString(`  curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8081/v1/customers` + "\n")
	return b.String(), nil
}

// defaultCalendar asks the followup service (the follow-up engine, which owns
// business calendars) which calendar is the default and says how to pick another.
func defaultCalendar(base, token string) string {
	const how = "  (a fresh .data/followup.db with DEFAULT_CALENDAR_COUNTRY=CN make run installs the China mainland\n" +
		"   holidays; see docs/business-calendars.md)\n\n"
	req, _ := http.NewRequest("GET", base+"/v1/calendars", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return "Default business calendar: unknown (" + err.Error() + ")\n" + how
	}
	defer resp.Body.Close()
	var page struct {
		Items []struct {
			Name     string            `json:"name"`
			TimeZone string            `json:"time_zone"`
			Holidays []json.RawMessage `json:"holidays"`
			Default  bool              `json:"default"`
		} `json:"items"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&page) != nil {
		return "Default business calendar: unknown (GET /v1/calendars answered " + resp.Status + ")\n" + how
	}
	var names []string
	def := "none"
	for _, it := range page.Items {
		names = append(names, it.Name)
		if it.Default {
			def = fmt.Sprintf("%s (%s, %d holidays)", it.Name, it.TimeZone, len(it.Holidays))
		}
	}
	return fmt.Sprintf("Default business calendar: %s; installed: %s\n", def, strings.Join(names, ", ")) + how
}
