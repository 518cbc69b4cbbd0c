package charttest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func envValue(c corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

func checkDeployments(t *testing.T, r *release) {
	t.Helper()
	deps := r.deployments()
	for _, d := range deps {
		where := "Deployment/" + d.Name
		sel := d.Spec.Selector
		if sel == nil || len(sel.MatchExpressions) > 0 {
			t.Errorf("%s: selector must be matchLabels only", where)
			continue
		}
		var keys []string
		for k := range sel.MatchLabels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if strings.Join(keys, ",") != "app.kubernetes.io/instance,app.kubernetes.io/name" {
			t.Errorf("%s: selector keys %v, want name and instance only", where, keys)
		}
		if !labels.SelectorFromSet(sel.MatchLabels).Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("%s: selector does not match its own pod template", where)
		}
		for _, other := range deps {
			if other != d && labels.SelectorFromSet(sel.MatchLabels).Matches(labels.Set(other.Spec.Template.Labels)) {
				t.Errorf("%s: selector also matches the pods of %s", where, other.Name)
			}
		}
		if len(d.Spec.Template.Spec.Containers) != 1 {
			t.Errorf("%s: want one container", where)
			continue
		}
		c := d.Spec.Template.Spec.Containers[0]
		ports := map[string]bool{}
		for _, p := range c.Ports {
			ports[p.Name] = true
		}
		checkProbe(t, where+" readinessProbe", c.ReadinessProbe, "/readyz", ports)
		checkProbe(t, where+" livenessProbe", c.LivenessProbe, "/healthz", ports)
		if c.StartupProbe != nil {
			checkProbe(t, where+" startupProbe", c.StartupProbe, "/healthz", ports)
		}
		// Kubernetes must not kill a pod that is still stopping cleanly.
		grace := d.Spec.Template.Spec.TerminationGracePeriodSeconds
		timeout := envDuration(t, where, c, "SHUTDOWN_TIMEOUT", true)
		drain := envDuration(t, where, c, "SHUTDOWN_DRAIN_DELAY", true)
		if grace == nil || time.Duration(*grace)*time.Second <= timeout+drain {
			t.Errorf("%s: terminationGracePeriodSeconds %v must exceed SHUTDOWN_TIMEOUT %v + SHUTDOWN_DRAIN_DELAY %v", where, grace, timeout, drain)
		}
		// Two ports: the API's (HTTP_ADDR) and the metrics listener's
		// (METRICS_ADDR), never the same.
		named := map[string]int32{}
		for _, p := range c.Ports {
			named[p.Name] = p.ContainerPort
		}
		if addr, _ := envValue(c, "HTTP_ADDR"); len(c.Ports) != 2 || addr != fmt.Sprintf(":%d", named["http"]) {
			t.Errorf("%s: HTTP_ADDR %q does not match the container port named http %v", where, addr, c.Ports)
		}
		if addr, _ := envValue(c, "METRICS_ADDR"); named["metrics"] == 0 || named["metrics"] == named["http"] || addr != fmt.Sprintf(":%d", named["metrics"]) {
			t.Errorf("%s: METRICS_ADDR %q does not match a container port named metrics, apart from http: %v", where, addr, c.Ports)
		}
		if d.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType {
			t.Errorf("%s: strategy %q, want RollingUpdate", where, d.Spec.Strategy.Type)
		}
		// replicas are left to the HPA when one targets the Deployment.
		hpa := false
		for _, o := range r.ofKind("HorizontalPodAutoscaler") {
			if o.Obj.(*autoscalingv2.HorizontalPodAutoscaler).Spec.ScaleTargetRef.Name == d.Name {
				hpa = true
			}
		}
		if hpa && d.Spec.Replicas != nil {
			t.Errorf("%s: sets replicas although an HPA scales it (every upgrade would reset the HPA's choice)", where)
		}
		if !hpa && d.Spec.Replicas == nil {
			t.Errorf("%s: no replicas and no HPA", where)
		}
	}
}

func envDuration(t *testing.T, where string, c corev1.Container, name string, required bool) time.Duration {
	t.Helper()
	v, ok := envValue(c, name)
	if !ok {
		if required {
			t.Errorf("%s: %s not set", where, name)
		}
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Errorf("%s: %s=%q: %v", where, name, v, err)
	}
	return d
}

func checkProbe(t *testing.T, where string, p *corev1.Probe, path string, ports map[string]bool) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s: missing or not an HTTP probe", where)
		return
	}
	if p.HTTPGet.Path != path {
		t.Errorf("%s: path %q, want %q", where, p.HTTPGet.Path, path)
	}
	if p.HTTPGet.Port.Type != intstr.String || !ports[p.HTTPGet.Port.StrVal] {
		t.Errorf("%s: port %v is not a named port of the container", where, p.HTTPGet.Port.String())
	}
	if p.PeriodSeconds < 1 || p.TimeoutSeconds < 1 || p.FailureThreshold < 1 {
		t.Errorf("%s: period, timeout and failureThreshold must be positive", where)
	}
}

// selectedDeployments lists the Deployments whose pods a selector matches.
func selectedDeployments(r *release, sel labels.Selector) []*appsv1.Deployment {
	var out []*appsv1.Deployment
	for _, d := range r.deployments() {
		if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			out = append(out, d)
		}
	}
	return out
}

func checkServices(t *testing.T, r *release) {
	t.Helper()
	for _, o := range r.ofKind("Service") {
		s := o.Obj.(*corev1.Service)
		where := "Service/" + s.Name
		if len(s.Spec.Selector) == 0 {
			t.Errorf("%s: no selector", where)
			continue
		}
		deps := selectedDeployments(r, labels.SelectorFromSet(s.Spec.Selector))
		if len(deps) != 1 {
			t.Errorf("%s: selects %d Deployments, want exactly 1", where, len(deps))
			continue
		}
		ports := map[string]bool{}
		for _, p := range deps[0].Spec.Template.Spec.Containers[0].Ports {
			ports[p.Name] = true
		}
		for _, p := range s.Spec.Ports {
			if p.TargetPort.Type != intstr.String || !ports[p.TargetPort.StrVal] {
				t.Errorf("%s: targetPort %s is not a named port of %s", where, p.TargetPort.String(), deps[0].Name)
			}
		}
	}
	// Every Deployment is reachable (for /readyz tests and metrics scraping).
	for _, d := range r.deployments() {
		found := false
		for _, o := range r.ofKind("Service") {
			if labels.SelectorFromSet(o.Obj.(*corev1.Service).Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
				found = true
			}
		}
		if !found {
			t.Errorf("Deployment/%s: no Service selects it", d.Name)
		}
	}
}

func checkAutoscalers(t *testing.T, r *release) {
	t.Helper()
	for _, o := range r.ofKind("HorizontalPodAutoscaler") {
		h := o.Obj.(*autoscalingv2.HorizontalPodAutoscaler)
		where := "HorizontalPodAutoscaler/" + h.Name
		ref := h.Spec.ScaleTargetRef
		if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" {
			t.Errorf("%s: targets %s %s", where, ref.APIVersion, ref.Kind)
		}
		if _, ok := r.find("Deployment", ref.Name); !ok {
			t.Errorf("%s: targets Deployment %q, which is not rendered", where, ref.Name)
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 1 || *h.Spec.MinReplicas > h.Spec.MaxReplicas {
			t.Errorf("%s: minReplicas %v, maxReplicas %d", where, h.Spec.MinReplicas, h.Spec.MaxReplicas)
		}
		if len(h.Spec.Metrics) == 0 {
			t.Errorf("%s: no metrics", where)
		}
	}
}

func checkDisruptionBudgets(t *testing.T, r *release) {
	t.Helper()
	for _, o := range r.ofKind("PodDisruptionBudget") {
		p := o.Obj.(*policyv1.PodDisruptionBudget)
		where := "PodDisruptionBudget/" + p.Name
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		if n := len(selectedDeployments(r, sel)); n != 1 {
			t.Errorf("%s: selects %d Deployments, want exactly 1", where, n)
		}
		if (p.Spec.MinAvailable == nil) == (p.Spec.MaxUnavailable == nil) {
			t.Errorf("%s: needs exactly one of minAvailable and maxUnavailable", where)
		}
	}
}

func checkServiceMonitors(t *testing.T, r *release) {
	t.Helper()
	for _, o := range r.ofKind("ServiceMonitor") {
		sm := o.Obj.(*serviceMonitor)
		where := "ServiceMonitor/" + sm.Name
		sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		var matched []*corev1.Service
		for _, so := range r.ofKind("Service") {
			s := so.Obj.(*corev1.Service)
			if sel.Matches(labels.Set(s.Labels)) && (sm.Spec.NamespaceSelector.Any || slices.Contains(sm.Spec.NamespaceSelector.MatchNames, s.Namespace)) {
				matched = append(matched, s)
			}
		}
		if len(matched) != 1 {
			t.Errorf("%s: selects %d Services, want exactly 1", where, len(matched))
			continue
		}
		if len(sm.Spec.Endpoints) == 0 {
			t.Errorf("%s: no endpoints", where)
		}
		for _, ep := range sm.Spec.Endpoints {
			found := false
			for _, p := range matched[0].Spec.Ports {
				found = found || p.Name == ep.Port
			}
			if !found {
				t.Errorf("%s: endpoint port %q is not a port of Service %s", where, ep.Port, matched[0].Name)
			}
			if ep.Path != "/metrics" || ep.Port != "metrics" {
				t.Errorf("%s: scrapes %s on port %q, want /metrics on the metrics port (never the API's)", where, ep.Path, ep.Port)
			}
			if ep.Scheme != "" && ep.Scheme != "http" && ep.Scheme != "https" {
				t.Errorf("%s: scheme %q", where, ep.Scheme)
			}
			for _, d := range []string{ep.Interval, ep.ScrapeTimeout} {
				if d != "" && !promDuration.MatchString(d) {
					t.Errorf("%s: %q is not a Prometheus duration", where, d)
				}
			}
		}
	}
}
