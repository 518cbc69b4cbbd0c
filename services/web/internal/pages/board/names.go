package board

import (
	"strings"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// names are the display names of the directory's users the user may read
// (a manager: their teams'), by id. Names only decorate ids.
func (h *handler) names(r *console.Request) map[string]string {
	return console.Names(h.d.Users(r))
}

// CustomerName is the name of the customer id, or the words of a link to
// it when the name is not known (a customer outside the user's scope, or a
// customer service that did not answer).
func (b *boardData) CustomerName(id string) string {
	if n := b.Customers[id]; n != "" {
		return n
	}
	return b.T("board.open_customer")
}

// customerNames reads the names of the rows' customers in one call. Names
// only decorate the links: a failure is logged and the links stay.
func (h *handler) customerNames(r *console.Request, rows []Row) map[string]string {
	var ids []string
	seen := map[string]bool{}
	for _, row := range rows {
		if row.Customer != "" && !seen[row.Customer] {
			seen[row.Customer] = true
			ids = append(ids, row.Customer)
		}
	}
	out := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return out
	}
	joined, limit := strings.Join(ids, ","), len(ids)
	res, err := r.API.Customer.GetCustomersWithResponse(r.Ctx(), &customerapi.GetCustomersParams{Ids: &joined, Limit: &limit})
	if err := apis.Check(res, err); err != nil || res.JSON200 == nil || res.JSON200.Items == nil {
		h.d.Log.WarnContext(r.C, "board: the customers' names did not load; showing links", "error", err)
		return out
	}
	for _, c := range *res.JSON200.Items {
		out[view.Str(c.Id)] = view.Str(c.Name)
	}
	return out
}
