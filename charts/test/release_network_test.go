package charttest

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

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

// surveyPaths are the service component's pages customers open without login
// (a survey link), and unsubscribePaths the marketing component's (a campaign
// email's unsubscribe link): the only paths an Ingress of the chart sends
// elsewhere than to the web console.
var (
	surveyPaths      = []string{"/surveys", "/public/v1/surveys"}
	unsubscribePaths = []string{"/unsubscribe", "/public/v1/unsubscribe"}
)

// publicPathComponent is the component whose Deployment alone an Ingress path
// of the chart may reach: the service for a survey path, marketing for an
// unsubscribe path, else the web console.
func publicPathComponent(path string) string {
	switch {
	case slices.Contains(surveyPaths, path):
		return "service"
	case slices.Contains(unsubscribePaths, path):
		return "marketing"
	case path == "/codec": // the Temporal codec server (temporal.payloadEncryption.codecServer)
		return "worker"
	}
	return "web"
}

// checkIngresses: an Ingress of the chart exposes the web console and, of the
// service component, the survey paths only, and of the marketing component the
// unsubscribe paths only, and of the worker /codec (the Temporal codec server)
// only: each path goes to a rendered Service, on one of its
// named ports, that selects the web Deployment alone, or the service Deployment
// alone for a survey path, or the marketing Deployment alone for an unsubscribe
// path (both Prefix); each TLS host is a host of a rule. With NetworkPolicies
// on, the pods behind every path admit the peers from outside the release the
// console's pods admit (the ingress controller), on the Service's target port.
func checkIngresses(t *testing.T, r *release) {
	t.Helper()
	for _, o := range r.ofKind("Ingress") {
		ing := o.Obj.(*networkingv1.Ingress)
		where := "Ingress/" + ing.Name
		if ing.Spec.DefaultBackend != nil {
			t.Errorf("%s: a default backend exposes more than the console's hosts", where)
		}
		if len(ing.Spec.Rules) == 0 {
			t.Errorf("%s: no rules", where)
		}
		hosts := map[string]bool{}
		backends := map[string]*appsv1.Deployment{}
		for _, rule := range ing.Spec.Rules {
			hosts[rule.Host] = true
			for _, msg := range validation.IsFullyQualifiedDomainName(field.NewPath("host"), rule.Host) {
				t.Errorf("%s: host %q: %s", where, rule.Host, msg.Detail)
			}
			if rule.HTTP == nil || len(rule.HTTP.Paths) == 0 {
				t.Errorf("%s: host %q has no paths", where, rule.Host)
				continue
			}
			for _, p := range rule.HTTP.Paths {
				pw := fmt.Sprintf("%s host %q path %q", where, rule.Host, p.Path)
				if p.PathType == nil {
					t.Errorf("%s: no pathType", pw)
				}
				svc := p.Backend.Service
				if svc == nil {
					t.Errorf("%s: backend is not a Service", pw)
					continue
				}
				so, ok := r.find("Service", svc.Name)
				if !ok {
					t.Errorf("%s: no Service %s", pw, svc.Name)
					continue
				}
				s := so.Obj.(*corev1.Service)
				found := false
				for _, sp := range s.Spec.Ports {
					found = found || (svc.Port.Name != "" && sp.Name == svc.Port.Name) || (svc.Port.Number != 0 && sp.Port == svc.Port.Number)
				}
				if !found {
					t.Errorf("%s: Service %s has no port %v", pw, svc.Name, svc.Port)
				}
				want := publicPathComponent(p.Path)
				if want != "web" && (p.PathType == nil || *p.PathType != networkingv1.PathTypePrefix) {
					t.Errorf("%s: pathType %v, want Prefix (the token follows the path)", pw, p.PathType)
				}
				deps := selectedDeployments(r, labels.SelectorFromSet(s.Spec.Selector))
				if len(deps) != 1 || deps[0].Spec.Template.Labels["app.kubernetes.io/component"] != want {
					t.Errorf("%s: Service %s is not the %s component's; the Ingress exposes only the console, the survey pages, the unsubscribe pages and the codec server", pw, svc.Name, want)
					continue
				}
				backends[deps[0].Name] = deps[0]
			}
		}
		for _, tls := range ing.Spec.TLS {
			for _, h := range tls.Hosts {
				if !hosts[h] {
					t.Errorf("%s: TLS host %q is not a host of its rules", where, h)
				}
			}
		}
		checkIngressControllerReaches(t, r, where, backends)
	}
}

// checkIngressControllerReaches: with NetworkPolicies on, every peer outside the
// release that the web console's pods admit on their HTTP port (the ingress
// controller: networkPolicy.webFrom, or apiFrom) is admitted on the HTTP port of
// every Deployment an Ingress path goes to, or the controller could not reach
// the survey or unsubscribe pages.
func checkIngressControllerReaches(t *testing.T, r *release, where string, backends map[string]*appsv1.Deployment) {
	t.Helper()
	if len(r.ofKind("NetworkPolicy")) == 0 {
		return
	}
	var web *appsv1.Deployment
	for _, d := range backends {
		if d.Spec.Template.Labels["app.kubernetes.io/component"] == "web" {
			web = d
		}
	}
	if web == nil {
		return // reported above: every host's "/" goes to the console
	}
	httpPort := func(d *appsv1.Deployment) int {
		for _, p := range d.Spec.Template.Spec.Containers[0].Ports {
			if p.Name == "http" {
				return int(p.ContainerPort)
			}
		}
		return 0
	}
	external := func(p networkingv1.NetworkPolicyPeer) bool { return p.NamespaceSelector != nil || p.IPBlock != nil }
	for _, peer := range admittedPeers(r, web, httpPort(web)) {
		if !external(peer) {
			continue
		}
		for _, d := range backends {
			if !slices.ContainsFunc(admittedPeers(r, d, httpPort(d)), func(p networkingv1.NetworkPolicyPeer) bool { return reflect.DeepEqual(p, peer) }) {
				t.Errorf("%s: the console admits %+v, but the NetworkPolicies of %s, which the Ingress routes to, do not", where, peer, d.Name)
			}
		}
	}
}

// admittedPeers lists the peers of the NetworkPolicy ingress rules that select
// a Deployment's pods and admit its port (by number or as "http").
func admittedPeers(r *release, d *appsv1.Deployment, port int) []networkingv1.NetworkPolicyPeer {
	var out []networkingv1.NetworkPolicyPeer
	for _, o := range r.ofKind("NetworkPolicy") {
		np := o.Obj.(*networkingv1.NetworkPolicy)
		sel, _ := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			continue
		}
		for _, rule := range np.Spec.Ingress {
			if portsAdmit(rule.Ports, port, "http") {
				out = append(out, rule.From...)
			}
		}
	}
	return out
}
