package ports

import (
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/services/customer/internal/actions"
	"github.com/closeloop/closeloop/services/customer/internal/analytics"
	"github.com/closeloop/closeloop/services/customer/internal/app"
	"github.com/closeloop/closeloop/services/customer/internal/timeline"
	"github.com/closeloop/closeloop/services/customer/internal/visits"
)

var (
	idParam      = openapi.Param{Name: "id", In: "path", Description: "customer id (UUID)"}
	contactParam = openapi.Param{Name: "contactId", In: "path", Description: "contact id (UUID)"}
	limitParam   = openapi.Param{Name: "limit", In: "query", Type: "integer", Description: "page size, 1..200 (default 50)"}
	cursorParam  = openapi.Param{Name: "cursor", In: "query", Description: "next_cursor of the previous page"}
	userParam    = openapi.Param{Name: "userId", In: "path", Description: "user id: the token subject (sub)"}
)

// ContactsPage is the body of the contact list.
type ContactsPage struct {
	Items []app.ContactView `json:"items"`
}

// ABCSettings is the body of GET /v1/abc/settings.
type ABCSettings struct {
	AShare     float64 `json:"a_share"`
	BShare     float64 `json:"b_share"`
	Rule       string  `json:"rule"`
	ValueScore string  `json:"value_score"`
}

// OpenAPI returns the customer service's OpenAPI document.
func OpenAPI() []byte {
	return openapi.New("Closeloop customer service", "1.0.0",
		"Customer master data: companies and their hierarchy, contacts, territory and owner, lifecycle and relationship stages, "+
			"value inputs and ABC class, soft delete and a full audit trail. Every /v1 call needs a bearer token; "+
			"customers you may not see answer 404.").Add(
		openapi.Op{Method: "POST", Path: "/v1/customers", Tag: "customers", Summary: "Create a customer (with contacts)",
			Description: "Refuses duplicates — same normalised name, tax id or contact email; Unicode disguises (zero-width and other format characters, full-width forms, digits of other scripts, Cyrillic/Greek look-alike letters) do not make a name or tax id different — with 409 duplicate_customer: details.existing_id when you may see the existing customer, otherwise only details.matched_on and details.owning_team (whom to ask). " +
				"Names refuse control and bidirectional-override characters; website must be http(s). Reps own what they create, as lead or prospect, with value figures up to 1e9; managers assign to reps of their teams and may also create transacting or service customers; admins assign to any known, enabled user (see /v1/users) and may create in any stage.",
			Permission: string(auth.PermCustomersWrite), Request: CreateCustomerRequest{}, Status: 201, Response: app.CustomerView{},
			Errors: []int{403, 409, 422}, Idempotent: true},
		openapi.Op{Method: "GET", Path: "/v1/customers", Tag: "customers", Summary: "List customers",
			Description: "Filtered, sorted, cursor-paginated. Only customers in your scope are listed.",
			Permission:  string(auth.PermCustomersRead), Response: app.Page[app.CustomerView]{}, Errors: []int{400, 403, 422},
			Params: []openapi.Param{
				{Name: "region", In: "query"}, {Name: "industry", In: "query"}, {Name: "owner_id", In: "query"}, {Name: "team", In: "query"},
				{Name: "lifecycle_stage", In: "query", Enum: []string{"lead", "prospect", "transacting", "service", "lost"}},
				{Name: "value_class", In: "query", Enum: []string{"A", "B", "C"}},
				{Name: "parent_id", In: "query", Description: "direct subsidiaries of this customer"},
				{Name: "ids", In: "query", Description: "only these customers: up to 200 ids separated by commas (those outside your scope are left out)"},
				{Name: "q", In: "query", Description: "text search on the normalised name, or an exact tax id"},
				{Name: "sort", In: "query", Enum: []string{"name", "-name", "created_at", "-created_at", "updated_at", "-updated_at", "value_score", "-value_score"}},
				{Name: "deleted", In: "query", Type: "boolean", Description: "list soft-deleted customers instead (needs customers:delete)"},
				limitParam, cursorParam,
			}},
		openapi.Op{Method: "GET", Path: "/v1/customers/:id", Tag: "customers", Summary: "Get a customer with its contacts",
			Permission: string(auth.PermCustomersRead), Params: []openapi.Param{idParam}, Response: app.CustomerView{}, Errors: []int{403, 404}},
		openapi.Op{Method: "PATCH", Path: "/v1/customers/:id", Tag: "customers", Summary: "Change customer fields",
			Description: "Absent fields stay as they are. Owner and team changes follow the assignment rules (managers: a rep of one of their teams; admins: any known, enabled user; reps: none). A rep may set value figures up to 1e9, others up to 1e12. A duplicate answers 409 as on create.",
			Permission:  string(auth.PermCustomersWrite), Params: []openapi.Param{idParam}, Request: UpdateCustomerRequest{}, Response: app.CustomerView{},
			Errors: []int{403, 404, 409, 422}},
		openapi.Op{Method: "DELETE", Path: "/v1/customers/:id", Tag: "customers", Summary: "Soft-delete a customer",
			Description: "Refused (422 has_children) while it has live subsidiaries. An optional body {\"reason\"} is recorded in the audit trail.",
			Permission:  string(auth.PermCustomersDelete), Params: []openapi.Param{idParam}, Status: 204, Errors: []int{400, 403, 404, 422}},
		openapi.Op{Method: "POST", Path: "/v1/customers/:id/restore", Tag: "customers", Summary: "Restore a soft-deleted customer",
			Permission: string(auth.PermCustomersDelete), Params: []openapi.Param{idParam}, Response: app.CustomerView{}, Errors: []int{400, 403, 404, 409, 422}},
		openapi.Op{Method: "POST", Path: "/v1/customers/:id/lifecycle", Tag: "customers", Summary: "Change the lifecycle stage",
			Description: "Allowed: lead→prospect|lost, prospect→transacting|lost, transacting→service|lost, service→transacting|lost, lost→prospect. A reason is required; the change is kept in the stage history. " +
				"A change to lost may name the competitor the customer went to (competitor, one line of at most 100 characters; on any other change 422 validation_failed, field competitor, code not_allowed). " +
				"While it stays lost the customer shows lost_at (when it became lost), lost_reason and lost_competitor; leaving lost clears them (the stage history keeps them).",
			Permission: string(auth.PermCustomersWrite), Params: []openapi.Param{idParam}, Request: LifecycleRequest{}, Response: app.CustomerView{}, Errors: []int{403, 404, 422}},
		openapi.Op{Method: "POST", Path: "/v1/customers/:id/move", Tag: "hierarchy", Summary: "Move a customer under another parent (null: make it a root)",
			Description: "Cycles (422 hierarchy_cycle) and trees deeper than 8 levels (422 hierarchy_too_deep) are refused.",
			Permission:  string(auth.PermCustomersWrite), Params: []openapi.Param{idParam}, Request: MoveRequest{}, Response: app.CustomerView{}, Errors: []int{403, 404, 422}},
		openapi.Op{Method: "GET", Path: "/v1/customers/:id/tree", Tag: "hierarchy", Summary: "The customer, its ancestors and its subsidiaries",
			Description: "Customers outside your scope appear with only their id and restricted=true.",
			Permission:  string(auth.PermCustomersRead), Params: []openapi.Param{idParam, {Name: "depth", In: "query", Type: "integer", Description: "levels below the customer, 0..8 (default 8)"}},
			Response: app.Tree{}, Errors: []int{400, 403, 404}},
		openapi.Op{Method: "GET", Path: "/v1/customers/:id/stage-history", Tag: "customers", Summary: "Lifecycle and relationship stage changes, oldest first",
			Description: "Who changed which stage, from what to what, when and why (and, for a change to lost, to which competitor); a page at a time.",
			Permission:  string(auth.PermCustomersRead), Params: []openapi.Param{idParam, limitParam, cursorParam}, Response: app.Page[app.StageChangeView]{}, Errors: []int{400, 403, 404}},
		openapi.Op{Method: "GET", Path: "/v1/customers/:id/audit", Tag: "audit", Summary: "The customer's audit trail, newest first",
			Description: "Every change to the customer or its contacts: who, when, which fields, before and after.",
			Permission:  string(auth.PermAuditRead), Params: []openapi.Param{idParam, limitParam, cursorParam}, Response: app.Page[app.AuditView]{}, Errors: []int{400, 403, 404}},
		openapi.Op{Method: "POST", Path: "/v1/customers/:id/contacts", Tag: "contacts", Summary: "Add a contact",
			Permission: string(auth.PermCustomersWrite), Params: []openapi.Param{idParam}, Request: ContactRequest{}, Status: 201, Response: app.ContactView{},
			Errors: []int{403, 404, 409, 422}, Idempotent: true},
		openapi.Op{Method: "GET", Path: "/v1/customers/:id/contacts", Tag: "contacts", Summary: "List contacts",
			Permission: string(auth.PermCustomersRead), Params: []openapi.Param{idParam}, Response: ContactsPage{}, Errors: []int{403, 404}},
		openapi.Op{Method: "GET", Path: "/v1/customers/:id/contacts/:contactId", Tag: "contacts", Summary: "Get a contact",
			Permission: string(auth.PermCustomersRead), Params: []openapi.Param{idParam, contactParam}, Response: app.ContactView{}, Errors: []int{403, 404}},
		openapi.Op{Method: "PATCH", Path: "/v1/customers/:id/contacts/:contactId", Tag: "contacts", Summary: "Change a contact",
			Permission: string(auth.PermCustomersWrite), Params: []openapi.Param{idParam, contactParam}, Request: UpdateContactRequest{}, Response: app.ContactView{}, Errors: []int{403, 404, 422}},
		openapi.Op{Method: "DELETE", Path: "/v1/customers/:id/contacts/:contactId", Tag: "contacts", Summary: "Remove a contact",
			Permission: string(auth.PermCustomersWrite), Params: []openapi.Param{idParam, contactParam}, Status: 204, Errors: []int{403, 404}},
		openapi.Op{Method: "POST", Path: "/v1/abc/reclassifications", Tag: "abc", Summary: "Run ABC reclassification now (analysts and admins)",
			Description: "Starts the ReclassifyABC workflow over every customer with the configured thresholds (or joins the manual run already in progress). a_share/b_share, if sent, must equal the configured ones (422 abc_thresholds_trial_only otherwise: try them with POST /v1/abc/trials). The nightly schedule runs the same workflow.",
			Permission:  string(auth.PermCustomersReclassify), Request: ReclassifyRequest{}, Status: 202, Response: app.RunRef{}, Errors: []int{403, 422, 503}},
		openapi.Op{Method: "GET", Path: "/v1/abc/reclassifications/:workflowId", Tag: "abc", Summary: "Status and result of a reclassification run",
			Permission: string(auth.PermCustomersReclassify), Params: []openapi.Param{{Name: "workflowId", In: "path"}}, Response: app.RunStatus{}, Errors: []int{403, 404, 503}},
		openapi.Op{Method: "GET", Path: "/v1/abc/settings", Tag: "abc", Summary: "The ABC rule and its configured thresholds",
			Permission: string(auth.PermCustomersRead), Response: ABCSettings{}, Errors: []int{403}},
		openapi.Op{Method: "POST", Path: "/v1/abc/trials", Tag: "abc", Summary: "Try thresholds: classify every customer without storing anything (analysts and admins)",
			Description: "A dry run: answers how many customers each class would hold and how many would change class (by move, such as B→A) under the candidate a_share/b_share (absent: the configured ones). Nothing is written: no class, no audit entry, no care sweep.",
			Permission:  string(auth.PermCustomersReclassify), Request: TrialRequest{}, Response: app.TrialView{}, Errors: []int{400, 403, 422}},
		openapi.Op{Method: "GET", Path: "/v1/users", Tag: "users", Summary: "The user directory: who may own customers",
			Description: "Admins see everyone; managers the users of their teams. Users appear at their first verified request (and are refreshed from every token) or when an admin registers them. Everyone else looks colleagues up in the people directory (/v1/people: name, teams, roles, enabled).",
			Permission:  string(auth.PermUsersRead), Params: []openapi.Param{{Name: "team", In: "query"}, {Name: "role", In: "query", Enum: []string{"rep", "manager", "analyst", "admin"}}, limitParam, cursorParam},
			Response: app.Page[app.UserView]{}, Errors: []int{400, 403, 422}},
		openapi.Op{Method: "PUT", Path: "/v1/users/:userId", Tag: "users", Summary: "Register a user ahead of their first sign-in, or change their entry (admins)",
			Description: "userId is the token subject (sub) the identity provider will issue. The user's next token overwrites name, roles and teams: the identity provider stays the authority.",
			Permission:  string(auth.PermUsersWrite), Params: []openapi.Param{userParam}, Request: UserRequest{}, Response: app.UserView{}, Errors: []int{400, 403, 422}},
		openapi.Op{Method: "POST", Path: "/v1/users/:userId/disable", Tag: "users", Summary: "Disable a user: no customer can be given to them (admins)",
			Description: "Customers they own keep them until reassigned; signing in is the identity provider's business.",
			Permission:  string(auth.PermUsersWrite), Params: []openapi.Param{userParam}, Response: app.UserView{}, Errors: []int{403, 404, 422}},
		openapi.Op{Method: "POST", Path: "/v1/users/:userId/enable", Tag: "users", Summary: "Enable a disabled user again (admins)",
			Permission: string(auth.PermUsersWrite), Params: []openapi.Param{userParam}, Response: app.UserView{}, Errors: []int{403, 404, 422}},
	).Add(importOps()...).Add(peopleOps()...).Add(visits.Ops()...).Add(actions.Ops()...).Add(timeline.Ops()...).Add(analytics.Ops()...).JSON()
}
