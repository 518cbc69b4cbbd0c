package service

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/platform/openapi"
)

// contractChecks refuses, with 400, what the service's OpenAPI document
// declares malformed before any handler runs, the same way in every service
// (docs/architecture.md: 400 is invalid input, 422 a broken business rule):
//
//   - an Idempotency-Key header that is not 1 to 200 printable ASCII characters
//     (400 invalid_idempotency_key);
//   - a query parameter whose value is not one of the document's enum for it,
//     such as GET /v1/leads?state=bogus (400 invalid_query, details.fields names
//     each parameter and its allowed values). An empty value counts as absent.
func contractChecks(doc []byte) (gin.HandlerFunc, error) {
	enums, err := queryEnums(doc)
	if err != nil {
		return nil, err
	}
	return func(c *gin.Context) {
		if k := c.GetHeader(idem.Header); k != "" {
			if err := idem.ValidateKey(k); err != nil {
				httpx.WriteError(c, err)
				c.Abort()
				return
			}
		}
		params := enums[c.Request.Method+" "+openapi.OpenAPIPath(c.FullPath())]
		if len(params) == 0 {
			return
		}
		q := c.Request.URL.Query()
		var fields []apperr.FieldError
		for _, name := range sortedKeys(params) {
			allowed := params[name]
			for _, v := range q[name] {
				if v != "" && !slices.Contains(allowed, v) {
					fields = append(fields, apperr.FieldError{Field: name, Code: "invalid",
						Message: fmt.Sprintf("%q is not one of %s", v, strings.Join(allowed, ", "))})
					break
				}
			}
		}
		if len(fields) > 0 {
			e := apperr.Invalid("invalid_query", "a query parameter has a value it does not take: "+fields[0].Message)
			e.Fields = fields
			httpx.WriteError(c, e)
			c.Abort()
		}
	}, nil
}

// queryEnums returns, per "METHOD /openapi/path", the query parameters the
// document constrains to an enum, with their allowed values.
func queryEnums(doc []byte) (map[string]map[string][]string, error) {
	out := map[string]map[string][]string{}
	if len(doc) == 0 {
		return out, nil
	}
	var d struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name   string `json:"name"`
				In     string `json:"in"`
				Schema struct {
					Enum []string `json:"enum"`
				} `json:"schema"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	for path, ops := range d.Paths {
		for method, op := range ops {
			for _, p := range op.Parameters {
				if p.In != "query" || len(p.Schema.Enum) == 0 {
					continue
				}
				key := strings.ToUpper(method) + " " + path
				if out[key] == nil {
					out[key] = map[string][]string{}
				}
				out[key][p.Name] = p.Schema.Enum
			}
		}
	}
	return out, nil
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
