package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/closeloop/closeloop/platform/auth/devissuer"
)

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
