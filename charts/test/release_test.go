package charttest

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	checkIngresses(t, r)
	checkSecretsStaySecret(t, r, secrets, rendered)
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
