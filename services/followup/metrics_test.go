package followup_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestGaugesCountOpenAndOverdue: /metrics reports the open and overdue
// follow-ups per kind, read from the follow-up service's own rows.
func TestGaugesCountOpenAndOverdue(t *testing.T) {
	s := newStack(t, backends[1].DSN(t), stackOpts{})
	gdb := s.app.Deps().DB
	now := time.Now().UTC()
	for i, due := range []time.Time{now.Add(-time.Hour), now.Add(-2 * time.Hour), now.Add(time.Hour)} {
		id := uuid.NewString()
		if err := gdb.Exec(`INSERT INTO follow_ups (id, kind, customer_id, owner_id, team, territory, title, state, anchor_at, due_at, workflow_id, opened_by, created_at, updated_at)
			VALUES (?, 'callback', 'c1', 'rep-ana', 'north', 'north', ?, 'open', ?, ?, ?, 'rep-ana', ?, ?)`,
			id, "t", now.Add(-3*time.Hour), due, "followup:"+id, now, now).Error; err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
	}
	body := scrape(t, s)
	for _, want := range []string{`closeloop_followups_open{kind="callback"`, `closeloop_followups_overdue{kind="callback"`} {
		line := metricLine(body, want)
		if line == "" {
			t.Fatalf("/metrics has no %s…: %s", want, body)
		}
		wantN := " 3"
		if strings.Contains(want, "overdue") {
			wantN = " 2"
		}
		if !strings.HasSuffix(line, wantN) {
			t.Errorf("%s: want%s", line, wantN)
		}
	}
}

// scrape reads the follow-up service's /metrics (its metrics listener).
func scrape(t *testing.T, s *stack) string {
	t.Helper()
	resp, err := http.Get("http://" + s.app.MetricsAddr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// metricLine is the last line of body that starts with prefix; "" if none.
func metricLine(body, prefix string) string {
	line := ""
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			line = l
		}
	}
	return line
}

// metricValue is the value of metricLine's line, or -1 when there is none.
func metricValue(t *testing.T, body, prefix string) float64 {
	t.Helper()
	line := metricLine(body, prefix)
	if line == "" {
		return -1
	}
	v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return v
}
