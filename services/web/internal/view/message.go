package view

import (
	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/session"
)

// messageData is the data of the message page.
type messageData struct {
	*Ctx
	Detail string
	Next   string
}

// Message renders a page that only says something: a refusal, a sign-in
// problem, a page that does not exist. titleID is a catalogue message id;
// detail (already in the user's language or from a service) is shown under
// it. An htmx request gets the message as a problem banner to swap in.
func (r *Renderer) Message(c *gin.Context, user *session.Session, status int, titleID, detail string) {
	x := r.Ctx(c, user)
	x.Title = x.T(titleID)
	if x.HX && c.GetHeader("HX-Target") != "main" {
		r.messagePage().Partial(c, status, "problem", &Problem{Status: status, Message: joinNonEmpty(x.Title, detail)})
		c.Abort()
		return
	}
	next := ""
	if c.Request.Method == "GET" {
		next = c.Request.URL.RequestURI() // the template escapes it for the link's query
	}
	r.messagePage().Render(c, status, messageData{Ctx: x, Detail: detail, Next: next})
	c.Abort()
}

func (r *Renderer) messagePage() *Page {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.message == nil {
		r.message = r.Page(baseTemplates, "templates/pages/message.html")
	}
	return r.message
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " — " + b
}
