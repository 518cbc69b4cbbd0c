// Package workflows hosts every Closeloop workflow in one worker on the
// "workflows" task queue. Workflows coordinate; the services own the data and
// run the activities on their own task queues, so a workflow here calls, say,
// the customer service's activities by their contract names in proto/contract.
// Two exceptions: the customer service hosts the Visit workflow of the
// customer-days it starts, and the sales service the Lead workflow of the
// leads it starts, each beside its activities (workflows/visit/host.go,
// workflows/lead/host.go); the worker keeps both registered for the runs
// started before (and a win-back's hand-over lead, its child).
//
// `worker check` runs the SystemCheck workflow: every service's worker must
// answer on its task queue with a reachable, fully migrated database.
//
// The worker binary also owns the Temporal-side setup: the namespace, the custom
// search attributes and the schedules (today: nightly ABC reclassification). It
// runs at start when SETUP_ON_START is true (the default, used by `make run`) and
// as the `worker setup` command (a Helm hook). Setup is idempotent.
package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/temporalx"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	customerv1 "github.com/closeloop/closeloop/proto/gen/closeloop/customer/v1"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/workflows/abc"
	"github.com/closeloop/closeloop/workflows/campaign"
	"github.com/closeloop/closeloop/workflows/care"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/infoslip"
	"github.com/closeloop/closeloop/workflows/lead"
	"github.com/closeloop/closeloop/workflows/loyalty"
	"github.com/closeloop/closeloop/workflows/notice"
	"github.com/closeloop/closeloop/workflows/notify"
	"github.com/closeloop/closeloop/workflows/servicecase"
	"github.com/closeloop/closeloop/workflows/systemcheck"
	"github.com/closeloop/closeloop/workflows/visit"
	"github.com/closeloop/closeloop/workflows/winback"
)

// Config is the worker's own configuration.
type Config struct {
	SetupOnStart       bool          `env:"SETUP_ON_START" default:"true" help:"register the namespace, search attributes and schedules at start"`
	NamespaceRetention time.Duration `env:"TEMPORAL_NAMESPACE_RETENTION" default:"720h" help:"workflow history retention when the worker creates the namespace"`
	ABCScheduleCron    string        `env:"ABC_SCHEDULE_CRON" default:"0 2 * * *" help:"when ABC reclassification runs (cron, in ABC_SCHEDULE_TIMEZONE); empty pauses the schedule"`
	ABCScheduleTZ      string        `env:"ABC_SCHEDULE_TIMEZONE" default:"UTC" help:"IANA time zone of ABC_SCHEDULE_CRON"`
	ABCPageSize        int32         `env:"ABC_PAGE_SIZE" default:"2000" help:"customers per page in scheduled reclassification runs"`
	PolicyReconcile    time.Duration `env:"POLICY_RECONCILE_INTERVAL" default:"15m" help:"how often a sweep brings follow-ups still on an older policy or calendar version onto the one in force; 0 pauses it"`
	CareSweep          time.Duration `env:"CARE_SWEEP_INTERVAL" default:"1h" help:"how often the care sweep opens the care-contact follow-ups falling due within twice this interval, and closes those whose customer changed class, owner or stage; 0 pauses it"`
	WinBackSweep       time.Duration `env:"WINBACK_SWEEP_INTERVAL" default:"24h" help:"how often the win-back sweep enrols customers lost for longer than winback.inactivity_period into the running win-back campaign that matches them; 0 pauses it"`
	CampaignOutcomes   time.Duration `env:"CAMPAIGN_OUTCOMES_INTERVAL" default:"1h" help:"how often the campaigns' enrolled customers' sales outcomes (leads, opportunities, wins, won back) are brought in for their evaluation; 0 pauses it"`
	LoyaltySync        time.Duration `env:"LOYALTY_SYNC_INTERVAL" default:"24h" help:"how often every customer's service standing (loyalty level, average CSAT, latest NPS) is copied again from the after-sales service to the customer service, for campaign segments: levels also change as answers age out; each answer's own change is copied at once; 0 pauses it"`
}

// Register adds every workflow to a worker.
func Register(r worker.Registry) { RegisterWorkflows(r) }

// WorkflowRegistry is what takes workflow registrations: a worker, or a
// replayer in the replay tests.
type WorkflowRegistry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// RegisterWorkflows registers every workflow under its contract name.
func RegisterWorkflows(r WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(abc.ReclassifyABC, workflow.RegisterOptions{Name: wfc.WorkflowReclassifyABC})
	r.RegisterWorkflowWithOptions(systemcheck.SystemCheck, workflow.RegisterOptions{Name: systemcheck.WorkflowName})
	r.RegisterWorkflowWithOptions(followup.FollowUp, workflow.RegisterOptions{Name: wfc.WorkflowFollowUp})
	r.RegisterWorkflowWithOptions(followup.PolicyRollout, workflow.RegisterOptions{Name: wfc.WorkflowPolicyRollout})
	r.RegisterWorkflowWithOptions(lead.Lead, workflow.RegisterOptions{Name: wfc.WorkflowLead})
	r.RegisterWorkflowWithOptions(lead.Opportunity, workflow.RegisterOptions{Name: wfc.WorkflowOpportunity})
	r.RegisterWorkflowWithOptions(visit.Visit, workflow.RegisterOptions{Name: wfc.WorkflowVisit})
	r.RegisterWorkflowWithOptions(care.Sweep, workflow.RegisterOptions{Name: wfc.WorkflowCareSweep})
	r.RegisterWorkflowWithOptions(notify.Delivery, workflow.RegisterOptions{Name: wfc.WorkflowDelivery})
	r.RegisterWorkflowWithOptions(servicecase.ServiceCase, workflow.RegisterOptions{Name: wfc.WorkflowServiceCase})
	r.RegisterWorkflowWithOptions(infoslip.InfoSlip, workflow.RegisterOptions{Name: wfc.WorkflowInfoSlip})
	r.RegisterWorkflowWithOptions(notice.Notice, workflow.RegisterOptions{Name: wfc.WorkflowNotice})
	r.RegisterWorkflowWithOptions(notice.NoticeAck, workflow.RegisterOptions{Name: wfc.WorkflowNoticeAck})
	r.RegisterWorkflowWithOptions(campaign.Launch, workflow.RegisterOptions{Name: wfc.WorkflowCampaignLaunch})
	r.RegisterWorkflowWithOptions(campaign.Sweep, workflow.RegisterOptions{Name: wfc.WorkflowWinBackSweep})
	r.RegisterWorkflowWithOptions(winback.WinBack, workflow.RegisterOptions{Name: wfc.WorkflowWinBack})
	r.RegisterWorkflowWithOptions(campaign.SegmentPreview, workflow.RegisterOptions{Name: wfc.WorkflowSegmentPreview})
	r.RegisterWorkflowWithOptions(campaign.Outcomes, workflow.RegisterOptions{Name: wfc.WorkflowCampaignOutcomes})
	r.RegisterWorkflowWithOptions(campaign.CampaignNotice, workflow.RegisterOptions{Name: wfc.WorkflowCampaignNotice})
	r.RegisterWorkflowWithOptions(loyalty.Sync, workflow.RegisterOptions{Name: wfc.WorkflowLoyaltySync})
}

// RunSystemCheck runs SystemCheck and reports each service; the error names
// every service that did not pass.
func RunSystemCheck(ctx context.Context, c client.Client, services []string) (map[string]systemcheck.Report, error) {
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       "SystemCheck:" + time.Now().UTC().Format("20060102T150405.000000000"),
		TaskQueue:                wfc.TaskQueue,
		WorkflowExecutionTimeout: time.Minute,
	}, systemcheck.WorkflowName, systemcheck.Input{Services: services})
	if err != nil {
		return nil, err
	}
	var out map[string]systemcheck.Report
	if err := run.Get(ctx, &out); err != nil {
		return nil, err
	}
	var failed []string
	for name, r := range out {
		if !r.OK {
			failed = append(failed, name+": "+r.Error)
		}
	}
	if len(failed) > 0 {
		sort.Strings(failed)
		return out, fmt.Errorf("system check failed: %s", strings.Join(failed, "; "))
	}
	return out, nil
}

// Spec describes the worker binary.
func Spec() service.Spec {
	cfg := &Config{}
	return service.Spec{
		Name:            "worker",
		DefaultHTTPAddr: ":8085",
		TaskQueue:       wfc.TaskQueue,
		NoDatabase:      true,
		NoAPI:           true,
		Extra:           cfg,
		Setup: func(ctx context.Context, d *service.Deps) (*service.Module, error) {
			// The workflow cache (TEMPORAL_WORKFLOW_CACHE_SIZE), pollers and
			// slots of both queues' workers are service.WorkerConfig's.
			// Every workflow on both queues: the paging workflows are started
			// on the bulk one (wfc.BulkTaskQueue), their pages unqueued behind
			// the per-customer work they start.
			m := &service.Module{Register: Register, Queues: map[string]func(worker.Registry){wfc.BulkTaskQueue: Register}}
			if cfg.SetupOnStart {
				m.Background = append(m.Background, func(ctx context.Context) error {
					return retry(ctx, d.Log, "temporal setup", func() error { return Setup(ctx, d.Temporal, d.Config.Temporal.Namespace, *cfg, d.Log) })
				})
			}
			return m, nil
		},
		Commands: map[string]func(context.Context, service.Config) error{
			"check": func(ctx context.Context, sc service.Config) error {
				c, err := temporalx.Dial(ctx, sc.Temporal, temporalx.Options{Logger: slog.Default(), Identity: "worker-check"})
				if err != nil {
					return err
				}
				defer c.Close()
				ctx, cancel := context.WithTimeout(ctx, time.Minute)
				defer cancel()
				out, err := RunSystemCheck(ctx, c, nil)
				raw, _ := json.MarshalIndent(out, "", "  ")
				fmt.Println(string(raw))
				return err
			},
			"setup": func(ctx context.Context, sc service.Config) error {
				log := slog.Default()
				c, err := temporalx.Dial(ctx, sc.Temporal, temporalx.Options{Logger: log, Identity: "worker-setup"})
				if err != nil {
					return err
				}
				defer c.Close()
				return Setup(ctx, c, sc.Temporal.Namespace, *cfg, log)
			},
		},
	}
}

// Setup makes sure the namespace, search attributes and schedules exist and
// match the configuration.
func Setup(ctx context.Context, c client.Client, namespace string, cfg Config, log *slog.Logger) error {
	if err := temporalx.EnsureNamespace(ctx, c, namespace, cfg.NamespaceRetention); err != nil {
		return fmt.Errorf("namespace: %w", err)
	}
	attrs := map[string]enums.IndexedValueType{}
	for name := range wfc.SearchAttributes() {
		attrs[name] = enums.INDEXED_VALUE_TYPE_KEYWORD
	}
	if err := temporalx.EnsureSearchAttributes(ctx, c, namespace, attrs); err != nil {
		return fmt.Errorf("search attributes: %w", err)
	}
	if err := ensureSchedule(ctx, c, ABCSchedule(cfg)); err != nil {
		return fmt.Errorf("ABC schedule: %w", err)
	}
	if err := ensureSchedule(ctx, c, PolicyReconcileSchedule(cfg)); err != nil {
		return fmt.Errorf("policy reconciliation schedule: %w", err)
	}
	if err := ensureSchedule(ctx, c, CareSweepSchedule(cfg)); err != nil {
		return fmt.Errorf("care sweep schedule: %w", err)
	}
	if err := ensureSchedule(ctx, c, WinBackSweepSchedule(cfg)); err != nil {
		return fmt.Errorf("win-back sweep schedule: %w", err)
	}
	if err := ensureSchedule(ctx, c, CampaignOutcomesSchedule(cfg)); err != nil {
		return fmt.Errorf("campaign outcomes schedule: %w", err)
	}
	if err := ensureSchedule(ctx, c, LoyaltySyncSchedule(cfg)); err != nil {
		return fmt.Errorf("loyalty sync schedule: %w", err)
	}
	log.Info("temporal setup complete", "namespace", namespace, "abc_cron", cfg.ABCScheduleCron, "abc_timezone", cfg.ABCScheduleTZ,
		"policy_reconcile_interval", cfg.PolicyReconcile.String(), "care_sweep_interval", cfg.CareSweep.String(), "winback_sweep_interval", cfg.WinBackSweep.String(),
		"campaign_outcomes_interval", cfg.CampaignOutcomes.String(), "loyalty_sync_interval", cfg.LoyaltySync.String())
	return nil
}

// ABCSchedule returns the desired schedule definition.
func ABCSchedule(cfg Config) client.ScheduleOptions {
	spec := client.ScheduleSpec{TimeZoneName: cfg.ABCScheduleTZ}
	if cfg.ABCScheduleCron != "" {
		spec.CronExpressions = []string{cfg.ABCScheduleCron}
	}
	return client.ScheduleOptions{
		ID:      wfc.ScheduleReclassifyABC,
		Spec:    spec,
		Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP,
		Paused:  cfg.ABCScheduleCron == "",
		Note:    "Nightly ABC reclassification of every customer (managed by the Closeloop worker; change ABC_SCHEDULE_CRON, not this schedule)",
		Action: &client.ScheduleWorkflowAction{
			ID:                       wfc.ReclassifyABCWorkflowID("scheduled"),
			Workflow:                 wfc.WorkflowReclassifyABC,
			TaskQueue:                wfc.TaskQueue,
			Args:                     []any{&customerv1.ReclassifyABCInput{PageSize: cfg.ABCPageSize, Reason: "scheduled"}},
			WorkflowExecutionTimeout: time.Hour,
			TypedSearchAttributes:    temporal.NewSearchAttributes(temporal.NewSearchAttributeKeyKeyword(wfc.SAKind.String()).ValueSet("abc-reclassification")),
		},
	}
}

// PolicyReconcileSchedule returns the schedule of the periodic policy sweep.
func PolicyReconcileSchedule(cfg Config) client.ScheduleOptions {
	return intervalSchedule(wfc.SchedulePolicyReconcile, cfg.PolicyReconcile,
		"Brings follow-ups still on an older policy or calendar version onto the one in force (managed by the Closeloop worker; change POLICY_RECONCILE_INTERVAL, not this schedule)",
		&client.ScheduleWorkflowAction{
			ID:       wfc.PolicyRolloutWorkflowID("all", "reconcile", 0, 0),
			Workflow: wfc.WorkflowPolicyRollout,
			Args:     []any{&followupv1.RolloutInput{}},
		}, "policy-reconcile")
}

// CareSweepSchedule returns the schedule of the care sweep. Each sweep looks
// ahead twice the interval, so every care contact gets its follow-up (and its
// exact timer) at least one interval before it falls due.
func CareSweepSchedule(cfg Config) client.ScheduleOptions {
	action := &client.ScheduleWorkflowAction{ID: wfc.CareSweepWorkflowID("scheduled"), Workflow: wfc.WorkflowCareSweep}
	o := intervalSchedule(wfc.ScheduleCareSweep, cfg.CareSweep,
		"Opens care-contact follow-ups of existing customers falling due soon (managed by the Closeloop worker; change CARE_SWEEP_INTERVAL, not this schedule)",
		action, "care-sweep")
	action.Args = []any{&followupv1.CareSweepInput{Lookahead: durationpb.New(2 * o.Spec.Intervals[0].Every), Reason: "scheduled"}}
	o.TriggerImmediately = cfg.CareSweep > 0 // a sweep at install time, not an interval later
	return o
}

// WinBackSweepSchedule returns the schedule of the win-back sweep (daily by
// default). Each run sweeps as of its own start.
func WinBackSweepSchedule(cfg Config) client.ScheduleOptions {
	action := &client.ScheduleWorkflowAction{ID: wfc.WinBackSweepWorkflowID("scheduled"), Workflow: wfc.WorkflowWinBackSweep,
		Args: []any{&marketingv1.WinBackSweepInput{}}}
	o := intervalSchedule(wfc.ScheduleWinBackSweep, cfg.WinBackSweep,
		"Enrols customers lost for longer than the inactivity period into the running win-back campaign (managed by the Closeloop worker; change WINBACK_SWEEP_INTERVAL, not this schedule)",
		action, "winback-sweep")
	o.TriggerImmediately = cfg.WinBackSweep > 0 // a sweep at install time, not an interval later
	return o
}

// CampaignOutcomesSchedule returns the schedule that brings in the
// campaigns' sales outcomes (hourly by default), each run as of its start.
func CampaignOutcomesSchedule(cfg Config) client.ScheduleOptions {
	action := &client.ScheduleWorkflowAction{ID: wfc.CampaignOutcomesWorkflowID("scheduled"), Workflow: wfc.WorkflowCampaignOutcomes,
		Args: []any{&marketingv1.CampaignOutcomesInput{}}}
	return intervalSchedule(wfc.ScheduleCampaignOutcomes, cfg.CampaignOutcomes,
		"Brings in what became of the customers enrolled in campaigns, for their evaluation (managed by the Closeloop worker; change CAMPAIGN_OUTCOMES_INTERVAL, not this schedule)",
		action, "campaign-outcomes")
}

// LoyaltySyncSchedule returns the schedule that copies every customer's
// service standing to the customer service again (daily by default), each
// run as of its start: a level changes as answers age out of the
// satisfaction window, with no answer to start a sync.
func LoyaltySyncSchedule(cfg Config) client.ScheduleOptions {
	action := &client.ScheduleWorkflowAction{ID: wfc.LoyaltySyncWorkflowID("scheduled"), Workflow: wfc.WorkflowLoyaltySync,
		Args: []any{&servicev1.LoyaltySyncInput{}}}
	o := intervalSchedule(wfc.ScheduleLoyaltySync, cfg.LoyaltySync,
		"Copies every customer's service standing (loyalty level, satisfaction) from the after-sales service to the customer service for campaign segments (managed by the Closeloop worker; change LOYALTY_SYNC_INTERVAL, not this schedule)",
		action, "loyalty-sync")
	o.TriggerImmediately = cfg.LoyaltySync > 0 // a copy at install time: answers given before it was installed
	return o
}

// intervalSchedule is a schedule that starts action every interval (paused
// when interval is not positive, then defined with an hour), never two at
// once, on the bulk task queue (wfc.BulkTaskQueue: they page through many
// records) with an hour's timeout.
func intervalSchedule(id string, interval time.Duration, note string, action *client.ScheduleWorkflowAction, kind string) client.ScheduleOptions {
	every := interval
	if every <= 0 {
		every = time.Hour
	}
	action.TaskQueue = wfc.BulkTaskQueue // every interval schedule's workflow pages (wfc.BulkTaskQueue)
	action.WorkflowExecutionTimeout = time.Hour
	action.TypedSearchAttributes = temporal.NewSearchAttributes(temporal.NewSearchAttributeKeyKeyword(wfc.SAKind.String()).ValueSet(kind))
	return client.ScheduleOptions{
		ID:      id,
		Spec:    client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}},
		Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP,
		Paused:  interval <= 0,
		Note:    note,
		Action:  action,
	}
}

func ensureSchedule(ctx context.Context, c client.Client, want client.ScheduleOptions) error {
	_, err := c.ScheduleClient().Create(ctx, want)
	if err == nil {
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return err
	}
	h := c.ScheduleClient().GetHandle(ctx, want.ID)
	return h.Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec = &want.Spec
			s.Action = want.Action
			if s.Policy == nil {
				s.Policy = &client.SchedulePolicies{}
			}
			s.Policy.Overlap = want.Overlap
			if s.State == nil {
				s.State = &client.ScheduleState{}
			}
			s.State.Paused = want.Paused
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
}

func retry(ctx context.Context, log *slog.Logger, what string, fn func() error) error {
	backoff := time.Second
	for {
		err := fn()
		if err == nil {
			return nil
		}
		log.Warn(what+" failed; retrying", "error", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		if backoff < 30*time.Second {
			backoff *= 2
		}
	}
}
