package view

import (
	"errors"
	"net/http"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
)

// Problem is an error as a page shows it: a readable message (in the user's
// language where the catalogue knows the code, else the service's words),
// and the message of each offending field, shown next to the field.
type Problem struct {
	Status  int
	Code    string
	Message string
	Fields  map[string]string
	// Meta are the error's details (e.g. the id of an existing duplicate).
	Meta map[string]any
}

// Field returns the message for one field ("" when it is fine).
func (p *Problem) Field(name string) string {
	if p == nil {
		return ""
	}
	return p.Fields[name]
}

// ProblemOf turns an error into what the user reads. Messages come from the
// catalogue as "error.<code>" when it has one, else from the service; an
// internal error says only that something went wrong.
func (x *Ctx) ProblemOf(err error) *Problem {
	if err == nil {
		return nil
	}
	var e *apperr.Error
	if !errors.As(err, &e) {
		return &Problem{Status: http.StatusInternalServerError, Code: "internal", Message: x.T("error.internal")}
	}
	p := &Problem{Status: httpx.Status(e.Kind), Code: e.Code, Message: e.Message, Meta: e.Meta}
	if e.Kind == apperr.KindInternal {
		p.Message = x.T("error.internal")
	} else if m := x.T("error." + e.Code); m != "error."+e.Code {
		p.Message = m
	}
	if len(e.Fields) > 0 {
		p.Fields = make(map[string]string, len(e.Fields))
		for _, f := range e.Fields {
			msg := f.Message
			if m := x.T("field." + f.Code); m != "field."+f.Code {
				msg = m
			}
			p.Fields[f.Field] = msg
		}
	}
	return p
}
