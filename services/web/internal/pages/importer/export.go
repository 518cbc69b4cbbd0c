package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/csvimport"
	"github.com/closeloop/closeloop/services/web/internal/pages/customers"
)

// exportPage is how many customers one call of the list reads (its most).
const exportPage = 200

// maxExport is the most rows an export writes; a list that is longer is
// refused with a page that asks for a narrower filter. (Atomic only so that
// tests can lower it while the console runs.)
var maxExport atomic.Int64

func init() { maxExport.Store(100_000) }

// exportHeader are the export's columns: import fields, so an export
// imports again (its rows are then duplicates of the customers they came
// from). external_ref holds the customer's id, which the import echoes and
// never stores. Contacts are not exported: the list does not carry them.
var exportHeader = []string{"external_ref", "name", "tax_id", "region", "industry", "owner_id", "team", "website",
	"phone", "address", "lifecycle_stage", "relationship_stage", "annual_revenue", "annual_marketing_cost", "years_of_business"}

// exportItem is a customer of the list as the export reads it: only the
// columns of the file, amounts as float64 as the service wrote them.
type exportItem struct {
	ID                  string      `json:"id"`
	Name                string      `json:"name"`
	TaxID               string      `json:"tax_id"`
	Region              string      `json:"region"`
	Industry            string      `json:"industry"`
	OwnerID             string      `json:"owner_id"`
	Team                string      `json:"team"`
	Website             string      `json:"website"`
	Phone               string      `json:"phone"`
	Address             string      `json:"address"`
	LifecycleStage      string      `json:"lifecycle_stage"`
	RelationshipStage   string      `json:"relationship_stage"`
	AnnualRevenue       json.Number `json:"annual_revenue"`
	AnnualMarketingCost json.Number `json:"annual_marketing_cost"`
	YearsOfBusiness     int         `json:"years_of_business"`
}

func (it exportItem) cells() []string {
	years := ""
	if it.YearsOfBusiness != 0 {
		years = strconv.Itoa(it.YearsOfBusiness)
	}
	return []string{it.ID, it.Name, it.TaxID, it.Region, it.Industry, it.OwnerID, it.Team, it.Website,
		it.Phone, it.Address, it.LifecycleStage, it.RelationshipStage, it.AnnualRevenue.String(), it.AnnualMarketingCost.String(), years}
}

// export writes the customer list with the list page's filter as a CSV
// file: the user's scope only (the service lists nothing else), a page of
// 200 at a time. The file is written into memory first, so a list longer
// than maxExport gets a readable refusal instead of a cut-off file.
func (h *handler) export(c *gin.Context) {
	r := h.d.Req(c)
	f := customers.FilterFrom(c)
	var buf bytes.Buffer
	w, err := csvimport.NewWriter(&buf, exportHeader)
	if err != nil {
		h.d.Fail(r, apperr.Internal(err))
		return
	}
	n, cursor := 0, ""
	for {
		res, err := r.API.Customer.GetCustomersWithResponse(r.Ctx(), f.Params(exportPage, cursor))
		if err := apis.Check(res, err); err != nil {
			h.d.Fail(r, err)
			return
		}
		var page struct {
			Items      []exportItem `json:"items"`
			NextCursor string       `json:"next_cursor"`
		}
		if err := json.Unmarshal(res.Body, &page); err != nil {
			h.d.Fail(r, apperr.Internal(fmt.Errorf("the customer list answered what is not a page: %w", err)))
			return
		}
		if limit := int(maxExport.Load()); n+len(page.Items) > limit {
			h.d.View.Message(c, r.User, http.StatusUnprocessableEntity, "importer.export.too_many.title",
				r.X.T("importer.export.too_many.detail", "Max", r.X.Num(limit)))
			return
		}
		for _, it := range page.Items {
			if err := w.Row(it.cells()); err != nil {
				h.d.Fail(r, apperr.Internal(err))
				return
			}
		}
		n += len(page.Items)
		if page.NextCursor == "" || len(page.Items) == 0 {
			break
		}
		cursor = page.NextCursor
	}
	if err := w.Flush(); err != nil {
		h.d.Fail(r, apperr.Internal(err))
		return
	}
	name := "customers-" + r.X.Now().In(r.X.TZ).Format("2006-01-02") + ".csv"
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}
