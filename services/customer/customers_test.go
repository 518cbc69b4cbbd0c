package customer_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
)

func TestCustomerLifecycleEndToEnd(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN(t), stackOpts{})
			r := s.call("POST", "/v1/customers", repAna, company(map[string]any{
				"name": "Acme Steel Ltd.", "tax_id": "91-110000-AB", "annual_revenue": 1000, "annual_marketing_cost": 200, "years_of_business": 10,
				"contacts": []map[string]any{{"name": "Li Wei", "email": "li.wei@acme.example", "decision_role": "decision_maker", "is_primary": true}},
			}))
			if r.status != http.StatusCreated {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
			c := r.json(t)
			id := c["id"].(string)
			if c["owner_id"] != repAna || c["team"] != "north" || c["lifecycle_stage"] != "lead" || c["value_score"].(float64) != 960 || c["tax_id"] != "91110000AB" {
				t.Fatalf("created customer: %s", r.body)
			}
			if cs := c["contacts"].([]any); len(cs) != 1 || cs[0].(map[string]any)["email"] != "li.wei@acme.example" {
				t.Fatalf("contacts: %v", c["contacts"])
			}

			// It comes back in the owner's list and by id.
			list := s.call("GET", "/v1/customers?q=acme", repAna, nil)
			if list.status != 200 || !strings.Contains(string(list.body), id) {
				t.Fatalf("list: %d %s", list.status, list.body)
			}
			if g := s.call("GET", "/v1/customers/"+id, repAna, nil); g.status != 200 {
				t.Fatalf("get: %d %s", g.status, g.body)
			}

			// Lifecycle: lead → prospect is allowed and recorded; prospect → service is not.
			if r := s.call("POST", "/v1/customers/"+id+"/lifecycle", repAna, map[string]any{"to": "prospect", "reason": "budget confirmed"}); r.status != 200 {
				t.Fatalf("lead→prospect: %d %s", r.status, r.body)
			}
			r = s.call("POST", "/v1/customers/"+id+"/lifecycle", repAna, map[string]any{"to": "service", "reason": "skip"})
			if r.status != 422 || r.code(t) != "invalid_stage_transition" {
				t.Fatalf("prospect→service must be 422: %d %s", r.status, r.body)
			}
			h := s.call("GET", "/v1/customers/"+id+"/stage-history", repAna, nil)
			items := h.json(t)["items"].([]any)
			if len(items) != 2 || items[1].(map[string]any)["to"] != "prospect" || items[1].(map[string]any)["reason"] != "budget confirmed" || items[1].(map[string]any)["actor"] != repAna {
				t.Fatalf("stage history: %s", h.body)
			}

			// Update: relationship stage and value; the audit shows before and after.
			r = s.call("PATCH", "/v1/customers/"+id, repAna, map[string]any{"relationship_stage": "formation", "annual_revenue": 2000, "reason": "new contract"})
			if r.status != 200 || r.json(t)["value_score"].(float64) != 2160 || r.json(t)["version"].(float64) != 3 {
				t.Fatalf("update: %d %s", r.status, r.body)
			}
			a := s.call("GET", "/v1/customers/"+id+"/audit", mgrMia, nil)
			if a.status != 200 {
				t.Fatalf("audit: %d %s", a.status, a.body)
			}
			entries := a.json(t)["items"].([]any)
			latest := entries[0].(map[string]any)
			if latest["action"] != "update" || latest["actor"] != repAna || latest["reason"] != "new contract" {
				t.Fatalf("latest audit entry: %v", latest)
			}
			found := false
			for _, ch := range latest["changes"].([]any) {
				m := ch.(map[string]any)
				if m["field"] == "annual_revenue" && m["before"].(float64) == 1000 && m["after"].(float64) == 2000 {
					found = true
				}
			}
			if !found {
				t.Fatalf("audit lacks the revenue change: %v", latest["changes"])
			}

			// Contacts.
			r = s.call("POST", "/v1/customers/"+id+"/contacts", repAna, map[string]any{"name": "Zhang San", "email": "zhang@acme.example", "birthday": "1980-05-01"})
			if r.status != 201 {
				t.Fatalf("add contact: %d %s", r.status, r.body)
			}
			cid := r.json(t)["id"].(string)
			if r := s.call("PATCH", "/v1/customers/"+id+"/contacts/"+cid, repAna, map[string]any{"title": "CFO"}); r.status != 200 || r.json(t)["title"] != "CFO" {
				t.Fatalf("update contact: %d %s", r.status, r.body)
			}
			if r := s.call("DELETE", "/v1/customers/"+id+"/contacts/"+cid, repAna, nil); r.status != 204 {
				t.Fatalf("delete contact: %d %s", r.status, r.body)
			}
			if r := s.call("GET", "/v1/customers/"+id+"/contacts/"+cid, repAna, nil); r.status != 404 {
				t.Fatalf("deleted contact still there: %d", r.status)
			}

			// Soft delete (manager) hides it; restore brings it back.
			if r := s.call("DELETE", "/v1/customers/"+id, repAna, nil); r.status != 403 {
				t.Fatalf("a rep may not delete: %d %s", r.status, r.body)
			}
			if r := s.call("DELETE", "/v1/customers/"+id, mgrMia, map[string]any{"reason": "merged"}); r.status != 204 {
				t.Fatalf("delete: %d %s", r.status, r.body)
			}
			if r := s.call("GET", "/v1/customers/"+id, repAna, nil); r.status != 404 {
				t.Fatalf("deleted customer visible: %d", r.status)
			}
			if r := s.call("GET", "/v1/customers?deleted=true", mgrMia, nil); !strings.Contains(string(r.body), id) {
				t.Fatalf("deleted list: %s", r.body)
			}
			if r := s.call("POST", "/v1/customers/"+id+"/restore", mgrMia, nil); r.status != 200 {
				t.Fatalf("restore: %d %s", r.status, r.body)
			}
			if r := s.call("GET", "/v1/customers/"+id, repAna, nil); r.status != 200 {
				t.Fatalf("restored customer: %d", r.status)
			}
		})
	}
}

func TestHierarchy(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN(t), stackOpts{})
			group := s.create(mgrMia, company(nil))
			sub := s.create(mgrMia, company(map[string]any{"parent_id": group}))
			branch := s.create(mgrMia, company(map[string]any{"parent_id": sub, "owner_id": repAna}))

			tree := s.call("GET", "/v1/customers/"+group+"/tree", mgrMia, nil).json(t)
			root := tree["root"].(map[string]any)
			kids := root["children"].([]any)
			if root["id"] != group || len(kids) != 1 || kids[0].(map[string]any)["id"] != sub ||
				kids[0].(map[string]any)["children"].([]any)[0].(map[string]any)["id"] != branch {
				t.Fatalf("tree: %v", tree)
			}
			anc := s.call("GET", "/v1/customers/"+branch+"/tree", repAna, nil).json(t)["ancestors"].([]any)
			if len(anc) != 2 || anc[0].(map[string]any)["id"] != sub || anc[0].(map[string]any)["restricted"] != true {
				t.Fatalf("a rep sees the manager's ancestors only as restricted ids: %v", anc)
			}

			// A cycle is refused and nothing changes.
			r := s.call("POST", "/v1/customers/"+group+"/move", mgrMia, map[string]any{"parent_id": branch})
			if r.status != 422 || r.code(t) != "hierarchy_cycle" {
				t.Fatalf("cycle: %d %s", r.status, r.body)
			}
			r = s.call("POST", "/v1/customers/"+group+"/move", mgrMia, map[string]any{"parent_id": group})
			if r.status != 422 || r.code(t) != "hierarchy_cycle" {
				t.Fatalf("self-parent: %d %s", r.status, r.body)
			}
			if p := s.call("GET", "/v1/customers/"+group, mgrMia, nil).json(t)["parent_id"]; p != nil {
				t.Fatalf("refused move changed the parent: %v", p)
			}
			// A legal move: the branch becomes a direct subsidiary of the group.
			if r := s.call("POST", "/v1/customers/"+branch+"/move", mgrMia, map[string]any{"parent_id": group, "reason": "reorg"}); r.status != 200 {
				t.Fatalf("move: %d %s", r.status, r.body)
			}
			if n := len(s.call("GET", "/v1/customers?parent_id="+group, mgrMia, nil).json(t)["items"].([]any)); n != 2 {
				t.Fatalf("group should have 2 subsidiaries, has %d", n)
			}
			// A parent with live subsidiaries cannot be deleted.
			if r := s.call("DELETE", "/v1/customers/"+group, mgrMia, nil); r.status != 422 || r.code(t) != "has_children" {
				t.Fatalf("delete parent: %d %s", r.status, r.body)
			}
			// Depth is bounded.
			parent := group
			var err string
			for i := 0; i < 10; i++ {
				r := s.call("POST", "/v1/customers", mgrMia, company(map[string]any{"parent_id": parent}))
				if r.status != 201 {
					err = r.code(t)
					break
				}
				parent = r.json(t)["id"].(string)
			}
			if err != "hierarchy_too_deep" {
				t.Fatalf("depth limit: got %q", err)
			}
		})
	}
}

func TestListFiltersSortingAndPagination(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN(t), stackOpts{})
			for i := 0; i < 23; i++ {
				region := []string{"north", "east"}[i%2]
				s.create(admin, map[string]any{"name": fmt.Sprintf("Firm %02d", i), "region": region, "industry": "steel", "team": "north",
					"owner_id": repAna, "annual_revenue": float64(i * 100)})
			}
			s.create(admin, map[string]any{"name": "Other Team Firm", "region": "north", "industry": "steel", "team": "south", "owner_id": repBo})

			seen := map[string]bool{}
			cursor := ""
			pages := 0
			var names []string
			for {
				path := "/v1/customers?limit=5&sort=-value_score"
				if cursor != "" {
					path += "&cursor=" + cursor
				}
				r := s.call("GET", path, repAna, nil)
				if r.status != 200 {
					t.Fatalf("page: %d %s", r.status, r.body)
				}
				body := r.json(t)
				for _, it := range body["items"].([]any) {
					m := it.(map[string]any)
					if seen[m["id"].(string)] {
						t.Fatalf("duplicate across pages: %v", m["name"])
					}
					seen[m["id"].(string)] = true
					names = append(names, m["name"].(string))
				}
				pages++
				next, _ := body["next_cursor"].(string)
				if next == "" {
					break
				}
				cursor = next
			}
			if len(seen) != 23 || pages != 5 || names[0] != "Firm 22" || names[22] != "Firm 00" {
				t.Fatalf("rep-ana must page through her 23 customers by value desc: %d in %d pages, %v", len(seen), pages, names)
			}
			east := s.call("GET", "/v1/customers?region=east&limit=200", repAna, nil).json(t)["items"].([]any)
			if len(east) != 11 {
				t.Fatalf("region filter: %d", len(east))
			}
			all := s.call("GET", "/v1/customers?limit=200", admin, nil).json(t)["items"].([]any)
			if len(all) != 24 {
				t.Fatalf("admin sees all: %d", len(all))
			}
			// ids: only the customers named, and of those only the ones in
			// the caller's scope (the 24th is not rep-ana's).
			var ids []string
			others := ""
			for _, c := range all {
				m := c.(map[string]any)
				if m["owner_id"] == repAna && len(ids) < 2 {
					ids = append(ids, m["id"].(string))
				} else if m["owner_id"] != repAna {
					others = m["id"].(string)
				}
			}
			got := s.call("GET", "/v1/customers?ids="+strings.Join(append(ids, others), ","), repAna, nil).json(t)["items"].([]any)
			if len(got) != 2 || others == "" {
				t.Fatalf("ids filter as rep-ana: %d customers, want her 2 of the 3 named", len(got))
			}
			if n := len(s.call("GET", "/v1/customers?ids="+others, admin, nil).json(t)["items"].([]any)); n != 1 {
				t.Fatalf("ids filter as admin: %d", n)
			}
			if r := s.call("GET", "/v1/customers?ids="+ids[0]+",nope", repAna, nil); r.status != 422 || !strings.Contains(string(r.body), `"field":"ids"`) {
				t.Fatalf("a malformed id in ids: %d %s", r.status, r.body)
			}
			if r := s.call("GET", "/v1/customers?ids="+strings.Repeat(ids[0]+",", 200)+ids[0], repAna, nil); r.status != 422 || !strings.Contains(string(r.body), "too_many") {
				t.Fatalf("201 ids: %d %s", r.status, r.body)
			}
			if n := len(s.call("GET", "/v1/customers?limit=200", mgrMia, nil).json(t)["items"].([]any)); n != 23 {
				t.Fatalf("manager of north sees north's: %d", n)
			}
			if r := s.call("GET", "/v1/customers?limit=201", repAna, nil); r.status != 400 || r.code(t) != "invalid_limit" {
				t.Fatalf("page cap: %d %s", r.status, r.body)
			}
			if r := s.call("GET", "/v1/customers?cursor=garbage", repAna, nil); r.status != 400 || r.code(t) != "invalid_cursor" {
				t.Fatalf("bad cursor: %d %s", r.status, r.body)
			}
		})
	}
}

func TestIdempotentCreate(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN(t), stackOpts{})
			body := company(nil)
			first := s.call("POST", "/v1/customers", repAna, body, "Idempotency-Key", "k-1")
			again := s.call("POST", "/v1/customers", repAna, body, "Idempotency-Key", "k-1")
			if first.status != 201 || again.status != 201 || first.json(t)["id"] != again.json(t)["id"] || again.header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("replay: %d %s / %d %s", first.status, first.body, again.status, again.body)
			}
			other := company(nil)
			if r := s.call("POST", "/v1/customers", repAna, other, "Idempotency-Key", "k-1"); r.status != 409 || r.code(t) != "idempotency_key_reused" {
				t.Fatalf("key reuse with another body: %d %s", r.status, r.body)
			}
			// Concurrent retries of one request create one customer.
			body = company(nil)
			var wg sync.WaitGroup
			ids := make([]string, 10)
			for i := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := s.call("POST", "/v1/customers", repAna, body, "Idempotency-Key", "k-2")
					if r.status == 201 {
						ids[i] = r.json(t)["id"].(string)
					} else {
						t.Errorf("concurrent retry: %d %s", r.status, r.body)
					}
				}()
			}
			wg.Wait()
			for _, id := range ids {
				if id != ids[0] {
					t.Fatalf("retries created different customers: %v", ids)
				}
			}
			list := s.call("GET", "/v1/customers?limit=200", repAna, nil).json(t)["items"].([]any)
			if len(list) != 2 {
				t.Fatalf("want 2 customers (one per key; the reused key created nothing), got %d", len(list))
			}
		})
	}
}

func TestConcurrentDuplicatesCreateOne(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN(t), stackOpts{})
			var wg sync.WaitGroup
			var mu sync.Mutex
			statuses := map[int]int{}
			var existing []string
			for i := 0; i < 12; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := s.call("POST", "/v1/customers", repAna, map[string]any{"name": fmt.Sprintf("Racing Co %d", i%1) + []string{" Ltd", " Limited", "", " Inc."}[i%4], "region": "north", "industry": "steel"})
					mu.Lock()
					defer mu.Unlock()
					statuses[r.status]++
					if r.status == 409 {
						d, _ := r.json(t)["details"].(map[string]any)
						id, _ := d["existing_id"].(string)
						existing = append(existing, id)
					}
				}()
			}
			wg.Wait()
			if statuses[201] != 1 || statuses[409] != 11 {
				t.Fatalf("want exactly one created and 11 duplicates, got %v", statuses)
			}
			list := s.call("GET", "/v1/customers", repAna, nil).json(t)["items"].([]any)
			if len(list) != 1 {
				t.Fatalf("%d customers exist", len(list))
			}
			for _, id := range existing {
				if id != list[0].(map[string]any)["id"] {
					t.Fatalf("409 must name the existing customer: %q", id)
				}
			}
		})
	}
}

// TestUserDirectoryDecidesWhoMayOwn: owner_id must name a known, enabled
// user — for a manager a rep of its own team (issue 13, item 3). Users become
// known by signing in or by an admin registering them; the identity
// provider's next token has the last word on roles and teams.
func TestUserDirectoryDecidesWhoMayOwn(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN(t), stackOpts{})
			const newRep = "rep-newcomer"
			if r := s.call("POST", "/v1/customers", mgrMia, company(map[string]any{"owner_id": newRep})); r.status != 403 || r.code(t) != "owner_out_of_scope" {
				t.Fatalf("a user nobody knows cannot own: %d %s", r.status, r.body)
			}
			// The admin registers the newcomer ahead of the first sign-in.
			r := s.call("PUT", "/v1/users/"+newRep, admin, map[string]any{"name": "Nia (rep, north)", "roles": []string{"rep"}, "teams": []string{"north"}})
			if r.status != 200 || r.json(t)["source"] != "admin" || r.json(t)["last_seen_at"] != nil {
				t.Fatalf("register: %d %s", r.status, r.body)
			}
			id := s.create(mgrMia, company(map[string]any{"owner_id": newRep}))
			if c := s.call("GET", "/v1/customers/"+id, mgrMia, nil).json(t); c["owner_id"] != newRep || c["team"] != "north" {
				t.Fatalf("owner: %v", c)
			}
			// Managers list the users of their teams; reps may not list.
			list := string(s.call("GET", "/v1/users?role=rep&limit=200", mgrMia, nil).body)
			if !strings.Contains(list, newRep) || !strings.Contains(list, repAna) || strings.Contains(list, repBo) {
				t.Fatalf("a manager sees its teams' users only: %s", list)
			}
			if r := s.call("GET", "/v1/users", repAna, nil); r.status != 403 {
				t.Fatalf("a rep listing users: %d", r.status)
			}
			// The first sign-in: the token says the newcomer joined south.
			tok, err := s.issuer.Mint(auth.Principal{Subject: newRep, Name: "Nia", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"south"}}, "closeloop", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if r := s.call("GET", "/v1/customers", tok, nil); r.status != 200 {
				t.Fatalf("sign-in: %d %s", r.status, r.body)
			}
			var entry map[string]any
			for _, u := range s.call("GET", "/v1/users?limit=200", admin, nil).json(t)["items"].([]any) {
				if m := u.(map[string]any); m["id"] == newRep {
					entry = m
				}
			}
			if entry == nil || entry["last_seen_at"] == nil || fmt.Sprint(entry["teams"]) != "[south]" || entry["name"] != "Nia" {
				t.Fatalf("the token refreshes the directory: %v", entry)
			}
			if r := s.call("PATCH", "/v1/customers/"+id, mgrMia, map[string]any{"owner_id": newRep, "team": "north", "region": "east"}); r.status != 200 {
				t.Fatalf("keeping the owner while changing something else: %d %s", r.status, r.body)
			}
			if r := s.call("POST", "/v1/customers", mgrMia, company(map[string]any{"owner_id": newRep})); r.status != 403 {
				t.Fatalf("a rep who moved to south is no longer north's to assign: %d %s", r.status, r.body)
			}
			// Disabled users cannot be given customers, even by an admin.
			if r := s.call("POST", "/v1/users/"+newRep+"/disable", admin, nil); r.status != 200 || r.json(t)["disabled"] != true || r.json(t)["disabled_by"] != admin {
				t.Fatalf("disable: %d %s", r.status, r.body)
			}
			if r := s.call("POST", "/v1/customers", admin, company(map[string]any{"owner_id": newRep, "team": "south"})); r.status != 422 || r.code(t) != "unknown_owner" {
				t.Fatalf("a disabled owner: %d %s", r.status, r.body)
			}
			if r := s.call("GET", "/v1/customers", tok, nil); r.status != 200 {
				t.Fatalf("signing in again: %d", r.status)
			}
			if r := s.call("POST", "/v1/customers", admin, company(map[string]any{"owner_id": newRep, "team": "south"})); r.status != 422 {
				t.Fatalf("a new token does not enable a disabled user: %d %s", r.status, r.body)
			}
			if r := s.call("POST", "/v1/users/"+newRep+"/enable", admin, nil); r.status != 200 || r.json(t)["disabled"] != false {
				t.Fatalf("enable: %d %s", r.status, r.body)
			}
			s.create(admin, company(map[string]any{"owner_id": newRep, "team": "south"}))
			// Admins may give a customer to any known user, managers not.
			s.create(admin, company(map[string]any{"owner_id": repBo, "team": "south", "lifecycle_stage": "lost"}))
		})
	}
}

// TestStoredFieldsAreNormalised: phones keep ASCII digits, a bare website
// host becomes https, and value figures and initial stages follow the role.
func TestStoredFieldsAreNormalised(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN(t), stackOpts{})
			c := s.call("POST", "/v1/customers", repAna, company(map[string]any{"phone": "+86 １０ ６５５٥ ۱۲۳۴", "website": "acme.example",
				"lifecycle_stage": "prospect", "annual_revenue": 1e9,
				"contacts": []map[string]any{{"name": "Li", "mobile": "\u0967\u0968\u0969"}}})).json(t)
			if c["phone"] != "+86 10 6555 1234" || c["website"] != "https://acme.example" || c["contacts"].([]any)[0].(map[string]any)["mobile"] != "123" {
				t.Fatalf("stored: %v", c)
			}
			id := c["id"].(string)
			// A manager enters a figure above the rep bound; the rep may still
			// change other fields of that customer.
			if r := s.call("PATCH", "/v1/customers/"+id, mgrMia, map[string]any{"annual_revenue": 5e9}); r.status != 200 {
				t.Fatalf("manager figure: %d %s", r.status, r.body)
			}
			if r := s.call("PATCH", "/v1/customers/"+id, repAna, map[string]any{"annual_marketing_cost": 1000, "annual_revenue": 5e9}); r.status != 200 {
				t.Fatalf("rep keeps the manager's figure: %d %s", r.status, r.body)
			}
			if r := s.call("POST", "/v1/customers", mgrMia, company(map[string]any{"lifecycle_stage": "service", "owner_id": repAna})); r.status != 201 {
				t.Fatalf("a manager takes over an account in service: %d %s", r.status, r.body)
			}
		})
	}
}
