package faults_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/timestamppb"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/customer"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/workflows"
	"github.com/closeloop/closeloop/workflows/policy"
)

var nsSeq atomic.Int64

// ownNamespace registers a namespace of the test's own on the shared
// Temporal server, set up as the worker's setup does (search attributes,
// schedules), so its task queues, workflows and rollouts are the test's
// alone. It returns the server's address, the namespace and a plain client.
func ownNamespace(t *testing.T) (hostPort, ns string, tc client.Client) {
	t.Helper()
	hostPort, base := testenv.Temporal(t)
	ns = fmt.Sprintf("%s-faults-%d", base, nsSeq.Add(1))
	tc, err := client.Dial(client.Options{HostPort: hostPort, Namespace: ns, Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	cfg := workflows.Config{NamespaceRetention: 24 * time.Hour, ABCScheduleCron: "0 2 * * *", ABCScheduleTZ: "UTC", ABCPageSize: 3}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := workflows.Setup(ctx, tc, ns, cfg, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	return hostPort, ns, tc
}

// rollout is a stack whose follow-ups a policy rollout moves: the API (s),
// the follow-up service's database (fdb) and a Temporal client.
type rollout struct {
	t   *testing.T
	s   *stacktest.Stack
	fdb *gorm.DB
	tc  client.Client
}

func openDB(t *testing.T, dsn string) *gorm.DB {
	t.Helper()
	gdb, err := db.Open(context.Background(), db.Config{URL: dsn, MaxOpenConns: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s, err := gdb.DB(); err == nil {
			_ = s.Close()
		}
	})
	return gdb
}

// ladder proposes a version of the call-back escalation ladder (remind
// remind after the deadline, escalate to the managers after escalate) and
// returns its version and the id of its rollout workflow.
func (r *rollout) ladder(remind, escalate string) (int64, string) {
	r.t.Helper()
	resp := r.s.Call("POST", "/v1/policies/"+policy.CallbackEscalation+"/versions", stacktest.Analyst, map[string]any{"value": map[string]any{
		"ladder": map[string]any{"clock": "calendar", "steps": []map[string]any{
			{"after": remind, "action": "remind"}, {"after": escalate, "action": "escalate_manager"}}}}, "reason": "rollout fault test"})
	if resp.Status != http.StatusCreated {
		r.t.Fatalf("ladder: %d %s", resp.Status, resp.Body)
	}
	v := resp.JSON(r.t)
	eff, err := time.Parse(time.RFC3339Nano, v["effective_from"].(string))
	if err != nil {
		r.t.Fatal(err)
	}
	version := int64(v["version"].(float64))
	return version, wfc.PolicyRolloutWorkflowID("policy", policy.CallbackEscalation, version, eff.UnixMilli())
}

// onVersion is how many call-back follow-ups are on escalation ladder
// version v.
func (r *rollout) onVersion(v int64) int {
	r.t.Helper()
	var n int64
	if err := r.fdb.Raw(`SELECT count(*) FROM follow_ups WHERE kind = ? AND escalation_policy_version = ?`, policy.KindCallback, v).Scan(&n).Error; err != nil {
		r.t.Fatal(err)
	}
	return int(n)
}

// open opens n call-back follow-ups due in two hours, from four clients at
// once, and waits until each is stored on ladder version v. They run where
// the API starts them, hosted by the follow-up service — or, with onWorker,
// on the workflow worker's queue, started directly as a release before
// that one started every follow-up (the worker still hosts those, and the
// follow-ups Track runs inside its workflows).
func (r *rollout) open(n int, v int64, onWorker bool) []string {
	r.t.Helper()
	cust := r.s.Create(stacktest.MgrMia, stacktest.Company(map[string]any{"owner_id": stacktest.RepAna, "team": "north"}))
	dueAt := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	due := dueAt.Format(time.RFC3339)
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < n; i += 4 {
				key := fmt.Sprintf("rollout-%d-%d", time.Now().UnixNano(), i)
				if onWorker {
					ids[i] = uuid.NewString()
					_, err := r.tc.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: wfc.FollowUpWorkflowID(ids[i]), TaskQueue: wfc.TaskQueue},
						wfc.WorkflowFollowUp, &followupv1.FollowUpSpec{Id: ids[i], Kind: policy.KindCallback, CustomerId: cust, OwnerId: stacktest.RepAna,
							Team: "north", Territory: "north", Title: "call back " + key, AnchorAt: timestamppb.Now(), DueAt: timestamppb.New(dueAt),
							OpenedBy: stacktest.MgrMia})
					if err != nil {
						errs <- err.Error()
						return
					}
					continue
				}
				a := send("POST", r.s.FollowUpBase+"/v1/follow-ups", r.s.Tokens[stacktest.MgrMia], map[string]any{"kind": policy.KindCallback,
					"customer_id": cust, "title": "call back " + key, "due_at": due}, idem.Header, key)
				if a.Status != http.StatusCreated && a.Status != http.StatusAccepted {
					errs <- a.String()
					return
				}
				ids[i] = a.JSON(r.t)["id"].(string)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		r.t.Fatalf("open a follow-up: %s", e)
	}
	opened := time.Now()
	for r.onVersion(v) != n {
		if time.Since(opened) > 2*time.Minute {
			r.t.Fatalf("%d of %d follow-ups stored on ladder v%d two minutes after they were opened; %s", r.onVersion(v), n, v, r.whereAre(ids))
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.t.Logf("%d follow-ups opened and stored in %v", n, time.Since(opened).Round(time.Millisecond))
	return ids
}

// whereAre says where follow-ups that are not stored as expected stand: how
// many records there are on each ladder version, and what the workflows of
// the first few without a record are doing.
func (r *rollout) whereAre(ids []string) string {
	r.t.Helper()
	type row struct {
		ID                      string
		EscalationPolicyVersion int64
	}
	var rows []row
	if err := r.fdb.Raw(`SELECT id, escalation_policy_version FROM follow_ups WHERE kind = ?`, policy.KindCallback).Scan(&rows).Error; err != nil {
		return err.Error()
	}
	stored, versions := map[string]bool{}, map[int64]int{}
	for _, f := range rows {
		stored[f.ID] = true
		versions[f.EscalationPolicyVersion]++
	}
	out := fmt.Sprintf("records per ladder version: %v", versions)
	shown := 0
	for _, id := range ids {
		if stored[id] || shown == 3 {
			continue
		}
		shown++
		d, err := r.tc.DescribeWorkflowExecution(context.Background(), wfc.FollowUpWorkflowID(id), "")
		if err != nil {
			out += fmt.Sprintf("; %s: %v", id, err)
			continue
		}
		out += fmt.Sprintf("; %s: %s, %d history events, pending workflow task %v", id, d.GetWorkflowExecutionInfo().GetStatus(),
			d.GetWorkflowExecutionInfo().GetHistoryLength(), d.GetPendingWorkflowTask().GetState())
		for _, a := range d.GetPendingActivities() {
			out += fmt.Sprintf(", activity %s attempt %d: %s", a.GetActivityType().GetName(), a.GetAttempt(), a.GetLastFailure().GetMessage())
		}
	}
	return out
}

// check waits for the rollout workflow to end (its second sweep comes a
// minute after the first) and checks that every follow-up is on version v,
// recorded the change of deadline exactly once, and took no other step.
func (r *rollout) check(ids []string, v int64, rolloutID string) *followupv1.RolloutResult {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var res followupv1.RolloutResult
	if err := r.tc.GetWorkflow(ctx, rolloutID, "").Get(ctx, &res); err != nil {
		r.t.Fatalf("rollout %s: %v", rolloutID, err)
	}
	time.Sleep(3 * time.Second) // anything repeated would show up now
	type row struct {
		ID, State               string
		EscalationPolicyVersion int64
		EscalationLevel         int
	}
	var rows []row
	if err := r.fdb.Raw(`SELECT id, state, escalation_policy_version, escalation_level FROM follow_ups WHERE kind = ?`, policy.KindCallback).Scan(&rows).Error; err != nil {
		r.t.Fatal(err)
	}
	if len(rows) != len(ids) {
		r.t.Fatalf("%d call-back follow-ups, want %d", len(rows), len(ids))
	}
	type ev struct {
		FollowUpID, Action string
		N                  int
	}
	var evs []ev
	if err := r.fdb.Raw(`SELECT follow_up_id, action, count(*) AS n FROM follow_up_events GROUP BY follow_up_id, action`).Scan(&evs).Error; err != nil {
		r.t.Fatal(err)
	}
	history := map[string]map[string]int{}
	for _, e := range evs {
		if history[e.FollowUpID] == nil {
			history[e.FollowUpID] = map[string]int{}
		}
		history[e.FollowUpID][e.Action] = e.N
	}
	bad := 0
	for _, f := range rows {
		h := history[f.ID]
		if f.EscalationPolicyVersion != v || f.State != "open" || f.EscalationLevel != 0 || len(h) != 2 || h["opened"] != 1 || h["deadline_changed"] != 1 {
			bad++
			if bad <= 5 {
				r.t.Errorf("follow-up %s: %s at level %d on ladder v%d, history %v; want open, level 0, v%d, opened and deadline_changed once each",
					f.ID, f.State, f.EscalationLevel, f.EscalationPolicyVersion, h, v)
			}
		}
	}
	if bad > 0 {
		r.t.Fatalf("%d of %d follow-ups not moved onto v%d exactly once", bad, len(rows), v)
	}
	// The workflows follow the records: each one's own state is on v too.
	for _, id := range ids {
		q, err := r.tc.QueryWorkflow(ctx, wfc.FollowUpWorkflowID(id), "", wfc.QueryFollowUpState)
		if err != nil {
			r.t.Fatalf("state of %s: %v", id, err)
		}
		var st followupv1.FollowUpState
		if err := q.Get(&st); err != nil {
			r.t.Fatal(err)
		}
		if st.GetEscalationPolicyVersion() != v || st.GetLevel() != 0 {
			r.t.Errorf("workflow of %s on ladder v%d at level %d, want v%d at level 0", id, st.GetEscalationPolicyVersion(), st.GetLevel(), v)
		}
	}
	return &res
}

// unfollowed is how many of the follow-ups' workflows have been sent a
// policy change they have not yet taken in (no workflow task completed
// after the signal): with the worker down, the rollout's work left to do.
func (r *rollout) unfollowed(ids []string) int {
	r.t.Helper()
	n := 0
	for _, id := range ids {
		it := r.tc.GetWorkflowHistory(context.Background(), wfc.FollowUpWorkflowID(id), "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		signalled, followed := false, false
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				r.t.Fatal(err)
			}
			switch ev.GetEventType() {
			case enums.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
				signalled, followed = true, false
			case enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
				followed = signalled
			}
		}
		if !followed {
			n++
		}
	}
	return n
}

// TestWorkerKilledMidRollout kills the workflow worker with SIGKILL in the
// middle of a policy rollout: sixty call-back follow-ups the worker hosts
// are open (started on its queue, as a release before the follow-up
// service hosted new ones started them: the worker keeps those, and every
// follow-up Track runs inside its workflows), an analyst changes their
// escalation ladder, and the worker (a child process,
// two workflow tasks at a time so the rollout takes a moment) is killed as
// soon as the rollout has stored the re-computed deadlines — the records move
// first, then the signals tell the workflows — and started again three
// seconds later. Every follow-up ends on the new version, having recorded
// the change of its deadline exactly once (and nothing else), its workflow
// on the new version too, and the rollout workflow completes both sweeps.
// About a minute and a half (the rollout's second sweep comes a minute
// after the first). PostgreSQL.
func TestWorkerKilledMidRollout(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about a minute and a half")
	}
	hostPort, ns, tc := ownNamespace(t)
	fdsn := testenv.Postgres(t)
	s := stacktest.New(t, testenv.Postgres(t), stacktest.Opts{Temporal: hostPort, Namespace: ns, FollowUpDSN: fdsn})
	worker := newProc(t, "worker", map[string]string{"TEMPORAL_ADDRESS": hostPort, "TEMPORAL_NAMESPACE": ns, "SETUP_ON_START": "false",
		"TEMPORAL_MAX_CONCURRENT_WORKFLOW_TASKS": "2"})
	worker.Start("")
	r := &rollout{t: t, s: s, fdb: openDB(t, fdsn), tc: tc}
	const n = 60
	base, _ := r.ladder("30m", "1d")
	ids := r.open(n, base, true)

	// The reminder comes sooner too: every workflow's next action moves
	// sooner, so the rollout must signal each (one whose next action stood
	// or moved later would take the change when its timer fires:
	// domain.NeedsNoWake).
	v, rolloutID := r.ladder("0m", "2d")
	started := time.Now()
	for r.onVersion(v) == 0 { // a fast poll: the rollout takes a moment only
		if time.Since(started) > time.Minute {
			t.Fatal("no follow-up moved to the new version within a minute")
		}
		time.Sleep(5 * time.Millisecond)
	}
	worker.Kill()
	killedAfter := time.Since(started)
	time.Sleep(3 * time.Second) // signals sent meanwhile wait for the worker
	left := r.unfollowed(ids)
	if left == 0 {
		t.Fatalf("every workflow had taken the change in before the worker was killed, %v after it: nothing was tested", killedAfter)
	}
	worker.Start("")
	res := r.check(ids, v, rolloutID)
	t.Logf("killed %v after the change with %d of %d workflows yet to take it in; rollout: %d signalled in %d sweeps",
		killedAfter.Round(time.Millisecond), left, n, res.GetSignalled(), res.GetSweeps())
}

// TestFollowUpServiceKilledMidRollout kills the follow-up service — where
// the rollout's activities run, and which hosts the follow-ups the API
// opened — with SIGKILL in the middle of a policy
// rollout, right after its page stored the re-computed deadlines and before
// it signalled any workflow (fault point followup.after-rollout-store), and
// starts it again: Temporal retries the page once its heartbeat has timed
// out (a minute), the retry finds them stored with the wake-ups their
// workflows are owed (stored in the same transaction; before the two
// phases, the retry signalled the follow-ups already on the new version
// as well), the wake pages signal them, and every follow-up ends on the new version having
// recorded the change exactly once, its workflow on it too. About two and a
// half minutes. PostgreSQL.
func TestFollowUpServiceKilledMidRollout(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about a minute and a half")
	}
	hostPort, ns, tc := ownNamespace(t)
	iss, issuerURL := stacktest.StartIssuer(t)
	fdsn := testenv.Postgres(t)
	fu := newProc(t, "followup", map[string]string{"DATABASE_URL": fdsn, "OIDC_ISSUER_URL": issuerURL, "TEMPORAL_ADDRESS": hostPort,
		"TEMPORAL_NAMESPACE": ns, "NOTIFY_DISPATCH": "false"})
	c := servicetest.Start(t, customer.Spec(), map[string]string{"DATABASE_URL": testenv.Postgres(t), "OIDC_ISSUER_URL": issuerURL,
		"TEMPORAL_ADDRESS": hostPort, "TEMPORAL_NAMESPACE": ns, "FOLLOWUP_API_URL": fu.Base, "LOG_LEVEL": "warn", "SHUTDOWN_TIMEOUT": "5s"},
		service.Options{})
	fu.env["CUSTOMER_API_URL"] = c.Base
	fu.Start(AfterRolloutStore)
	stacktest.StartWorker(t, hostPort, ns, nil)
	s := &stacktest.Stack{T: t, Base: c.Base, FollowUpBase: fu.Base, App: c.App, Tokens: tokens(t, iss), Issuer: iss}
	for user := range s.Tokens {
		if resp := s.Call("GET", "/v1/abc/settings", user, nil); resp.Status != http.StatusOK {
			t.Fatalf("first request of %s: %d %s", user, resp.Status, resp.Body)
		}
	}
	r := &rollout{t: t, s: s, fdb: openDB(t, fdsn), tc: tc}
	const n = 20
	base, _ := r.ladder("30m", "1d")
	ids := r.open(n, base, false)

	// The reminder comes sooner too: every workflow's next action moves
	// sooner, so the rollout must signal each (one whose next action stood
	// or moved later would take the change when its timer fires:
	// domain.NeedsNoWake).
	v, rolloutID := r.ladder("0m", "2d")
	started := time.Now()
	fu.Died(time.Minute)
	atKill := r.onVersion(v)
	killedAfter := time.Since(started)
	if left := r.unfollowed(ids); left != n {
		t.Fatalf("%d of %d workflows were told of the change before the service died at %s", n-left, n, AfterRolloutStore)
	}
	fu.Start("")
	restarted := time.Now()
	res := r.check(ids, v, rolloutID)
	t.Logf("killed %v after the change with %d of %d records moved and no workflow told; all followed within %v of the restart; rollout: %d signalled in %d sweeps",
		killedAfter.Round(time.Millisecond), atKill, n, time.Since(restarted).Round(time.Millisecond), res.GetSignalled(), res.GetSweeps())
}

// AfterRolloutStore is the follow-up service's fault point once a rollout
// page has stored its re-computed deadlines, before it signals
// (services/followup/internal/app).
const AfterRolloutStore = "followup.after-rollout-store"
