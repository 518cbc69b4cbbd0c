package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	custdomain "github.com/closeloop/closeloop/services/customer/internal/domain"
	"github.com/closeloop/closeloop/services/customer/internal/winback/domain"
)

const customer = "0190a000-0000-7000-8000-0000000000c1"

var t0 = time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)

// fakeRepo holds marks and stage by customer and counts what is asked.
type fakeRepo struct {
	marks    map[string]string
	stage    map[string]string
	markErr  error
	reads    int
	events   []domain.Event
	window   domain.Window
	changes  []domain.Change
	notFound bool
}

func (f *fakeRepo) Mark(_ context.Context, id string) (string, error) {
	f.reads++
	if f.notFound {
		return "", custdomain.ErrCustomerNotFound
	}
	return f.marks[id], f.markErr
}

func (f *fakeRepo) Exists(context.Context, string) error {
	if f.notFound {
		return custdomain.ErrCustomerNotFound
	}
	return nil
}

func (f *fakeRepo) Update(_ context.Context, id string, decide func(domain.Customer) (domain.Change, error)) error {
	if f.notFound {
		return custdomain.ErrCustomerNotFound
	}
	ch, err := decide(domain.Customer{Stage: f.stage[id], Mark: f.marks[id]})
	if err != nil {
		return err
	}
	f.changes = append(f.changes, ch)
	f.marks[id] = ch.Mark
	if ch.To != "" {
		f.stage[id] = ch.To
	}
	return nil
}

func (f *fakeRepo) Events(_ context.Context, w domain.Window) ([]domain.Event, error) {
	f.window = w
	return f.events, nil
}

// fakeSignals records the signals sent, or fails them.
type fakeSignals struct {
	sent []string
	resp []domain.Response
	err  error
}

func (f *fakeSignals) WinBackResponse(_ context.Context, customerID, campaignID string, r domain.Response) error {
	if f.err != nil {
		return f.err
	}
	f.sent = append(f.sent, customerID+"/"+campaignID)
	f.resp = append(f.resp, r)
	return nil
}

func newService(repo *fakeRepo, sig *fakeSignals) (*Service, *bytes.Buffer) {
	var logs bytes.Buffer
	return New(repo, sig, slog.New(slog.NewTextHandler(&logs, nil))), &logs
}

// TestResponded: only a response reaches a marked customer's workflow; an
// unmarked customer's response and anything that is not a response signal
// nothing (a non-response does not even read the mark); a failed signal or
// mark read is a warning, never the caller's failure.
func TestResponded(t *testing.T) {
	call := domain.Event{Source: domain.SourceAction, CustomerID: customer, Ref: "a1", Category: "phone_call", Kind: "log", By: "rep-ana", At: t0}
	plan := call
	plan.Kind = "plan"

	repo := &fakeRepo{marks: map[string]string{}}
	sig := &fakeSignals{}
	s, _ := newService(repo, sig)
	s.Responded(context.Background(), plan)
	if repo.reads != 0 || len(sig.sent) != 0 {
		t.Fatalf("a plan read %d marks and sent %v", repo.reads, sig.sent)
	}
	s.Responded(context.Background(), call)
	if repo.reads != 1 || len(sig.sent) != 0 {
		t.Fatalf("an unmarked customer: %d reads, sent %v", repo.reads, sig.sent)
	}
	repo.marks[customer] = "camp-1"
	s.Responded(context.Background(), call)
	if len(sig.sent) != 1 || sig.sent[0] != customer+"/camp-1" || sig.resp[0] != (domain.Response{Kind: "call", Ref: "a1", By: "rep-ana", At: t0}) {
		t.Fatalf("sent %v %+v", sig.sent, sig.resp)
	}

	for name, tc := range map[string]struct {
		repo *fakeRepo
		sig  *fakeSignals
		warn string
	}{
		"Temporal does not answer": {&fakeRepo{marks: map[string]string{customer: "camp-1"}}, &fakeSignals{err: errors.New("unavailable")},
			"could not signal the response"},
		"the mark cannot be read": {&fakeRepo{marks: map[string]string{}, markErr: errors.New("db down")}, &fakeSignals{},
			"could not read the customer's mark"},
	} {
		t.Run(name, func(t *testing.T) {
			s, logs := newService(tc.repo, tc.sig)
			s.Responded(context.Background(), call)
			if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), tc.warn) || len(tc.sig.sent) != 0 {
				t.Fatalf("logs %q, sent %v", logs.String(), tc.sig.sent)
			}
		})
	}
}

func TestMarkWinBack(t *testing.T) {
	repo := &fakeRepo{marks: map[string]string{customer: "camp-2"}}
	s, _ := newService(repo, &fakeSignals{})
	if err := s.MarkWinBack(context.Background(), domain.Mark{CustomerID: customer, ClearCampaignID: "camp-1"}); err != nil || repo.marks[customer] != "camp-2" {
		t.Fatalf("clearing another campaign's mark: %v %q", err, repo.marks[customer])
	}
	if err := s.MarkWinBack(context.Background(), domain.Mark{CustomerID: customer, ClearCampaignID: "camp-2"}); err != nil || repo.marks[customer] != "" {
		t.Fatalf("clearing its own: %v %q", err, repo.marks[customer])
	}
	if err := s.MarkWinBack(context.Background(), domain.Mark{CustomerID: customer}); apperr.From(err).Code != "validation_failed" || len(repo.changes) != 2 {
		t.Fatalf("a malformed request reaches storage: %v", err)
	}
}

func TestResponses(t *testing.T) {
	since := t0.Add(-time.Hour)
	repo := &fakeRepo{events: []domain.Event{
		{Source: domain.SourceStage, Ref: "s1", From: "lost", To: "prospect", By: "winback", At: t0},
		{Source: domain.SourceVisit, Ref: "v1", By: "rep-bo", At: t0.Add(time.Minute)},
	}}
	s, _ := newService(repo, &fakeSignals{})
	r, ok, err := s.Responses(context.Background(), customer, since)
	if err != nil || !ok || r.Kind != "visit" || r.Ref != "v1" || repo.window.CustomerID != customer || !repo.window.Since.Equal(since) {
		t.Fatalf("%+v %v %v, window %+v", r, ok, err, repo.window)
	}
	repo.events = nil
	if _, ok, err := s.Responses(context.Background(), customer, since); ok || err != nil {
		t.Fatalf("none: %v %v", ok, err)
	}
	if _, _, err := s.Responses(context.Background(), "c1", since); apperr.From(err).Code != "validation_failed" {
		t.Fatalf("a malformed id: %v", err)
	}
	repo.notFound = true
	if _, _, err := s.Responses(context.Background(), customer, since); !errors.Is(err, custdomain.ErrCustomerNotFound) {
		t.Fatalf("unknown: %v", err)
	}
}

func TestReturned(t *testing.T) {
	repo := &fakeRepo{marks: map[string]string{customer: "camp-1"}, stage: map[string]string{customer: "lost"}}
	s, _ := newService(repo, &fakeSignals{})
	s.now = func() time.Time { return t0 }
	r := domain.Return{CampaignID: "camp-1", CustomerID: customer, Outcome: "responded", Response: domain.Response{Kind: "visit"}}
	for range 2 {
		if err := s.Returned(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if len(repo.changes) != 2 || repo.changes[0].To != "prospect" || !repo.changes[0].At.Equal(t0) || repo.changes[0].Item == nil ||
		repo.changes[1] != (domain.Change{}) || repo.stage[customer] != "prospect" || repo.marks[customer] != "" {
		t.Fatalf("changes %+v", repo.changes)
	}
	if err := s.Returned(context.Background(), domain.Return{CustomerID: customer, CampaignID: "camp-1", Outcome: "exhausted"}); apperr.From(err).Code != "validation_failed" {
		t.Fatalf("an exhausted cadence returns nobody: %v", err)
	}
}
