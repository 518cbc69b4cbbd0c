package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/auth/devissuer"
)

// devDepartments is the organisation of the dev users: DEPARTMENTS of the
// service component (which routes info slips to departments and addresses
// notices to them), in the form the chart builds from its departments.*
// values. Sales is the teams north and south, service and marketing the
// teams of the same name — the chart's defaults without service-west, in
// which no dev user is (devissuer.DevUsers has people in every team here).
const devDepartments = "sales=north,south;service=service;marketing=marketing"

// registerDevUsers puts every dev user into the customer service's user
// directory, as an admin does for people ahead of their first sign-in, so a
// manager can assign customers to any dev rep at once (owners must be known
// users) — not only to those who have already made a request.
func registerDevUsers(iss *devissuer.Issuer, customerAPI string) error {
	admin, err := devissuer.DevUser("admin-ada")
	if err != nil {
		return err
	}
	tok, err := iss.Mint(admin, "closeloop", time.Minute)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, u := range devissuer.DevUsers() {
		roles := make([]string, len(u.Roles))
		for i, r := range u.Roles {
			roles[i] = string(r)
		}
		teams := u.Teams
		if teams == nil {
			teams = []string{}
		}
		body, _ := json.Marshal(map[string]any{"name": u.Name, "roles": roles, "teams": teams})
		req, err := http.NewRequest(http.MethodPut, customerAPI+"/v1/users/"+url.PathEscape(u.Subject), bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("register dev user %s: %w", u.Subject, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("register dev user %s: the customer service answered %s", u.Subject, resp.Status)
		}
	}
	return nil
}

// notificationEmail is the address a dev user's email notifications go to in
// `make run`: a domain no mail leaves for (.localhost), caught by Mailpit.
func notificationEmail(subject string) string { return subject + "@" + mailDomain }

// seedNotificationEmails gives every dev user without a notification email
// address notificationEmail(user), as that user, through the followup
// service at followupAPI: it reads their preferences (GET
// /v1/me/notification-preferences) and, when the email is empty, sends the
// same document back with only email set (PUT), so whatever else they chose
// — language, time zone, quiet hours, digest hour, email kinds — stays. A
// user who has an address keeps it, so running it at every start changes
// nothing the second time. It returns the users it set, and the failures of
// the others (it goes on past one).
func seedNotificationEmails(ctx context.Context, iss *devissuer.Issuer, followupAPI string) ([]string, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	var seeded []string
	var errs []error
	for _, u := range devissuer.DevUsers() {
		tok, err := iss.Mint(u, "closeloop", time.Minute)
		if err != nil {
			return seeded, err
		}
		set, err := seedNotificationEmail(ctx, client, followupAPI, tok, notificationEmail(u.Subject))
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", u.Subject, err))
		case set:
			seeded = append(seeded, u.Subject)
		}
		if ctx.Err() != nil {
			return seeded, ctx.Err()
		}
	}
	return seeded, errors.Join(errs...)
}

// seedNotificationEmail sets the token's user's notification email to addr
// unless they have one; it reports whether it did.
func seedNotificationEmail(ctx context.Context, client *http.Client, base, token, addr string) (bool, error) {
	const path = "/v1/me/notification-preferences"
	var prefs map[string]json.RawMessage
	if err := callJSON(ctx, client, http.MethodGet, base+path, token, nil, &prefs); err != nil {
		return false, err
	}
	if prefs == nil {
		return false, fmt.Errorf("GET %s answered no preferences", path)
	}
	var email string
	if raw, ok := prefs["email"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &email); err != nil {
			return false, fmt.Errorf("GET %s: email is not a string: %s", path, raw)
		}
	}
	if strings.TrimSpace(email) != "" {
		return false, nil
	}
	prefs["email"], _ = json.Marshal(addr)
	body, err := json.Marshal(prefs)
	if err != nil {
		return false, err
	}
	if err := callJSON(ctx, client, http.MethodPut, base+path, token, body, nil); err != nil {
		return false, err
	}
	return true, nil
}

// callJSON sends body (JSON, or nothing when nil) with the bearer token and
// decodes the 200 answer into out (unless out is nil). Any other status is an
// error that quotes the start of the answer (the API's error names the field
// at fault).
func callJSON(ctx context.Context, client *http.Client, method, url, token string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("%s %s answered %s: %s", method, req.URL.Path, resp.Status, strings.TrimSpace(string(msg)))
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: unreadable answer: %w", method, req.URL.Path, err)
	}
	return nil
}
