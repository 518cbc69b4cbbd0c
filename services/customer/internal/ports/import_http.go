package ports

import (
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/services/customer/internal/app"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// MaxImportBodyBytes is the largest body POST /v1/customers/import takes
// (above the service's HTTP_MAX_BODY_BYTES): 5,000 rows of a few hundred
// bytes each, with room for contacts.
const MaxImportBodyBytes = 16 << 20

// ImportRequest is the body of POST /v1/customers/import.
type ImportRequest struct {
	Rows   []ImportRowRequest `json:"rows"`
	DryRun bool               `json:"dry_run"`
}

// ImportRowRequest is one row: the fields of POST /v1/customers except
// parent_id, and external_ref, the caller's own reference for the row
// (echoed back, not stored).
type ImportRowRequest struct {
	ExternalRef         string           `json:"external_ref"`
	Name                string           `json:"name"`
	TaxID               string           `json:"tax_id"`
	Region              string           `json:"region"`
	Industry            string           `json:"industry"`
	OwnerID             string           `json:"owner_id"`
	Team                string           `json:"team"`
	Website             string           `json:"website"`
	Phone               string           `json:"phone"`
	Address             string           `json:"address"`
	LifecycleStage      string           `json:"lifecycle_stage"`
	RelationshipStage   string           `json:"relationship_stage"`
	AnnualRevenue       float64          `json:"annual_revenue"`
	AnnualMarketingCost float64          `json:"annual_marketing_cost"`
	YearsOfBusiness     int              `json:"years_of_business"`
	Contacts            []ContactRequest `json:"contacts"`
}

// importRoutes mounts the import on v1, with its own body limit.
func (h *HTTP) importRoutes(v1 *gin.RouterGroup) {
	httpx.AllowBody("POST", v1.BasePath()+"/customers/import", MaxImportBodyBytes)
	v1.POST("/customers/import", h.importCustomers)
}

func (h *HTTP) importCustomers(c *gin.Context) {
	var req ImportRequest
	raw, err := httpx.BindRaw(c, &req)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	rows := make([]app.ImportRow, len(req.Rows))
	for i, r := range req.Rows {
		contacts := make([]app.ContactInput, len(r.Contacts))
		for k, ct := range r.Contacts {
			contacts[k] = ct.input()
		}
		rows[i] = app.ImportRow{ExternalRef: r.ExternalRef, Customer: app.CreateCustomer{
			Name: r.Name, TaxID: r.TaxID, Region: r.Region, Industry: r.Industry, OwnerID: r.OwnerID, Team: r.Team,
			Website: r.Website, Phone: r.Phone, Address: r.Address, LifecycleStage: r.LifecycleStage, RelationshipStage: r.RelationshipStage,
			AnnualRevenue: r.AnnualRevenue, AnnualMarketingCost: r.AnnualMarketingCost, YearsOfBusiness: r.YearsOfBusiness, Contacts: contacts,
		}}
	}
	res, err := h.app.Import(c.Request.Context(), app.ImportCustomers{Rows: rows, DryRun: req.DryRun}, c.GetHeader(idem.Header), raw)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	writeCreated(c, res, "")
}

// importOps documents the import.
func importOps() []openapi.Op {
	return []openapi.Op{{Method: "POST", Path: "/v1/customers/import", Tag: "customers", Summary: "Import customers in bulk, or preview an import (dry_run)",
		Description: fmt.Sprintf("Up to %d rows per request (and a body of at most %d MiB); send larger files in chunks, one request after the other. ", domain.MaxImportRows, MaxImportBodyBytes>>20) +
			"Each row is judged exactly as POST /v1/customers judges one customer — the same field rules, owner and team rules and initial stages for your role — and answered in `rows[]`, in request order, with its `outcome`: " +
			"`new` (created; `customer_id` is its id, absent on a dry run), " +
			"`duplicate` (same normalised name, tax id or contact email as a live customer: `customer_id` when you may see it, otherwise only `matched_on` and `owning_team`; or as an earlier row of this request that is new: `duplicate_of_row`, and its `customer_id` once created) " +
			"or `invalid` (`errors[]`: field, code, message as create answers them, e.g. `contacts[0].email`, or `owner_id` for an owner you may not name). " +
			"Duplicates and invalid rows are not created; the other rows are. Rows are compared with rows of earlier requests only once those are written: a dry run over several chunks cannot see duplicates across chunks. " +
			"dry_run=true writes nothing (no customer, no audit entry, no idempotency key). Otherwise the new rows are created in one transaction with the audit entries and stage history of a create. " +
			"The request fails as a whole only for a reason of the request: malformed body (400), more rows than allowed or none (422), a role without the permission (403), an account without a team (422 no_team).",
		Permission: string(auth.PermCustomersWrite), Request: ImportRequest{}, Response: app.ImportResult{},
		Errors: []int{403, 409, 422}, Idempotent: true,
		IdempotencyNote: "Retrying an import (dry_run=false) with the same key returns the first response instead of creating twice (kept 24 h). Dry runs store no key."}}
}
