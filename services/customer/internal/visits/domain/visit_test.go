package domain

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/workflows/visit"
)

// entries are the events as id kind recipient: summary.
func entries(evs []Event) []string {
	var out []string
	for _, e := range evs {
		s := e.ID + " " + e.Kind
		if e.Recipient != "" {
			s += " " + e.Recipient
		}
		out = append(out, s+": "+e.Summary)
	}
	return out
}

var at = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

func TestBook(t *testing.T) {
	b := Booking{VisitID: "v1", WorkflowID: "Visit:c1:2026-03-02", RequestID: "r0", CustomerID: "c1", Day: "2026-03-02",
		StartAt: at.Add(time.Hour), EndAt: at.Add(2 * time.Hour), BookedBy: "rep-ana", Team: "north", Department: visit.DeptSales,
		Purpose: "renewal", At: at}
	v, p := Book(b)
	if v.Status != visit.StatusBooked || v.ID != "v1" || v.WorkflowID != b.WorkflowID || v.CreatedAt != at || v.UpdatedAt != at || v.Purpose != "renewal" {
		t.Fatalf("visit %+v", v)
	}
	if p != (Participant{VisitID: "v1", RequestID: "r0", UserID: "rep-ana", Department: visit.DeptSales, Purpose: "renewal", Role: RoleBooker, JoinedAt: at}) {
		t.Fatalf("booker %+v", p)
	}
	if got := entries(v.NewEvents); !slices.Equal(got, []string{"v1:booked booked: rep-ana of sales booked the visit: renewal"}) {
		t.Fatalf("%q", got)
	}
	if v.NewEvents[0].Data != "{}" {
		t.Fatalf("data %q", v.NewEvents[0].Data)
	}

	// An override is on the timeline; a long purpose is cut.
	b.NonWorkingDayBy, b.Purpose = "mgr-mo", strings.Repeat("p", MaxPurpose+1)
	v, p = Book(b)
	if len(v.Purpose) != MaxPurpose || len(p.Purpose) != MaxPurpose || len(v.NewEvents) != 2 {
		t.Fatalf("%d %d %d", len(v.Purpose), len(p.Purpose), len(v.NewEvents))
	}
	nw := v.NewEvents[1]
	if nw.ID != "v1:non-working-day" || nw.Kind != "non_working_day" || nw.Actor != "mgr-mo" ||
		nw.Summary != "2026-03-02 is not a working day in the customer's calendar; mgr-mo allowed the visit" ||
		nw.Data != `{"allowed_by":"mgr-mo","day":"2026-03-02"}` {
		t.Fatalf("%+v", nw)
	}
	if n := len([]rune(v.NewEvents[0].Summary)); n != MaxSummary {
		t.Fatalf("booked summary %d characters", n)
	}
}

func TestJoin(t *testing.T) {
	p, e := Join(Joining{VisitID: "v1", RequestID: "r2", UserID: "svc-sam", Department: visit.DeptService, Purpose: "check the line", Notify: "rep-ana", At: at})
	if p.Role != RoleJoined || p.UserID != "svc-sam" || p.RequestID != "r2" || p.JoinedAt != at {
		t.Fatalf("%+v", p)
	}
	if e.ID != "v1:joined:r2" || e.Kind != "joined" || e.Recipient != "rep-ana" || e.Summary != "svc-sam of service joins: check the line" ||
		e.Data != `{"department":"service","purpose":"check the line","user_id":"svc-sam"}` {
		t.Fatalf("%+v", e)
	}
}

func TestCancel(t *testing.T) {
	for name, c := range map[string]struct {
		c    Cancellation
		want []string
	}{
		"cancelled": {Cancellation{Actor: "rep-ana", Reason: "closed", Notify: []string{"svc-sam", "mkt-mo"}, At: at}, []string{
			"v1:cancelled cancelled: rep-ana cancelled the visit: closed",
			"v1:cancelled:svc-sam cancel_notice svc-sam: the visit you join was cancelled by rep-ana: closed",
			"v1:cancelled:mkt-mo cancel_notice mkt-mo: the visit you join was cancelled by rep-ana: closed"}},
		"moved": {Cancellation{Actor: "mgr-mo", Reason: "asked", MovedTo: "2026-03-09", At: at}, []string{
			"v1:cancelled cancelled: mgr-mo moved to 2026-03-09 the visit: asked"}},
	} {
		t.Run(name, func(t *testing.T) {
			v := Visit{ID: "v1", Status: visit.StatusBooked}
			if err := v.Cancel(c.c); err != nil {
				t.Fatal(err)
			}
			if v.Status != visit.StatusCancelled || *v.CancelledBy != c.c.Actor || !v.CancelledAt.Equal(at) || v.CancelReason != c.c.Reason ||
				v.MovedTo != c.c.MovedTo || v.UpdatedAt != at || v.ContactAt != nil {
				t.Fatalf("%+v", v)
			}
			if got := entries(v.NewEvents); !slices.Equal(got, c.want) {
				t.Fatalf("%q", got)
			}
		})
	}
	for _, status := range []string{visit.StatusCancelled, visit.StatusDone} {
		v := Visit{ID: "v1", Status: status}
		if err := v.Cancel(Cancellation{Actor: "x", At: at}); !errors.Is(err, ErrUnchanged) || v.Status != status || v.NewEvents != nil {
			t.Fatalf("%s: %v %+v", status, err, v)
		}
	}
}

func TestRecordLog(t *testing.T) {
	start := at.Add(time.Hour)
	v := Visit{ID: "v1", Status: visit.StatusBooked, StartAt: start}
	l := LogEntry{Actor: "svc-sam", Summary: "serviced the line", Outcome: strings.Repeat("o", MaxOutcome+5), NextStep: "call back", At: at.Add(3 * time.Hour)}
	if err := v.RecordLog(l); err != nil {
		t.Fatal(err)
	}
	if v.Status != visit.StatusDone || v.LogSummary != l.Summary || len(v.LogOutcome) != MaxOutcome || v.LogNextStep != "call back" ||
		*v.LoggedBy != "svc-sam" || !v.LoggedAt.Equal(l.At) || v.UpdatedAt != l.At {
		t.Fatalf("%+v", v)
	}
	// A visit is a contact at its start, not when it is logged.
	if v.ContactAt == nil || !v.ContactAt.Equal(start) {
		t.Fatalf("contact %v", v.ContactAt)
	}
	if got := entries(v.NewEvents); !slices.Equal(got, []string{"v1:logged logged: svc-sam logged the visit: serviced the line"}) {
		t.Fatalf("%q", got)
	}
	if err := v.RecordLog(l); !errors.Is(err, ErrUnchanged) {
		t.Fatalf("logged twice: %v", err)
	}
}

func TestEntry(t *testing.T) {
	e := Entry(Event{Summary: strings.Repeat("é", MaxSummary+1)})
	if n := len([]rune(e.Summary)); n != MaxSummary || e.Data != "{}" {
		t.Fatalf("%d %q", n, e.Data)
	}
	if e := Entry(Event{Summary: "s", Data: `{"a":"b"}`}); e.Summary != "s" || e.Data != `{"a":"b"}` {
		t.Fatalf("%+v", e)
	}
	if Clip("abc", 2) != "ab" || Clip("ab", 2) != "ab" {
		t.Fatal("clip")
	}
}
