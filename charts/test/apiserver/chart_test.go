// Package apiserver tests the Helm chart in charts/closeloop on a real Kubernetes
// API server: kube-apiserver (built by `make kube-apiserver` from the version
// pinned in tools/kube-apiserver/go.mod) with etcd, RBAC and token authentication,
// every release namespace labelled pod-security.kubernetes.io/enforce, warn and
// audit=restricted. What it proves and what it does not: docs/deploy.md, "The
// chart on a real API server". Run by `make chart-test`.
package apiserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

const (
	chartDir    = "../../closeloop"
	releaseName = "closeloop"
	// monitoringNamespace is where ci/everything-values.yaml puts its ServiceMonitors.
	monitoringNamespace = "monitoring"
)

// restricted are the labels of every namespace the test creates: the Pod
// Security Standard "restricted" enforced (Pods are refused), and warned and
// audited (Deployments, Jobs, … whose pod template breaks it get a warning).
var restricted = map[string]string{
	"pod-security.kubernetes.io/enforce": "restricted",
	"pod-security.kubernetes.io/warn":    "restricted",
	"pod-security.kubernetes.io/audit":   "restricted",
}

// TestChartOnAPIServer installs and upgrades the chart with every ci/ values
// file (helm install/upgrade --no-hooks, each release in a namespace of its own)
// and checks every hook (Jobs, helm test Pods and what they need) with a
// server-side dry run; first without the Prometheus operator's API, where the
// ServiceMonitors must stay out and NOTES say why, then with a ServiceMonitor
// CRD, where an upgrade must create them. Any refusal fails, and so does any
// warning: a PodSecurity violation, an unknown or deprecated field.
func TestChartOnAPIServer(t *testing.T) {
	start := time.Now()
	c := startCluster(t)
	h := newHelm(t, c)
	files := ciValuesFiles(t)
	c.createNamespace(t, monitoringNamespace)
	for _, f := range files {
		c.createNamespace(t, f.namespace)
	}

	t.Run("without the ServiceMonitor API", func(t *testing.T) {
		for _, f := range files {
			t.Run(f.name, func(t *testing.T) {
				notes := h.mustRun(t, "install", releaseName, chartDir, "-n", f.namespace, "-f", f.path, "--no-hooks")
				if f.serviceMonitor && !strings.Contains(notes, "no ServiceMonitors: the cluster has no monitoring.coreos.com/v1") {
					t.Errorf("NOTES do not say that the ServiceMonitors were left out:\n%s", notes)
				}
				if n := len(h.manifestObjects(t, "manifest", f.namespace, "ServiceMonitor")); n != 0 {
					t.Errorf("%d ServiceMonitors in the release, but the cluster has no monitoring.coreos.com/v1", n)
				}
				c.checkHooks(t, h, f.namespace)
				h.mustRun(t, "upgrade", releaseName, chartDir, "-n", f.namespace, "-f", f.path, "--no-hooks")
				c.checkHooks(t, h, f.namespace)
			})
		}
	})
	if t.Failed() {
		return
	}

	c.installCRD(t, "testdata/servicemonitor-crd.yaml", "monitoring.coreos.com/v1", "ServiceMonitor")
	t.Run("with the ServiceMonitor API", func(t *testing.T) {
		for _, f := range files {
			t.Run(f.name, func(t *testing.T) {
				notes := h.mustRun(t, "upgrade", releaseName, chartDir, "-n", f.namespace, "-f", f.path, "--no-hooks")
				monitors := h.manifestObjects(t, "manifest", f.namespace, "ServiceMonitor")
				if f.serviceMonitor != (len(monitors) > 0) {
					t.Errorf("serviceMonitor.enabled=%v, but %d ServiceMonitors in the release", f.serviceMonitor, len(monitors))
				}
				if f.serviceMonitor && !strings.Contains(notes, "(ServiceMonitors created)") {
					t.Errorf("NOTES do not say that the ServiceMonitors were created:\n%s", notes)
				}
				for _, o := range monitors {
					ns := o.namespace(f.namespace)
					path, err := c.objectPath(o.apiVersion(), o.kind(), ns, o.name())
					if err != nil {
						t.Fatal(err)
					}
					if status, b, _, err := c.do(http.MethodGet, path, "", nil); err != nil || status != http.StatusOK {
						t.Errorf("ServiceMonitor %s/%s is not on the server: %d %v %s", ns, o.name(), status, err, statusMessage(b))
					}
				}
			})
		}
	})

	// The checks above see what they should: a pod template that breaks the
	// restricted standard gets a warning, and such a Pod is refused.
	t.Run("a PodSecurity violation is caught", func(t *testing.T) {
		ns := "crm-violation"
		c.createNamespace(t, ns)
		minimal := filepath.Join(chartDir, "ci", "minimal-values.yaml")
		_, stderr, err := h.run("install", releaseName, chartDir, "-n", ns, "-f", minimal, "--no-hooks",
			"--set-json", `customer.extraVolumes=[{"name":"host","hostPath":{"path":"/var/log"}}]`)
		if err != nil || !strings.Contains(stderr, "would violate PodSecurity") {
			t.Errorf("a hostPath volume: helm install (error %v) printed no PodSecurity warning:\n%s", err, stderr)
		}
		// The ServiceAccount admission plugin wants the Pod's ServiceAccount,
		// which the controller manager would have created.
		sa, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "default"}})
		c.mustDo(t, http.MethodPost, "/api/v1/namespaces/"+ns+"/serviceaccounts", "application/json", sa)
		pod := object{
			"apiVersion": "v1", "kind": "Pod",
			"metadata": map[string]any{"name": "no-security-context"},
			"spec":     map[string]any{"containers": []any{map[string]any{"name": "c", "image": "registry.example.com/c:1"}}},
		}
		if _, err := c.apply(pod, ns, true); err == nil || !strings.Contains(err.Error(), `violates PodSecurity "restricted:latest"`) {
			t.Errorf("a Pod without the restricted security context was not refused: %v", err)
		}
		job := object{
			"apiVersion": "batch/v1", "kind": "Job",
			"metadata": map[string]any{"name": "no-security-context"},
			"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
				"restartPolicy": "Never", "containers": pod["spec"].(map[string]any)["containers"],
			}}},
		}
		warnings, err := c.apply(job, ns, true)
		if err != nil || !strings.Contains(strings.Join(warnings, "\n"), `would violate PodSecurity "restricted:latest"`) {
			t.Errorf("a Job without the restricted security context: error %v, warnings %q", err, warnings)
		}
	})
	t.Logf("%d values files installed and upgraded in %s", len(files), time.Since(start).Round(time.Second))
}

// valuesFile is one ci/ values file and the namespace its release goes to.
type valuesFile struct {
	name, path, namespace string
	serviceMonitor        bool // serviceMonitor.enabled
}

func ciValuesFiles(t *testing.T) []valuesFile {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(chartDir, "ci", "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no ci values files (%v)", err)
	}
	var out []valuesFile
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			ServiceMonitor struct {
				Enabled bool `json:"enabled"`
			} `json:"serviceMonitor"`
		}
		if err := yaml.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		name := filepath.Base(p)
		out = append(out, valuesFile{
			name: name, path: p, serviceMonitor: v.ServiceMonitor.Enabled,
			namespace: "crm-" + strings.TrimSuffix(strings.TrimSuffix(name, ".yaml"), "-values"),
		})
	}
	return out
}

// createNamespace creates a namespace labelled for the restricted standard.
func (c *cluster) createNamespace(t *testing.T, name string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": name, "labels": restricted},
	})
	c.mustDo(t, http.MethodPost, "/api/v1/namespaces", "application/json", body)
}

// installCRD creates a CustomResourceDefinition and waits until discovery serves
// its kind.
func (c *cluster) installCRD(t *testing.T, file, apiVersion, kind string) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	body, err := yaml.YAMLToJSON(raw)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	c.mustDo(t, http.MethodPost, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", "application/json", body)
	deadline := time.Now().Add(time.Minute)
	for {
		c.forget()
		if _, err = c.resource(apiVersion, kind); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s not served a minute after its CRD was created: %v", apiVersion, kind, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkHooks checks every hook of the release with a server-side dry run, in the
// order Helm runs them (install and upgrade hooks by weight, then the helm test
// Pods). What hooks need before them and nothing runs (the hook ServiceAccount,
// Secret and NetworkPolicy) is then applied for real, as Helm would create it:
// the test Pods are admitted only if their ServiceAccount exists.
func (c *cluster) checkHooks(t *testing.T, h *helmCLI, namespace string) {
	t.Helper()
	hooks := h.manifestObjects(t, "hooks", namespace, "")
	if len(hooks) == 0 {
		t.Fatal("the release has no hooks (not even its helm test Pods)")
	}
	sort.SliceStable(hooks, func(i, j int) bool {
		ti, tj := hooks[i].isTestHook(), hooks[j].isTestHook()
		if ti != tj {
			return tj
		}
		return hooks[i].hookWeight() < hooks[j].hookWeight()
	})
	t.Logf("%d hooks: server-side dry run", len(hooks))
	for _, o := range hooks {
		where := o.kind() + "/" + o.name()
		warnings, err := c.apply(o, namespace, true)
		if err != nil {
			t.Errorf("hook %s refused (server-side dry run): %v", where, err)
			continue
		}
		if len(warnings) > 0 {
			t.Errorf("hook %s (server-side dry run): warnings %q", where, warnings)
		}
		if o.kind() == "Job" || o.kind() == "Pod" {
			continue
		}
		if warnings, err := c.apply(o, namespace, false); err != nil || len(warnings) > 0 {
			t.Errorf("hook %s: %v, warnings %q", where, err, warnings)
		}
	}
}

// apply sends obj with server-side apply and strict field validation (an unknown
// or duplicate field is an error), as a dry run (dryRun=All: validated and
// admitted, not stored) or for real. It returns the server's warnings.
func (c *cluster) apply(obj object, namespace string, dryRun bool) ([]string, error) {
	path, err := c.objectPath(obj.apiVersion(), obj.kind(), obj.namespace(namespace), obj.name())
	if err != nil {
		return nil, err
	}
	path += "?fieldManager=closeloop-chart-test&force=true&fieldValidation=Strict"
	if dryRun {
		path += "&dryRun=All"
	}
	body, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	status, b, warnings, err := c.do(http.MethodPatch, path, "application/apply-patch+yaml", body)
	if err != nil {
		return nil, err
	}
	if status >= 300 {
		return warnings, &apiError{status: status, msg: statusMessage(b)}
	}
	return warnings, nil
}

type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return strconv.Itoa(e.status) + " " + e.msg }

// object is one Kubernetes object as rendered by Helm.
type object map[string]any

func (o object) apiVersion() string { s, _ := o["apiVersion"].(string); return s }
func (o object) kind() string       { s, _ := o["kind"].(string); return s }
func (o object) meta() map[string]any {
	m, _ := o["metadata"].(map[string]any)
	return m
}
func (o object) name() string { s, _ := o.meta()["name"].(string); return s }

// namespace is the object's own namespace, else def.
func (o object) namespace(def string) string {
	if s, _ := o.meta()["namespace"].(string); s != "" {
		return s
	}
	return def
}

func (o object) annotation(key string) string {
	a, _ := o.meta()["annotations"].(map[string]any)
	s, _ := a[key].(string)
	return s
}

func (o object) isTestHook() bool {
	for _, e := range strings.Split(o.annotation("helm.sh/hook"), ",") {
		if strings.TrimSpace(e) == "test" || strings.TrimSpace(e) == "test-success" {
			return true
		}
	}
	return false
}

func (o object) hookWeight() int {
	w, _ := strconv.Atoi(o.annotation("helm.sh/hook-weight"))
	return w
}

// helmCLI runs bin/helm (HELM overrides it) against the cluster, with Helm's and
// client-go's caches and configuration in the test's directory.
type helmCLI struct {
	bin string
	env []string
}

func newHelm(t *testing.T, c *cluster) *helmCLI {
	t.Helper()
	bin := os.Getenv("HELM")
	if bin == "" {
		p, err := filepath.Abs("../../../bin/helm")
		if err != nil {
			t.Fatal(err)
		}
		bin = p
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("helm not found at %s: run `make chart-tools` (or set HELM)", bin)
	}
	env := append(os.Environ(), "KUBECONFIG="+c.kubeconfig, "KUBECACHEDIR="+filepath.Join(c.dir, "kube-cache"))
	for _, v := range []string{"HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"} {
		env = append(env, v+"="+filepath.Join(c.dir, "helm", strings.ToLower(v)))
	}
	return &helmCLI{bin: bin, env: env}
}

func (h *helmCLI) run(args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(h.bin, args...)
	cmd.Env = h.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// mustRun runs helm and fails the test if it fails or prints anything on
// stderr: the API server's warnings (PodSecurity, unknown or deprecated fields)
// come out there. It returns stdout (for install and upgrade: the NOTES).
func (h *helmCLI) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	start := time.Now()
	stdout, stderr, err := h.run(args...)
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	if strings.TrimSpace(stderr) != "" {
		t.Errorf("helm %s warned:\n%s", strings.Join(args, " "), stderr)
	}
	t.Logf("helm %s (%s)", strings.Join(args, " "), time.Since(start).Round(100*time.Millisecond))
	return stdout
}

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

// manifestObjects is what `helm get manifest` or `helm get hooks` (what) says the
// release holds, the objects of one kind only unless kind is "".
func (h *helmCLI) manifestObjects(t *testing.T, what, namespace, kind string) []object {
	t.Helper()
	out, stderr, err := h.run("get", what, releaseName, "-n", namespace)
	if err != nil {
		t.Fatalf("helm get %s: %v\n%s", what, err, stderr)
	}
	var objs []object
	for _, doc := range docSeparator.Split(out, -1) {
		var o object
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("helm get %s: %v\n%s", what, err, doc)
		}
		if o != nil && (kind == "" || o.kind() == kind) {
			objs = append(objs, o)
		}
	}
	return objs
}
