package charttest

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

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
var secretEnv = []string{"DATABASE_URL", "TEMPORAL_API_KEY", "SMTP_PASSWORD"}

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
