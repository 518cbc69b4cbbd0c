package app

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/customer/internal/actions/domain"
	windomain "github.com/closeloop/closeloop/services/customer/internal/winback/domain"
)

type heardEvents []windomain.Event

func (h *heardEvents) Responded(_ context.Context, e windomain.Event) { *h = append(*h, e) }

// TestHeard: a stored action is heard once per customer it names, as who
// stored it and when it was stored; the win-back's rules decide the rest.
func TestHeard(t *testing.T) {
	at := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	a := domain.Action{ID: "act-1", Kind: domain.KindLog, Category: "phone_call", ActorID: "rep-ana", UpdatedAt: at, Links: []domain.Link{
		{SubjectType: domain.SubjectCustomer, SubjectID: "c1", CustomerID: "c1"},
		{SubjectType: domain.SubjectContact, SubjectID: "k1", CustomerID: "c1"},
		{SubjectType: domain.SubjectCustomer, SubjectID: "c2", CustomerID: "c2"},
	}}
	var h heardEvents
	s := &Service{}
	s.heard(context.Background(), a, "mgr-mia") // no win-back: nothing to tell
	s.UseWinBack(&h)
	s.heard(context.Background(), a, "mgr-mia")
	want := heardEvents{
		{Source: "action", CustomerID: "c1", Ref: "act-1", Category: "phone_call", Kind: "log", By: "mgr-mia", At: at},
		{Source: "action", CustomerID: "c2", Ref: "act-1", Category: "phone_call", Kind: "log", By: "mgr-mia", At: at},
	}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("heard %+v", h)
	}
}
