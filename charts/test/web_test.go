package charttest

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// webContainer renders the chart and returns the release and the web console's
// container.
func webContainer(t *testing.T, args ...string) (*release, corev1.Container) {
	t.Helper()
	rendered := mustRender(t, args...)
	r := parseRelease(t, rendered)
	o, ok := r.find("Deployment", releaseName+"-web")
	if !ok {
		t.Fatalf("no Deployment %s-web", releaseName)
	}
	return r, o.Obj.(*appsv1.Deployment).Spec.Template.Spec.Containers[0]
}

func secretRef(c corev1.Container, name string) *corev1.SecretKeySelector {
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom != nil {
			return e.ValueFrom.SecretKeyRef
		}
	}
	return nil
}

// TestWebConsoleIsOffByDefault: an install that says nothing of the console gets
// none (it needs a session key and its URL), and no Ingress.
func TestWebConsoleIsOffByDefault(t *testing.T) {
	r := parseRelease(t, mustRender(t, "-f", minimal))
	for _, o := range r.Objects {
		if o.Meta.Labels["app.kubernetes.io/component"] == "web" {
			t.Errorf("%s/%s rendered with web.enabled=false", o.Kind, o.Meta.Name)
		}
	}
	if n := len(r.ofKind("Ingress")); n != 0 {
		t.Errorf("%d Ingresses without the console", n)
	}
}

// TestWebConsoleEnvironment: the console gets the issuer, its client, the
// session key from the chart-created Secret, the Services of the three APIs it
// calls, the Temporal namespace and UI for links, its time zone, and nothing of
// Temporal's connection or a database.
func TestWebConsoleEnvironment(t *testing.T) {
	r, c := webContainer(t, append([]string{"-f", minimal, "--set", "temporal.uiURL=https://temporal.example.com",
		"--set", "web.defaultTimeZone=Asia/Shanghai", "--set", "web.sessionMaxAge=8h"}, withWeb...)...)
	want := map[string]string{
		"HTTP_ADDR":             ":8080",
		"OIDC_ISSUER_URL":       "https://login.example.com/realms/closeloop",
		"WEB_PUBLIC_URL":        "https://crm.example.com",
		"WEB_OIDC_CLIENT_ID":    "closeloop-web",
		"WEB_DEFAULT_TIME_ZONE": "Asia/Shanghai",
		"WEB_SESSION_MAX_AGE":   "8h",
		"TEMPORAL_UI_URL":       "https://temporal.example.com",
		"TEMPORAL_NAMESPACE":    "closeloop",
		"CUSTOMER_API_URL":      "http://" + releaseName + "-customer." + namespace + ".svc:80",
		"FOLLOWUP_API_URL":      "http://" + releaseName + "-followup." + namespace + ".svc:80",
		"SALES_API_URL":         "http://" + releaseName + "-sales." + namespace + ".svc:80",
	}
	for name, value := range want {
		if v, _ := envValue(c, name); v != value {
			t.Errorf("%s=%q, want %q", name, v, value)
		}
	}
	for _, name := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_TLS_ENABLED", "DATABASE_URL", "MIGRATE_ON_START", "WEB_OIDC_CLIENT_SECRET"} {
		if _, ok := envValue(c, name); ok {
			t.Errorf("%s is set; the console has no database, no Temporal connection and (here) no client secret", name)
		}
	}
	ref := secretRef(c, "WEB_SESSION_KEY")
	if ref == nil || ref.Name != releaseName+"-secrets" || ref.Key != "web-session-key" {
		t.Fatalf("WEB_SESSION_KEY from %+v, want key web-session-key of the chart-created Secret", ref)
	}
	so, _ := r.find("Secret", releaseName+"-secrets")
	if got := string(so.Obj.(*corev1.Secret).Data["web-session-key"]); got != testSessionKey {
		t.Errorf("Secret holds session key %q, want %q", got, testSessionKey)
	}
	// The hooks' copy of the Secret carries only what hooks read.
	if ho, ok := r.find("Secret", releaseName+"-hook-secrets"); ok {
		for k := range ho.Obj.(*corev1.Secret).Data {
			if strings.HasPrefix(k, "web-") {
				t.Errorf("the hook Secret carries %s, which no hook reads", k)
			}
		}
	}
}

// TestWebConsoleSecrets: with web.existingSecret the session key (and the
// client secret, optional: a public client has none) come from it and the chart
// creates no Secret for the console; a chart-created client secret is read from
// the chart's Secret.
func TestWebConsoleSecrets(t *testing.T) {
	r, c := webContainer(t, "-f", minimal, "--set", "web.enabled=true", "--set", "web.publicURL=https://crm.example.com",
		"--set", "web.existingSecret=crm-web", "--set", "database.existingSecret=crm-db",
		"--set-json", `database.urls={"customer":"","followup":"","sales":"","service":"","marketing":""}`)
	checkRelease(t, r, existing{Secrets: []string{"crm-web", "crm-db"}}, nil, "")
	if ref := secretRef(c, "WEB_SESSION_KEY"); ref == nil || ref.Name != "crm-web" || ref.Key != "web-session-key" || (ref.Optional != nil && *ref.Optional) {
		t.Errorf("WEB_SESSION_KEY from %+v, want the required key web-session-key of crm-web", ref)
	}
	if ref := secretRef(c, "WEB_OIDC_CLIENT_SECRET"); ref == nil || ref.Name != "crm-web" || ref.Key != "web-oidc-client-secret" || ref.Optional == nil || !*ref.Optional {
		t.Errorf("WEB_OIDC_CLIENT_SECRET from %+v, want the optional key web-oidc-client-secret of crm-web", ref)
	}
	if n := len(r.ofKind("Secret")); n != 0 {
		t.Errorf("%d Secrets rendered; every secret comes from existing ones", n)
	}

	const clientSecret = "a-confidential-client-secret"
	rendered := mustRender(t, append([]string{"-f", minimal, "--set", "web.oidc.clientSecret=" + clientSecret}, withWeb...)...)
	r = parseRelease(t, rendered)
	checkRelease(t, r, existing{}, []string{clientSecret, testSessionKey}, rendered)
	o, _ := r.find("Deployment", releaseName+"-web")
	c = o.Obj.(*appsv1.Deployment).Spec.Template.Spec.Containers[0]
	if ref := secretRef(c, "WEB_OIDC_CLIENT_SECRET"); ref == nil || ref.Name != releaseName+"-secrets" || ref.Key != "web-oidc-client-secret" {
		t.Errorf("WEB_OIDC_CLIENT_SECRET from %+v, want the chart-created Secret", ref)
	}
}

// TestWebConsolePublicURL: web.publicURL wins (without a trailing slash);
// otherwise the first Ingress host, https when a TLS entry covers it.
func TestWebConsolePublicURL(t *testing.T) {
	base := []string{"-f", minimal, "--set", "web.enabled=true", "--set", "web.sessionKey=" + testSessionKey}
	ingress := []string{"--set", "web.ingress.enabled=true", "--set", "web.ingress.hosts[0]=crm.example.com", "--set", "web.ingress.hosts[1]=crm.internal"}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"explicit", []string{"--set", "web.publicURL=https://console.example.com/"}, "https://console.example.com"},
		{"explicit wins over the Ingress", append(slices.Clone(ingress), "--set", "web.publicURL=http://127.0.0.1:8080"), "http://127.0.0.1:8080"},
		{"first host without TLS", ingress, "http://crm.example.com"},
		{"first host with TLS", append(slices.Clone(ingress), "--set", "web.ingress.tls[0].secretName=crm-tls", "--set", "web.ingress.tls[0].hosts[0]=crm.example.com"), "https://crm.example.com"},
		{"TLS on another host only", append(slices.Clone(ingress), "--set", "web.ingress.tls[0].hosts[0]=crm.internal"), "http://crm.example.com"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, c := webContainer(t, append(slices.Clone(base), tc.args...)...)
			if v, _ := envValue(c, "WEB_PUBLIC_URL"); v != tc.want {
				t.Errorf("WEB_PUBLIC_URL=%q, want %q", v, tc.want)
			}
		})
	}
}

// TestWebConsoleIngress: the Ingress sends every path of each host to the web
// Service (and nothing else of the release but the survey pages, see
// TestSurveyLinksReachOnlyTheSurveyPages, and the unsubscribe pages once email
// touches have a public URL, see TestUnsubscribeLinksReachOnlyTheUnsubscribePages),
// with the class, annotations and TLS given.
func TestWebConsoleIngress(t *testing.T) {
	rendered := mustRender(t, append([]string{"-f", minimal, "--set", "web.ingress.enabled=true",
		"--set", "web.ingress.className=nginx", "--set", "web.ingress.annotations.cert-manager\\.io/cluster-issuer=letsencrypt",
		"--set", "web.ingress.hosts[0]=crm.example.com", "--set", "web.ingress.hosts[1]=crm.internal",
		"--set", "web.ingress.tls[0].secretName=crm-tls", "--set", "web.ingress.tls[0].hosts[0]=crm.example.com"}, withWeb...)...)
	r := parseRelease(t, rendered)
	checkRelease(t, r, existing{}, []string{testSessionKey}, rendered)
	ings := r.ofKind("Ingress")
	if len(ings) != 1 {
		t.Fatalf("%d Ingresses, want 1", len(ings))
	}
	ing := ings[0].Obj.(*networkingv1.Ingress)
	if ing.Name != releaseName+"-web" || ing.Spec.IngressClassName == nil || *ing.Spec.IngressClassName != "nginx" ||
		ing.Annotations["cert-manager.io/cluster-issuer"] != "letsencrypt" {
		t.Errorf("Ingress %s: class %v, annotations %v", ing.Name, ing.Spec.IngressClassName, ing.Annotations)
	}
	var hosts []string
	for _, rule := range ing.Spec.Rules {
		hosts = append(hosts, rule.Host)
		last := rule.HTTP.Paths[len(rule.HTTP.Paths)-1]
		if len(rule.HTTP.Paths) != 1+len(surveyPaths) || last.Path != "/" || *last.PathType != networkingv1.PathTypePrefix ||
			last.Backend.Service.Name != releaseName+"-web" {
			t.Errorf("host %s: paths %+v, want the survey paths and / (Prefix) to the web Service", rule.Host, rule.HTTP.Paths)
		}
	}
	if !slices.Equal(hosts, []string{"crm.example.com", "crm.internal"}) {
		t.Errorf("hosts %v", hosts)
	}
	if len(ing.Spec.TLS) != 1 || ing.Spec.TLS[0].SecretName != "crm-tls" || !slices.Equal(ing.Spec.TLS[0].Hosts, []string{"crm.example.com"}) {
		t.Errorf("TLS %+v", ing.Spec.TLS)
	}
}

// TestWebConsoleNetworkPolicy: the console's pods accept its port from
// networkPolicy.webFrom (apiFrom when null) and from the release; they reach
// DNS, the issuer and the three APIs, but neither Temporal nor PostgreSQL; and
// the customer, followup and sales policies admit the console.
func TestWebConsoleNetworkPolicy(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		from string // namespace of the peer expected besides the release's pods
	}{
		{"webFrom null: apiFrom", []string{"--set-json", `networkPolicy.apiFrom=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"gateway"}}}]`}, "gateway"},
		{"webFrom", []string{"--set-json", `networkPolicy.webFrom=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"ingress-nginx"}}}]`}, "ingress-nginx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rendered := mustRender(t, append(append([]string{"-f", minimal, "--set", "networkPolicy.enabled=true"}, withWeb...), tc.args...)...)
			r := parseRelease(t, rendered)
			checkRelease(t, r, existing{}, []string{testSessionKey}, rendered)
			o, ok := r.find("NetworkPolicy", releaseName+"-web")
			if !ok {
				t.Fatal("no NetworkPolicy for the console")
			}
			np := o.Obj.(*networkingv1.NetworkPolicy)
			var namespaces []string
			for _, rule := range np.Spec.Ingress {
				for _, p := range rule.From {
					if p.NamespaceSelector != nil {
						namespaces = append(namespaces, p.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
					}
				}
			}
			if !slices.Equal(namespaces, []string{tc.from}) {
				t.Errorf("console ingress from namespaces %v, want %v", namespaces, []string{tc.from})
			}
			if egressAllowsPort(np, 7233, corev1.ProtocolTCP) || egressAllowsPort(np, 5432, corev1.ProtocolTCP) {
				t.Errorf("console egress %v reaches Temporal or PostgreSQL", np.Spec.Egress)
			}
			if !egressAllowsPort(np, 443, corev1.ProtocolTCP) {
				t.Errorf("console egress %v does not reach the issuer's port 443", np.Spec.Egress)
			}
			// Only the API components' policies read apiFrom.
			if tc.from == "ingress-nginx" {
				co, _ := r.find("NetworkPolicy", releaseName+"-customer")
				for _, rule := range co.Obj.(*networkingv1.NetworkPolicy).Spec.Ingress {
					for _, p := range rule.From {
						if p.NamespaceSelector != nil {
							t.Errorf("customer admits namespace %v; webFrom is for the console only", p.NamespaceSelector.MatchLabels)
						}
					}
				}
			}
			// The console reaches each API it calls, and that API admits it.
			wo, _ := r.find("Deployment", releaseName+"-web")
			web := wo.Obj.(*appsv1.Deployment)
			for _, callee := range []string{"customer", "followup", "sales"} {
				co, _ := r.find("Deployment", releaseName+"-"+callee)
				to := co.Obj.(*appsv1.Deployment)
				checkNetworkPath(t, r, "web → "+callee, podOwner{"Deployment", web.Name, &web.ObjectMeta, web.Spec.Template.Labels, &web.Spec.Template.Spec},
					to, int(to.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort))
			}
		})
	}
}
