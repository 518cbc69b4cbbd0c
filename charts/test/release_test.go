package charttest

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// release is one rendered chart, every object decoded.
type release struct {
	Objects []object
}

// parseRelease decodes every document strictly; any failure fails the test.
func parseRelease(t *testing.T, rendered string) *release {
	t.Helper()
	r := &release{}
	for _, doc := range splitDocuments(rendered) {
		o, err := decodeStrict(doc)
		if err != nil {
			t.Errorf("%v\n--- document ---\n%s", err, doc)
			continue
		}
		r.Objects = append(r.Objects, o)
	}
	if t.Failed() {
		t.FailNow()
	}
	return r
}

func (r *release) ofKind(kind string) []object {
	var out []object
	for _, o := range r.Objects {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

func (r *release) find(kind, name string) (object, bool) {
	for _, o := range r.Objects {
		if o.Kind == kind && o.Meta.Name == name {
			return o, true
		}
	}
	return object{}, false
}

func (r *release) deployments() []*appsv1.Deployment {
	var out []*appsv1.Deployment
	for _, o := range r.ofKind("Deployment") {
		out = append(out, o.Obj.(*appsv1.Deployment))
	}
	return out
}

// hook describes a Helm hook annotation set.
type hook struct {
	Events []string
	Weight int
	Delete []string
}

func hookOf(m *metav1.ObjectMeta) (hook, bool) {
	ev, ok := m.Annotations["helm.sh/hook"]
	if !ok {
		return hook{}, false
	}
	h := hook{Events: strings.Split(ev, ",")}
	if w, ok := m.Annotations["helm.sh/hook-weight"]; ok {
		h.Weight, _ = strconv.Atoi(w)
	}
	if d, ok := m.Annotations["helm.sh/hook-delete-policy"]; ok {
		h.Delete = strings.Split(d, ",")
	}
	return h, true
}

// podOwner is anything with a pod spec: a Deployment, a hook Job, a test Pod.
type podOwner struct {
	Kind   string
	Name   string
	Meta   *metav1.ObjectMeta
	Labels map[string]string // the pod's labels
	Spec   *corev1.PodSpec
}

func (r *release) podOwners() []podOwner {
	var out []podOwner
	for _, o := range r.Objects {
		switch v := o.Obj.(type) {
		case *appsv1.Deployment:
			out = append(out, podOwner{"Deployment", v.Name, &v.ObjectMeta, v.Spec.Template.Labels, &v.Spec.Template.Spec})
		case *batchv1.Job:
			out = append(out, podOwner{"Job", v.Name, &v.ObjectMeta, v.Spec.Template.Labels, &v.Spec.Template.Spec})
		case *corev1.Pod:
			out = append(out, podOwner{"Pod", v.Name, &v.ObjectMeta, v.Labels, &v.Spec})
		}
	}
	return out
}

// existing are the names of objects the values say exist outside the chart.
type existing struct {
	Secrets         []string
	ServiceAccounts []string
}

// checkRelease applies every rule that must hold for any values: names and labels
// are valid, pods are locked down, references resolve, selectors select exactly
// what they should, hooks are ordered, and secrets never appear in clear.
func checkRelease(t *testing.T, r *release, ext existing, secrets []string, rendered string) {
	t.Helper()
	checkMetadata(t, r)
	checkPods(t, r, ext)
	checkDeployments(t, r)
	checkServices(t, r)
	checkAutoscalers(t, r)
	checkDisruptionBudgets(t, r)
	checkServiceMonitors(t, r)
	checkNetworkPolicies(t, r)
	checkHooks(t, r)
	checkInClusterURLs(t, r)
	checkSecretsStaySecret(t, r, secrets, rendered)
}

var inClusterURL = regexp.MustCompile(`^https?://([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?:([0-9]+)(/.*)?$`)

// checkInClusterURLs: a URL the chart gives a container pointing at a Service of
// the release (CUSTOMER_API_URL, the readyz test's targets) names a rendered
// Service and one of its ports, and the NetworkPolicies let the caller reach it.
func checkInClusterURLs(t *testing.T, r *release) {
	t.Helper()
	for _, p := range r.podOwners() {
		for _, c := range p.Spec.Containers {
			var urls []string
			for _, e := range c.Env {
				if inClusterURL.MatchString(e.Value) {
					urls = append(urls, e.Value)
				}
			}
			for _, a := range c.Args {
				for _, f := range strings.Fields(a) {
					if _, u, ok := strings.Cut(f, "="); ok && inClusterURL.MatchString(u) {
						urls = append(urls, u)
					}
				}
			}
			for _, u := range urls {
				m := inClusterURL.FindStringSubmatch(u)
				if m[2] != namespace {
					continue // outside the release (an issuer, a collector)
				}
				where := fmt.Sprintf("%s/%s container %s: %s", p.Kind, p.Name, c.Name, u)
				so, ok := r.find("Service", m[1])
				if !ok || so.Meta.Namespace != m[2] {
					t.Errorf("%s: no Service %s in namespace %s", where, m[1], m[2])
					continue
				}
				svc := so.Obj.(*corev1.Service)
				var target *corev1.ServicePort
				for i := range svc.Spec.Ports {
					if strconv.Itoa(int(svc.Spec.Ports[i].Port)) == m[3] {
						target = &svc.Spec.Ports[i]
					}
				}
				if target == nil {
					t.Errorf("%s: Service %s has no port %s", where, m[1], m[3])
					continue
				}
				deps := selectedDeployments(r, labels.SelectorFromSet(svc.Spec.Selector))
				if len(deps) != 1 {
					continue // reported by checkServices
				}
				port := 0
				for _, cp := range deps[0].Spec.Template.Spec.Containers[0].Ports {
					if cp.Name == target.TargetPort.StrVal {
						port = int(cp.ContainerPort)
					}
				}
				checkNetworkPath(t, r, where, p, deps[0], port)
			}
		}
	}
}

// checkNetworkPath: with NetworkPolicies on, the caller's egress and the callee's
// ingress both admit the call.
func checkNetworkPath(t *testing.T, r *release, where string, from podOwner, to *appsv1.Deployment, port int) {
	t.Helper()
	nps := r.ofKind("NetworkPolicy")
	if len(nps) == 0 {
		return
	}
	egressOK, ingressOK := false, false
	for _, o := range nps {
		np := o.Obj.(*networkingv1.NetworkPolicy)
		sel, _ := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if sel.Matches(labels.Set(from.Labels)) {
			for _, rule := range np.Spec.Egress {
				if peersAdmit(rule.To, to.Spec.Template.Labels) && portsAdmit(rule.Ports, port, "") {
					egressOK = true
				}
			}
		}
		if sel.Matches(labels.Set(to.Spec.Template.Labels)) {
			for _, rule := range np.Spec.Ingress {
				if peersAdmit(rule.From, from.Labels) && portsAdmit(rule.Ports, port, "http") {
					ingressOK = true
				}
			}
		}
	}
	if !egressOK {
		t.Errorf("%s: no NetworkPolicy egress rule lets %s reach %s on port %d", where, from.Name, to.Name, port)
	}
	if !ingressOK {
		t.Errorf("%s: no NetworkPolicy ingress rule of %s admits %s", where, to.Name, from.Name)
	}
}

// peersAdmit: an empty peer list admits everyone; otherwise a podSelector-only peer
// (same namespace) must match the pod's labels. Peers with namespace selectors or
// IP blocks are not taken as admitting release pods.
func peersAdmit(peers []networkingv1.NetworkPolicyPeer, podLabels map[string]string) bool {
	if len(peers) == 0 {
		return true
	}
	for _, p := range peers {
		if p.PodSelector != nil && p.NamespaceSelector == nil && p.IPBlock == nil {
			if sel, err := metav1.LabelSelectorAsSelector(p.PodSelector); err == nil && sel.Matches(labels.Set(podLabels)) {
				return true
			}
		}
	}
	return false
}

func portsAdmit(ports []networkingv1.NetworkPolicyPort, port int, name string) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if p.Port == nil || (p.Port.Type == intstr.Int && int(p.Port.IntVal) == port) || (name != "" && p.Port.Type == intstr.String && p.Port.StrVal == name) {
			return true
		}
	}
	return false
}

func checkMetadata(t *testing.T, r *release) {
	t.Helper()
	seen := map[string]bool{}
	for _, o := range r.Objects {
		m := o.Meta
		key := o.Kind + "/" + m.Name
		if seen[key] {
			t.Errorf("%s rendered twice", key)
		}
		seen[key] = true
		for _, msg := range validation.IsDNS1123Subdomain(m.Name) {
			t.Errorf("%s: name: %s", key, msg)
		}
		if o.Kind == "Service" {
			for _, msg := range validation.IsDNS1035Label(m.Name) {
				t.Errorf("%s: Service name: %s", key, msg)
			}
		}
		if m.Namespace == "" {
			t.Errorf("%s: no namespace", key)
		} else if m.Namespace != namespace && o.Kind != "ServiceMonitor" {
			t.Errorf("%s: namespace %q, want the release namespace %q", key, m.Namespace, namespace)
		}
		checkLabels(t, key, m.Labels)
		for k := range m.Annotations {
			for _, msg := range validation.IsQualifiedName(k) {
				t.Errorf("%s: annotation %q: %s", key, k, msg)
			}
		}
		for _, want := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component",
			"app.kubernetes.io/part-of", "app.kubernetes.io/version", "app.kubernetes.io/managed-by", "helm.sh/chart"} {
			if m.Labels[want] == "" {
				t.Errorf("%s: label %s missing", key, want)
			}
		}
		if m.Labels["app.kubernetes.io/instance"] != releaseName {
			t.Errorf("%s: instance label %q, want %q", key, m.Labels["app.kubernetes.io/instance"], releaseName)
		}
	}
}

func checkLabels(t *testing.T, where string, l map[string]string) {
	t.Helper()
	for k, v := range l {
		for _, msg := range validation.IsQualifiedName(k) {
			t.Errorf("%s: label key %q: %s", where, k, msg)
		}
		for _, msg := range validation.IsValidLabelValue(v) {
			t.Errorf("%s: label %s=%q: %s", where, k, v, msg)
		}
	}
}

func checkPods(t *testing.T, r *release, ext existing) {
	t.Helper()
	for _, p := range r.podOwners() {
		where := p.Kind + "/" + p.Name
		s := p.Spec
		checkLabels(t, where+" pod", p.Labels)
		ownHook, isHook := hookOf(p.Meta)
		if p.Kind != "Deployment" && !isHook {
			t.Errorf("%s: a %s outside a hook: Jobs and Pods of this chart are hooks or tests", where, p.Kind)
		}
		// Service account: never a mounted token; the account must exist when the pod starts.
		if s.AutomountServiceAccountToken == nil || *s.AutomountServiceAccountToken {
			t.Errorf("%s: automountServiceAccountToken must be false", where)
		}
		if s.EnableServiceLinks == nil || *s.EnableServiceLinks {
			t.Errorf("%s: enableServiceLinks must be false", where)
		}
		if s.ServiceAccountName == "" {
			t.Errorf("%s: no serviceAccountName", where)
		} else if !slices.Contains(ext.ServiceAccounts, s.ServiceAccountName) {
			sa, ok := r.find("ServiceAccount", s.ServiceAccountName)
			switch {
			case !ok:
				t.Errorf("%s: ServiceAccount %q is neither rendered nor declared existing", where, s.ServiceAccountName)
			case isHook:
				checkHookDependency(t, where, ownHook, sa)
			default:
				if _, saIsHook := hookOf(sa.Meta); saIsHook {
					t.Errorf("%s: uses hook ServiceAccount %q, which Helm deletes after the hooks", where, s.ServiceAccountName)
				}
				if v := sa.Obj.(*corev1.ServiceAccount).AutomountServiceAccountToken; v == nil || *v {
					t.Errorf("ServiceAccount %s: automountServiceAccountToken must be false", sa.Meta.Name)
				}
			}
		}
		if p.Kind != "Deployment" && s.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("%s: restartPolicy %q, want Never", where, s.RestartPolicy)
		}
		// Pod security: the restricted Pod Security Standard.
		psc := s.SecurityContext
		if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
			t.Errorf("%s: pod securityContext.runAsNonRoot must be true", where)
		}
		if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: pod seccompProfile must be RuntimeDefault", where)
		}
		if psc != nil && psc.RunAsUser != nil && *psc.RunAsUser == 0 {
			t.Errorf("%s: runs as root", where)
		}
		volumes := map[string]corev1.Volume{}
		for _, v := range s.Volumes {
			if _, dup := volumes[v.Name]; dup {
				t.Errorf("%s: volume %q twice", where, v.Name)
			}
			volumes[v.Name] = v
		}
		all := append(append([]corev1.Container{}, s.InitContainers...), s.Containers...)
		if len(s.Containers) == 0 {
			t.Errorf("%s: no containers", where)
		}
		names := map[string]bool{}
		for _, c := range all {
			cw := where + " container " + c.Name
			if names[c.Name] {
				t.Errorf("%s: container name used twice", cw)
			}
			names[c.Name] = true
			checkContainerSecurity(t, cw, c)
			if c.Image == "" || strings.HasSuffix(c.Image, ":latest") || !strings.ContainsAny(c.Image, ":@") {
				t.Errorf("%s: image %q must name a tag or digest (not latest)", cw, c.Image)
			}
			if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
				t.Errorf("%s: needs cpu and memory requests and a memory limit, has %v", cw, c.Resources)
			}
			// The root filesystem is read-only: /tmp must be a writable emptyDir.
			tmp := false
			mounts := map[string]bool{}
			for _, m := range c.VolumeMounts {
				v, ok := volumes[m.Name]
				if !ok {
					t.Errorf("%s: mounts volume %q, which the pod does not have", cw, m.Name)
				}
				if mounts[m.MountPath] {
					t.Errorf("%s: two mounts at %s", cw, m.MountPath)
				}
				mounts[m.MountPath] = true
				if m.MountPath == "/tmp" && ok && v.EmptyDir != nil {
					tmp = true
				}
			}
			if !tmp {
				t.Errorf("%s: /tmp is not an emptyDir (the root filesystem is read-only)", cw)
			}
			checkEnv(t, r, cw, c, ext, isHook, ownHook)
		}
	}
}

func checkContainerSecurity(t *testing.T, where string, c corev1.Container) {
	t.Helper()
	sc := c.SecurityContext
	if sc == nil {
		t.Errorf("%s: no securityContext", where)
		return
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: allowPrivilegeEscalation must be false", where)
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Errorf("%s: privileged", where)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("%s: readOnlyRootFilesystem must be true", where)
	}
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("%s: runAsNonRoot must be true", where)
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		t.Errorf("%s: capabilities must drop ALL and add none", where)
	}
	if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: seccompProfile must be RuntimeDefault", where)
	}
}

// secretEnv are variables whose values are credentials: only ever from a Secret.
var secretEnv = []string{"DATABASE_URL", "TEMPORAL_API_KEY"}

func checkEnv(t *testing.T, r *release, where string, c corev1.Container, ext existing, isHook bool, ownHook hook) {
	t.Helper()
	seen := map[string]bool{}
	for _, e := range c.Env {
		if seen[e.Name] {
			t.Errorf("%s: env %s set twice (breaks strategic merge and server-side apply)", where, e.Name)
		}
		seen[e.Name] = true
		if e.Value != "" && e.ValueFrom != nil {
			t.Errorf("%s: env %s has both value and valueFrom", where, e.Name)
		}
		if slices.Contains(secretEnv, e.Name) {
			if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
				t.Errorf("%s: %s must come from a secretKeyRef, never a literal", where, e.Name)
			}
		}
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			ref := e.ValueFrom.SecretKeyRef
			checkSecretRef(t, r, where+" env "+e.Name, ref.Name, ref.Key, ext, isHook, ownHook)
		}
	}
}

// checkSecretRef: a referenced Secret must be declared existing, or rendered with
// the key; a hook's Secret must be a hook created before it, and a Deployment's
// must not be a hook (Helm deletes those after the hooks).
func checkSecretRef(t *testing.T, r *release, where, name, key string, ext existing, isHook bool, ownHook hook) {
	t.Helper()
	if slices.Contains(ext.Secrets, name) {
		return
	}
	o, ok := r.find("Secret", name)
	if !ok {
		t.Errorf("%s: Secret %q is neither rendered nor declared existing", where, name)
		return
	}
	sec := o.Obj.(*corev1.Secret)
	if _, ok := sec.Data[key]; !ok {
		t.Errorf("%s: Secret %q has no key %q", where, name, key)
	}
	_, secIsHook := hookOf(o.Meta)
	switch {
	case isHook:
		checkHookDependency(t, where, ownHook, o)
	case secIsHook:
		t.Errorf("%s: a Deployment reads hook Secret %q, which Helm deletes after the hooks", where, name)
	}
}

// checkHookDependency: what a hook pod needs must be a hook of every event the pod
// runs on, with a lower weight (Helm creates hooks in weight order).
func checkHookDependency(t *testing.T, where string, pod hook, dep object) {
	t.Helper()
	h, ok := hookOf(dep.Meta)
	if !ok {
		t.Errorf("%s: needs %s %q, which is not a hook: it does not exist yet when pre-install hooks run", where, dep.Kind, dep.Meta.Name)
		return
	}
	for _, ev := range pod.Events {
		if !slices.Contains(h.Events, ev) {
			t.Errorf("%s: runs on %s but %s %q is not created for that event (it has %v)", where, ev, dep.Kind, dep.Meta.Name, h.Events)
		}
	}
	if h.Weight >= pod.Weight {
		t.Errorf("%s: %s %q has hook weight %d, not below the pod's %d", where, dep.Kind, dep.Meta.Name, h.Weight, pod.Weight)
	}
}

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
		if addr, _ := envValue(c, "HTTP_ADDR"); len(c.Ports) != 1 || addr != fmt.Sprintf(":%d", c.Ports[0].ContainerPort) {
			t.Errorf("%s: HTTP_ADDR %q does not match the container port %v", where, addr, c.Ports)
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
			if ep.Path != "/metrics" {
				t.Errorf("%s: path %q, want /metrics", where, ep.Path)
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

func checkNetworkPolicies(t *testing.T, r *release) {
	t.Helper()
	nps := r.ofKind("NetworkPolicy")
	owners := r.podOwners()
	for _, o := range nps {
		np := o.Obj.(*networkingv1.NetworkPolicy)
		where := "NetworkPolicy/" + np.Name
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil || sel.Empty() {
			t.Errorf("%s: podSelector %v must select this release's pods only (%v)", where, np.Spec.PodSelector, err)
			continue
		}
		n := 0
		for _, p := range owners {
			if sel.Matches(labels.Set(p.Labels)) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("%s: selects no pod of the release", where)
		}
		if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
			t.Errorf("%s: policyTypes %v, want Ingress and Egress", where, np.Spec.PolicyTypes)
		}
		if !egressAllowsPort(np, 53, corev1.ProtocolUDP) {
			t.Errorf("%s: no DNS egress", where)
		}
		for _, rule := range np.Spec.Ingress {
			for _, p := range rule.Ports {
				if p.Port != nil && p.Port.Type == intstr.String {
					for _, po := range owners {
						if sel.Matches(labels.Set(po.Labels)) && !hasNamedPort(po.Spec, p.Port.StrVal) {
							t.Errorf("%s: ingress port %q is not a named port of %s", where, p.Port.StrVal, po.Name)
						}
					}
				}
			}
		}
	}
	if len(nps) == 0 {
		return
	}
	// With NetworkPolicies on, every pod of the release is covered by one.
	for _, p := range owners {
		covered := false
		for _, o := range nps {
			np := o.Obj.(*networkingv1.NetworkPolicy)
			sel, _ := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
			covered = covered || sel.Matches(labels.Set(p.Labels))
		}
		if !covered {
			t.Errorf("%s/%s: no NetworkPolicy covers its pods", p.Kind, p.Name)
		}
	}
}

func hasNamedPort(s *corev1.PodSpec, name string) bool {
	for _, c := range s.Containers {
		for _, p := range c.Ports {
			if p.Name == name {
				return true
			}
		}
	}
	return false
}

func egressAllowsPort(np *networkingv1.NetworkPolicy, port int, proto corev1.Protocol) bool {
	for _, rule := range np.Spec.Egress {
		for _, p := range rule.Ports {
			pp := corev1.ProtocolTCP
			if p.Protocol != nil {
				pp = *p.Protocol
			}
			if p.Port != nil && p.Port.Type == intstr.Int && int(p.Port.IntVal) == port && pp == proto {
				return true
			}
		}
	}
	return false
}

// hook weights: the support resources, then migrations, then Temporal setup.
func checkHooks(t *testing.T, r *release) {
	t.Helper()
	weights := map[string]int{}
	for _, o := range r.Objects {
		h, ok := hookOf(o.Meta)
		if !ok {
			continue
		}
		where := o.Kind + "/" + o.Meta.Name
		if !slices.Contains(h.Delete, "before-hook-creation") {
			t.Errorf("%s: hook-delete-policy %v must include before-hook-creation (a Job's spec is immutable)", where, h.Delete)
		}
		for _, ev := range h.Events {
			if !slices.Contains([]string{"pre-install", "pre-upgrade", "pre-rollback", "test"}, ev) {
				t.Errorf("%s: unexpected hook event %q", where, ev)
			}
		}
		if o.Kind == "Job" {
			weights[o.Meta.Labels["app.kubernetes.io/component"]] = h.Weight
			if !slices.Contains(h.Events, "pre-install") || !slices.Contains(h.Events, "pre-upgrade") {
				t.Errorf("%s: a hook Job must run pre-install and pre-upgrade, has %v", where, h.Events)
			}
			if !slices.Contains(h.Delete, "hook-succeeded") {
				t.Errorf("%s: a succeeded Job should be deleted (hook-succeeded)", where)
			}
			j := o.Obj.(*batchv1.Job)
			if j.Spec.BackoffLimit == nil || j.Spec.ActiveDeadlineSeconds == nil {
				t.Errorf("%s: needs backoffLimit and activeDeadlineSeconds so a stuck hook fails instead of hanging", where)
			}
		}
		if o.Kind == "Pod" && (len(h.Events) != 1 || h.Events[0] != "test") {
			t.Errorf("%s: a Pod of this chart is a test hook only, has %v", where, h.Events)
		}
	}
	m, hasM := weights["migrations"]
	s, hasS := weights["temporal-setup"]
	if hasM && hasS && m >= s {
		t.Errorf("hook weights: migrations (%d) must run before temporal setup (%d)", m, s)
	}
}

// Secret values given in the values file appear only base64-encoded in Secrets,
// never in clear anywhere in the rendered output.
func checkSecretsStaySecret(t *testing.T, r *release, secrets []string, rendered string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(rendered, s) {
			t.Errorf("secret value %q appears in clear in the rendered manifests", s)
		}
		// the password part alone must not leak either
		if i := strings.Index(s, "@"); i > 0 && strings.Contains(s, "://") {
			userinfo := s[strings.Index(s, "://")+3 : i]
			if strings.Contains(rendered, userinfo) {
				t.Errorf("credentials %q appear in clear in the rendered manifests", userinfo)
			}
		}
		for _, o := range r.Objects {
			if o.Kind != "Secret" && strings.Contains(o.Raw, b64(s)) {
				t.Errorf("%s/%s contains a secret value (base64)", o.Kind, o.Meta.Name)
			}
		}
	}
}
