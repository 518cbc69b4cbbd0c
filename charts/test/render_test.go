package charttest

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

var (
	apiComponents = []string{"customer", "followup", "sales", "service", "marketing"}
	allComponents = append(slices.Clone(apiComponents), "worker", "web")
)

// enabledByDefault: every component but the web console, which needs a session
// key and its public URL first.
func enabledByDefault(component string) bool { return component != "web" }

// existingFromValues lists the objects a values file says exist outside the chart.
func existingFromValues(values map[string]any) existing {
	var ext existing
	for _, path := range []string{"database.existingSecret", "temporal.apiKey.existingSecret", "temporal.payloadEncryption.existingSecret", "web.existingSecret", "notifications.smtp.existingSecret", "emailTouches.existingSecret"} {
		if v, ok := lookup(values, path); ok && v.(string) != "" {
			ext.Secrets = append(ext.Secrets, v.(string))
		}
	}
	for _, c := range allComponents {
		create, ok := lookup(values, c+".serviceAccount.create")
		if ok && create == false {
			name, _ := lookup(values, c+".serviceAccount.name")
			n, _ := name.(string)
			if n == "" {
				n = "default"
			}
			ext.ServiceAccounts = append(ext.ServiceAccounts, n)
		}
	}
	return ext
}

// withMonitoringAPI renders for a cluster that serves the Prometheus operator's
// ServiceMonitor (the chart renders none elsewhere), so that they are checked too.
var withMonitoringAPI = []string{"--api-versions", "monitoring.coreos.com/v1/ServiceMonitor"}

// TestCIValuesRenderValidObjects renders the chart with every ci/ values file and
// holds every object to the Kubernetes API types and the chart's rules.
func TestCIValuesRenderValidObjects(t *testing.T) {
	for _, file := range ciValuesFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			values := loadYAML(t, file)
			rendered := mustRender(t, append([]string{"-f", file}, withMonitoringAPI...)...)
			r := parseRelease(t, rendered)
			checkRelease(t, r, existingFromValues(values), secretLiterals(values), rendered)

			// One Deployment per enabled component.
			for _, c := range allComponents {
				enabled := enabledByDefault(c)
				if v, ok := lookup(values, c+".enabled"); ok {
					enabled = v.(bool)
				}
				n := 0
				for _, d := range r.deployments() {
					if d.Labels["app.kubernetes.io/component"] == c {
						n++
					}
				}
				if enabled && n != 1 || !enabled && n != 0 {
					t.Errorf("%s (enabled=%v): %d Deployments", c, enabled, n)
				}
			}
			// helm test checks /readyz of every component.
			readyz := 0
			for _, p := range r.ofKind("Pod") {
				if p.Meta.Labels["app.kubernetes.io/component"] == "test-readyz" {
					readyz++
				}
			}
			if readyz != 1 {
				t.Errorf("%d helm test Pods test-readyz, want 1", readyz)
			}
		})
	}
}

// TestProductionValues: what docs/deploy.md promises of ci/production-values.yaml.
func TestProductionValues(t *testing.T) {
	file := filepath.Join(chartDir, "ci", "production-values.yaml")
	r := parseRelease(t, mustRender(t, append([]string{"-f", file}, withMonitoringAPI...)...))

	if got := len(r.ofKind("Secret")); got != 0 {
		t.Errorf("production renders %d Secrets; every secret comes from existingSecret", got)
	}
	for _, c := range allComponents {
		name := releaseName + "-" + c
		d, ok := r.find("Deployment", name)
		if !ok {
			t.Errorf("no Deployment %s", name)
			continue
		}
		dep := d.Obj.(*appsv1.Deployment)
		ctr := dep.Spec.Template.Spec.Containers[0]
		if want := "registry.example.com/closeloop/" + c + ":0.1.0"; ctr.Image != want {
			t.Errorf("%s: image %q, want %q", name, ctr.Image, want)
		}
		if _, ok := r.find("PodDisruptionBudget", name); !ok {
			t.Errorf("%s: no PodDisruptionBudget", name)
		}
		if _, ok := r.find("NetworkPolicy", name); !ok {
			t.Errorf("%s: no NetworkPolicy", name)
		}
		if _, ok := r.find("ServiceMonitor", name); !ok {
			t.Errorf("%s: no ServiceMonitor", name)
		}
		if dep.Spec.Replicas != nil && *dep.Spec.Replicas < 2 {
			t.Errorf("%s: %d replicas; production runs at least 2", name, *dep.Spec.Replicas)
		}
		if v, _ := envValue(ctr, "SHUTDOWN_DRAIN_DELAY"); c != "worker" && v == "0s" {
			t.Errorf("%s: API services and the console drain before stopping (SHUTDOWN_DRAIN_DELAY=%s)", name, v)
		}
		if c == "web" {
			// The console never connects to Temporal: no address, no TLS files.
			for _, e := range ctr.Env {
				if strings.HasPrefix(e.Name, "TEMPORAL_") && e.Name != "TEMPORAL_NAMESPACE" && e.Name != "TEMPORAL_UI_URL" {
					t.Errorf("%s: %s set, but the console does not connect to Temporal", name, e.Name)
				}
			}
			if len(ctr.VolumeMounts) != 1 {
				t.Errorf("%s: mounts %v, want only /tmp", name, ctr.VolumeMounts)
			}
			continue
		}
		for _, f := range []string{"TEMPORAL_TLS_CA_FILE", "TEMPORAL_TLS_CERT_FILE", "TEMPORAL_TLS_KEY_FILE"} {
			if v, ok := envValue(ctr, f); !ok || !strings.HasPrefix(v, "/etc/closeloop/temporal-tls/") {
				t.Errorf("%s: %s=%q, want a file under the mounted TLS secret", name, f, v)
			}
		}
		if v, _ := envValue(ctr, "TEMPORAL_TLS_ENABLED"); v != "true" {
			t.Errorf("%s: TEMPORAL_TLS_ENABLED=%q", name, v)
		}
		if slices.Contains(apiComponents, c) {
			if v, _ := envValue(ctr, "MIGRATE_ON_START"); v != "false" {
				t.Errorf("%s: MIGRATE_ON_START=%q; the hook migrates", name, v)
			}
		} else if v, _ := envValue(ctr, "SETUP_ON_START"); v != "false" {
			t.Errorf("%s: SETUP_ON_START=%q; the hook sets up Temporal", name, v)
		}
	}
	for _, c := range []string{"customer", "worker"} {
		if _, ok := r.find("HorizontalPodAutoscaler", releaseName+"-"+c); !ok {
			t.Errorf("production autoscales %s", c)
		}
	}

	if _, ok := r.find("Pod", releaseName+"-test-system-check"); !ok {
		t.Error("no helm test Pod test-system-check")
	}

	// The migrations Job migrates every service, in order, from the existing Secret.
	jo, ok := r.find("Job", releaseName+"-migrations")
	if !ok {
		t.Fatal("no migrations Job")
	}
	job := jo.Obj.(*batchv1.Job)
	var order []string
	for _, c := range append(job.Spec.Template.Spec.InitContainers, job.Spec.Template.Spec.Containers...) {
		order = append(order, c.Name)
		if !slices.Equal(c.Args, []string{"migrate"}) {
			t.Errorf("migrations Job container %s: args %v", c.Name, c.Args)
		}
		for _, e := range c.Env {
			if e.Name == "DATABASE_URL" && e.ValueFrom.SecretKeyRef.Name != "closeloop-database" {
				t.Errorf("migrations Job container %s reads %s", c.Name, e.ValueFrom.SecretKeyRef.Name)
			}
		}
	}
	if want := []string{"migrate-customer", "migrate-followup", "migrate-sales", "migrate-service", "migrate-marketing"}; !slices.Equal(order, want) {
		t.Errorf("migration order %v, want %v", order, want)
	}
	so, ok := r.find("Job", releaseName+"-temporal-setup")
	if !ok {
		t.Fatal("no temporal-setup Job")
	}
	setup := so.Obj.(*batchv1.Job).Spec.Template.Spec.Containers[0]
	if !slices.Equal(setup.Args, []string{"setup"}) {
		t.Errorf("temporal-setup args %v", setup.Args)
	}
	for name, want := range map[string]string{"ABC_SCHEDULE_CRON": "30 1 * * *", "ABC_SCHEDULE_TIMEZONE": "Europe/Berlin", "TEMPORAL_NAMESPACE": "closeloop"} {
		if v, _ := envValue(setup, name); v != want {
			t.Errorf("temporal-setup %s=%q, want %q", name, v, want)
		}
	}

	// NetworkPolicies: API ingress from the ingress controller, egress to Temporal's port.
	npo, _ := r.find("NetworkPolicy", releaseName+"-customer")
	np := npo.Obj.(*networkingv1.NetworkPolicy)
	if !egressAllowsPort(np, 7233, corev1.ProtocolTCP) || !egressAllowsPort(np, 5432, corev1.ProtocolTCP) ||
		!egressAllowsPort(np, 443, corev1.ProtocolTCP) || !egressAllowsPort(np, 4317, corev1.ProtocolTCP) {
		t.Errorf("customer NetworkPolicy egress %v lacks Temporal 7233, PostgreSQL 5432, OIDC 443 or OTLP 4317", np.Spec.Egress)
	}
	wo, _ := r.find("NetworkPolicy", releaseName+"-worker")
	if egressAllowsPort(wo.Obj.(*networkingv1.NetworkPolicy), 5432, corev1.ProtocolTCP) {
		t.Error("the worker has no database, yet its NetworkPolicy allows PostgreSQL")
	}
}

// apiCalls are the HTTP calls between components, each made as the caller:
// sales, service and followup look customers up through the customer API, and customer
// reads calendars and closes first-contact follow-ups through the followup API.
var apiCalls = map[string]map[string]string{ // caller → callee → variable
	"sales":    {"customer": "CUSTOMER_API_URL"},
	"service":  {"customer": "CUSTOMER_API_URL"},
	"followup": {"customer": "CUSTOMER_API_URL"},
	"customer": {"followup": "FOLLOWUP_API_URL"},
	"web":      {"customer": "CUSTOMER_API_URL", "followup": "FOLLOWUP_API_URL", "sales": "SALES_API_URL", "service": "SERVICE_API_URL", "marketing": "MARKETING_API_URL"},
}

// withWeb are the arguments that turn the web console on over ci/minimal-values.yaml.
var withWeb = []string{"--set", "web.enabled=true", "--set", "web.sessionKey=" + testSessionKey,
	"--set", "web.publicURL=https://crm.example.com"}

// testSessionKey is a well-formed session key (base64 of 32 bytes) for renders.
const testSessionKey = "dGVzdC1zZXNzaW9uLWtleS1vZi0zMi1ieXRlcy0hISE="

// TestAPICallsAreWiredExactly: each caller gets its callee's Service URL, and
// with NetworkPolicies on, a component's egress reaches exactly the release
// Deployments it calls (on their HTTP port) and no other, and the callee's
// ingress admits it.
func TestAPICallsAreWiredExactly(t *testing.T) {
	rendered := mustRender(t, append([]string{"-f", minimal, "--set", "networkPolicy.enabled=true"}, withWeb...)...)
	r := parseRelease(t, rendered)
	checkRelease(t, r, existing{}, []string{testSessionKey}, rendered)
	deps := map[string]*appsv1.Deployment{}
	for _, d := range r.deployments() {
		deps[d.Labels["app.kubernetes.io/component"]] = d
	}
	for _, caller := range allComponents {
		d, ok := deps[caller]
		if !ok {
			t.Fatalf("no Deployment of %s", caller)
		}
		ctr := d.Spec.Template.Spec.Containers[0]
		// Environment: the callee's Service URL, and no URL of a component it does not call.
		for _, callee := range allComponents {
			for _, variable := range []string{"CUSTOMER_API_URL", "FOLLOWUP_API_URL", "SALES_API_URL", "SERVICE_API_URL"} {
				v, has := envValue(ctr, variable)
				want := apiCalls[caller][callee] == variable
				if want && v != "http://"+releaseName+"-"+callee+"."+namespace+".svc:80" {
					t.Errorf("%s: %s=%q, want the %s Service", caller, variable, v, callee)
				}
				if !want && has && strings.Contains(v, releaseName+"-"+callee+".") {
					t.Errorf("%s: %s=%q points at %s, which it does not call", caller, variable, v, callee)
				}
			}
		}
		// Egress: exactly the callees, on their container port.
		o, ok := r.find("NetworkPolicy", d.Name)
		if !ok {
			t.Errorf("%s: no NetworkPolicy", caller)
			continue
		}
		np := o.Obj.(*networkingv1.NetworkPolicy)
		var reached []string
		for _, callee := range allComponents {
			to := deps[callee]
			port := int(to.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort)
			for _, rule := range np.Spec.Egress {
				if peersAdmit(rule.To, to.Spec.Template.Labels) && portsAdmit(rule.Ports, port, "") {
					reached = append(reached, callee)
					break
				}
			}
		}
		var want []string
		for _, callee := range allComponents {
			if _, ok := apiCalls[caller][callee]; ok {
				want = append(want, callee)
			}
		}
		if !slices.Equal(reached, want) {
			t.Errorf("%s: NetworkPolicy egress reaches %v of the release, want exactly %v", caller, reached, want)
		}
		for _, callee := range want {
			checkNetworkPath(t, r, caller+" → "+callee, podOwner{"Deployment", d.Name, &d.ObjectMeta, d.Spec.Template.Labels, &d.Spec.Template.Spec},
				deps[callee], int(deps[callee].Spec.Template.Spec.Containers[0].Ports[0].ContainerPort))
		}
	}
}

// TestFollowUpEngineSettingsMoved: the follow-up engine's settings reach the
// followup service (which now owns timer policies, calendars and follow-ups) and
// no longer the customer service, whatever the values.
func TestFollowUpEngineSettingsMoved(t *testing.T) {
	r := parseRelease(t, mustRender(t, "-f", minimal, "--set", "temporal.uiURL=https://temporal.example.com",
		"--set", "policy.followUpOpenWait=9s", "--set", "policy.defaultCalendarCountry=CN"))
	want := map[string]string{"TEMPORAL_UI_URL": "https://temporal.example.com", "FOLLOWUP_OPEN_WAIT": "9s", "DEFAULT_CALENDAR_COUNTRY": "CN"}
	for _, c := range []string{"followup", "customer"} {
		o, ok := r.find("Deployment", releaseName+"-"+c)
		if !ok {
			t.Fatalf("no Deployment %s-%s", releaseName, c)
		}
		ctr := o.Obj.(*appsv1.Deployment).Spec.Template.Spec.Containers[0]
		for name, value := range want {
			v, has := envValue(ctr, name)
			switch {
			case c == "followup" && v != value:
				t.Errorf("followup: %s=%q, want %q", name, v, value)
			case c == "customer" && has:
				t.Errorf("customer: still given %s=%q; the follow-up engine moved to followup", name, v)
			}
		}
	}
}
