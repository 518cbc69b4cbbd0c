package importer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/csvimport"
)

// Answer is the customer service's answer for one row.
type Answer struct {
	Outcome    string // new, duplicate or invalid
	CustomerID string // new: created (not on a dry run); duplicate: the existing customer when visible
	// DupOf is, for a duplicate of an earlier row of the same call, that
	// row's position in the rows sent (-1 otherwise).
	DupOf      int
	MatchedOn  string
	OwningTeam string
	Errors     []customerapi.FieldError
}

// importBody is the import endpoint's request. csvimport.Customer marshals
// as its rows, amounts as float64 as the service reads them.
type importBody struct {
	DryRun bool                  `json:"dry_run"`
	Rows   []*csvimport.Customer `json:"rows"`
}

// chunks is how many blocks of size n rows make.
func chunks(n, size int) int { return (n + size - 1) / size }

// chunkKey is the idempotency key of block i of a confirm post whose form
// key is idem and whose chosen rows are rows (their Excel numbers): the
// same form posted again with the same rows sends the same keys, so the
// service answers the blocks it already imported from its record instead
// of importing them again. Another choice of rows from the same preview
// (back, uncheck, import again) makes other keys, and the service's
// duplicate rule skips what the first choice created.
func chunkKey(idem string, rows []int, i int) string {
	h := sha256.New()
	for _, r := range rows {
		h.Write(strconv.AppendInt(nil, int64(r), 10))
		h.Write([]byte{','})
	}
	return fmt.Sprintf("import:%s:%s:%d", idem, base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:9]), i)
}

// errPaused says that runImport stopped at its deadline, between blocks.
var errPaused = errors.New("importer: paused at the deadline; continue with the next request")

// runImport sends rows in blocks (of dryRunRows for a dry run, of
// importRows for real), one call after the other (a real import's later
// blocks must see the customers the earlier ones created), from block from
// on; key gives block i's idempotency key (nil for none). Past deadline
// (unless zero) it starts no further block, having done at least one, and
// answers errPaused. It returns one answer per row of the blocks answered,
// the number of the first block not answered, and the error that stopped
// the rest.
func runImport(ctx context.Context, api *apis.Set, rows []*csvimport.Customer, dryRun bool, key func(int) string, from int, deadline time.Time) ([]Answer, int, error) {
	size := importRows
	if dryRun {
		size = dryRunRows
	}
	var out []Answer
	n := chunks(len(rows), size)
	for i := from; i < n; i++ {
		if i > from && !deadline.IsZero() && time.Now().After(deadline) {
			return out, i, errPaused
		}
		block := rows[i*size : min(len(rows), (i+1)*size)]
		body, err := json.Marshal(importBody{DryRun: dryRun, Rows: block})
		if err != nil {
			return out, i, err
		}
		cctx := ctx
		if key != nil {
			cctx = apis.WithIdempotencyKey(ctx, key(i))
		}
		res, err := api.Customer.PostCustomersImportWithBodyWithResponse(cctx, &customerapi.PostCustomersImportParams{}, "application/json", bytes.NewReader(body))
		if err := apis.Check(res, err); err != nil {
			return out, i, err
		}
		answers, err := answersOf(res.JSON200, len(block), i*size)
		if err != nil {
			return out, i, err
		}
		out = append(out, answers...)
	}
	return out, max(n, from), nil
}

// answersOf reads one block's answer: one entry per row sent, by index;
// offset is the block's first row among all rows.
func answersOf(res *customerapi.ImportResult, n, offset int) ([]Answer, error) {
	bad := apperr.Internal(fmt.Errorf("the import answered a block of %d rows with another number of rows", n))
	if res == nil || res.Rows == nil || len(*res.Rows) != n {
		return nil, bad
	}
	out := make([]Answer, n)
	seen := make([]bool, n)
	for _, r := range *res.Rows {
		if r.Index == nil || *r.Index < 0 || *r.Index >= n || seen[*r.Index] {
			return nil, bad
		}
		seen[*r.Index] = true
		a := Answer{Outcome: str(r.Outcome), CustomerID: str(r.CustomerId), DupOf: -1, MatchedOn: str(r.MatchedOn), OwningTeam: str(r.OwningTeam)}
		if r.DuplicateOfRow != nil {
			a.DupOf = offset + *r.DuplicateOfRow
		}
		if r.Errors != nil {
			a.Errors = *r.Errors
		}
		out[*r.Index] = a
	}
	return out, nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
