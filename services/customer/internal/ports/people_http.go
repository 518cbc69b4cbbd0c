package ports

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/services/customer/internal/app"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// The people directory (domain/people.go): colleagues' names, teams and
// roles for anyone signed in.

func (h *HTTP) peopleRoutes(v1 *gin.RouterGroup) {
	v1.GET("/people", h.listPeople)
	v1.GET("/people/:userId", h.getPerson)
}

func (h *HTTP) getPerson(c *gin.Context) {
	v, err := h.app.GetPerson(c.Request.Context(), c.Param("userId"))
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (h *HTTP) listPeople(c *gin.Context) {
	limit, err := httpx.ParseLimit(c.Query("limit"))
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	withDisabled, err := parseBool(c, "include_disabled")
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	page, err := h.app.ListPeople(c.Request.Context(), domain.PeopleQuery{Team: c.Query("team"), Role: c.Query("role"),
		IncludeDisabled: withDisabled, After: c.Query("cursor"), Limit: limit})
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, page)
}

// peopleDoc says who may read the people directory and why, on both operations.
const peopleDoc = "Any verified token may read the people directory, whatever role it grants (rep, manager, analyst or admin; a token that grants none is refused 401 like everywhere): a person's id, name, teams, roles and whether the account is enabled are what an organisation chart shows everyone in the company, and colleagues need them to address work to a person or a department (an information routing slip goes to a named person, or to a department whose manager passes it on). " +
	"Nothing else is shown: no email address or other personal data (the directory holds none), no sign-in times, no who disabled whom — the user directory (/v1/users, admins and managers) keeps those. " +
	"People are in the directory from their first verified request, or when an admin registers them; their tokens keep name, roles and teams current."

func peopleOps() []openapi.Op {
	return []openapi.Op{
		{Method: "GET", Path: "/v1/people/:userId", Tag: "people", Summary: "Look up a colleague: name, teams, roles, enabled",
			Description: "One person by id (the token subject), enabled or not: a person who left is answered with enabled=false. An id the directory does not know answers 404 person_not_found. " + peopleDoc,
			Params:      []openapi.Param{userParam}, Response: app.PersonView{}, Errors: []int{404}},
		{Method: "GET", Path: "/v1/people", Tag: "people", Summary: "The people of one team (optionally of one role)",
			Description: "The people whose teams include team (that exact name), holding role when given, enabled only unless include_disabled=true; ordered by id, paged with limit and cursor like /v1/users (a page may hold fewer than limit people while next_cursor says more follow). A team nobody is in answers an empty list. team is required (422 validation_failed without it); a role other than the four answers 400 invalid_query. " + peopleDoc,
			Params: []openapi.Param{{Name: "team", In: "query", Required: true, Description: "the team whose people to list"},
				{Name: "role", In: "query", Enum: []string{"rep", "manager", "analyst", "admin"}, Description: "only people holding this role (a department's manager: role=manager)"},
				{Name: "include_disabled", In: "query", Type: "boolean", Description: "list disabled people too (enabled=false); default false"},
				limitParam, cursorParam},
			Response: app.Page[app.PersonView]{}, Errors: []int{400, 422}},
	}
}
