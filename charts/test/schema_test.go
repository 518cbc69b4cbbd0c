package charttest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// minimal is a valid install; each case below breaks one thing on top of it.
var minimal = filepath.Join(chartDir, "ci", "minimal-values.yaml")

// TestSchemaRefuses: values.schema.json turns away wrong types, out-of-range
// numbers, unknown keys and malformed strings before anything is rendered.
func TestSchemaRefuses(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string // in helm's error
	}{
		{"negative replicas", []string{"--set", "customer.replicaCount=-1"}, "/customer/replicaCount': minimum"},
		{"replicas as a string", []string{"--set-string", "worker.replicaCount=two"}, "/worker/replicaCount': got string, want integer"},
		{"replicas as a fraction", []string{"--set-json", "sales.replicaCount=1.5"}, "/sales/replicaCount': got number, want integer"},
		{"unknown top-level key", []string{"--set", "replicas=3"}, "additional properties 'replicas' not allowed"},
		{"unknown component key", []string{"--set", "customer.replica=3"}, "additional properties 'replica' not allowed"},
		{"unknown nested key", []string{"--set", "temporal.tls.insecure=true"}, "additional properties 'insecure' not allowed"},
		{"database settings on the worker", []string{"--set", "worker.database.maxOpenConns=5"}, "additional properties 'database' not allowed"},
		{"a typo in a probe", []string{"--set", "customer.readinessProbe.periodSecond=5"}, "additional properties 'periodSecond' not allowed"},
		{"one workflow-task poller", []string{"--set", "worker.temporalWorker.workflowTaskPollers=1"}, "/worker/temporalWorker/workflowTaskPollers': minimum"},
		{"zero activity slots", []string{"--set", "customer.temporalWorker.maxConcurrentActivities=0"}, "/customer/temporalWorker/maxConcurrentActivities': minimum"},
		{"bulk slots beyond the bound", []string{"--set", "marketing.temporalWorker.bulkMaxConcurrentActivities=20000"}, "/marketing/temporalWorker/bulkMaxConcurrentActivities': maximum"},
		{"pollers as a string", []string{"--set-string", "sales.temporalWorker.activityTaskPollers=four"}, "/sales/temporalWorker/activityTaskPollers': got string, want integer"},
		{"a typo in the worker options", []string{"--set", "worker.temporalWorker.stickyCache=5"}, "additional properties 'stickyCache' not allowed"},
		{"the workflow cache at its old place", []string{"--set", "worker.workflowCacheSize=5000"}, "additional properties 'workflowCacheSize' not allowed"},
		{"unknown resource", []string{"--set", "customer.resources.requests.gpu=1"}, "additional properties 'gpu' not allowed"},
		{"malformed quantity", []string{"--set", "customer.resources.requests.cpu=lots"}, "/customer/resources/requests/cpu"},
		{"enabled as a string", []string{"--set-string", "marketing.enabled=yes"}, "/marketing/enabled': got string, want boolean"},
		{"log level", []string{"--set", "logLevel=verbose"}, "/logLevel'"},
		{"component log level", []string{"--set", "worker.logLevel=trace"}, "/worker/logLevel'"},
		{"service type", []string{"--set", "customer.service.type=ExternalName"}, "/customer/service/type'"},
		{"pull policy", []string{"--set", "image.pullPolicy=Sometimes"}, "/image/pullPolicy'"},
		{"port out of range", []string{"--set", "customer.containerPort=70000"}, "/customer/containerPort': maximum"},
		{"temporal address with a scheme", []string{"--set", "temporal.address=http://temporal:7233"}, "/temporal/address'"},
		{"temporal address without a port", []string{"--set", "temporal.address=temporal"}, "/temporal/address'"},
		{"issuer without a scheme", []string{"--set", "oidc.issuerURL=login.example.com"}, "/oidc/issuerURL'"},
		{"database URL of another kind", []string{"--set", "database.urls.customer=mysql://u:p@db/crm"}, "/database/urls/customer'"},
		{"followup database URL of another kind", []string{"--set", "database.urls.followup=sqlite:///data/followup.db"}, "/database/urls/followup'"},
		{"followup secret key with a slash", []string{"--set", "database.secretKeys.followup=followup/url"}, "/database/secretKeys/followup'"},
		{"unknown followup key", []string{"--set", "followup.replica=3"}, "additional properties 'replica' not allowed"},
		{"followup port out of range", []string{"--set", "followup.containerPort=0"}, "/followup/containerPort': minimum"},
		{"unknown service in urls", []string{"--set", "database.urls.billing=postgres://u:p@db/b"}, "additional properties 'billing' not allowed"},
		{"share above 1", []string{"--set-json", "policy.abc.aShare=1.5"}, "/policy/abc/aShare'"},
		{"share as a string", []string{"--set-string", "policy.abc.bShare=0.9"}, "/policy/abc/bShare': got string, want number"},
		{"duration in words", []string{"--set", "policy.reconcileInterval=15 minutes"}, "/policy/reconcileInterval'"},
		{"cron with too few fields", []string{"--set", "policy.abc.schedule.cron=0 2 *"}, "/policy/abc/schedule/cron'"},
		{"page size zero", []string{"--set", "policy.abc.pageSize=0"}, "/policy/abc/pageSize': minimum"},
		{"root user", []string{"--set", "runAsUser=0"}, "/runAsUser': minimum"},
		{"negative grace period", []string{"--set", "worker.terminationGracePeriodSeconds=-5"}, "/worker/terminationGracePeriodSeconds': minimum"},
		{"negative drain delay", []string{"--set", "customer.drainDelaySeconds=-1"}, "/customer/drainDelaySeconds': minimum"},
		{"zero CPU target", []string{"--set", "customer.autoscaling.targetCPUUtilizationPercentage=0"}, "targetCPUUtilizationPercentage': minimum"},
		{"zero max replicas", []string{"--set", "customer.autoscaling.maxReplicas=0"}, "/customer/autoscaling/maxReplicas': minimum"},
		{"negative maxUnavailable", []string{"--set", "worker.podDisruptionBudget.maxUnavailable=-1"}, "/worker/podDisruptionBudget/maxUnavailable'"},
		{"malformed percentage", []string{"--set", "worker.podDisruptionBudget.minAvailable=half"}, "/worker/podDisruptionBudget/minAvailable'"},
		{"malformed digest", []string{"--set", "customer.image.digest=abc123"}, "/customer/image/digest'"},
		{"pull secret as a string", []string{"--set-json", `imagePullSecrets=["regcred"]`}, "/imagePullSecrets/0': got string, want object"},
		{"extra env value not a string", []string{"--set-json", `customer.extraEnv=[{"name":"X","value":1}]`}, "/customer/extraEnv/0/value': got number, want string"},
		{"extra env without a name", []string{"--set-json", `customer.extraEnv=[{"value":"x"}]`}, "missing property 'name'"},
		{"extra env unknown field", []string{"--set-json", `sales.extraEnv=[{"name":"X","secret":"y"}]`}, "additional properties 'secret' not allowed"},
		{"annotation value not a string", []string{"--set-json", `customer.podAnnotations={"a":1}`}, "/customer/podAnnotations/a': got number, want string"},
		{"service monitor interval", []string{"--set", "serviceMonitor.interval=often"}, "/serviceMonitor/interval'"},
		{"postgres port out of range", []string{"--set-json", `networkPolicy.egress.postgresPorts=[0]`}, "/networkPolicy/egress/postgresPorts/0': minimum"},
		{"peers not a list", []string{"--set-json", `networkPolicy.apiFrom={"podSelector":{}}`}, "/networkPolicy/apiFrom': got object, want array"},
		{"web peers not a list", []string{"--set-json", `networkPolicy.webFrom={"podSelector":{}}`}, "/networkPolicy/webFrom'"},
		{"session key too short", []string{"--set", "web.sessionKey=c2hvcnQ="}, "/web/sessionKey'"},
		{"session key of 31 bytes", []string{"--set", "web.sessionKey=" + b64("thirty-one-bytes-of-session-key")}, "/web/sessionKey'"},
		{"public URL with a path", []string{"--set", "web.publicURL=https://crm.example.com/console"}, "/web/publicURL'"},
		{"public URL without a scheme", []string{"--set", "web.publicURL=crm.example.com"}, "/web/publicURL'"},
		{"time zone with a space", []string{"--set", "web.defaultTimeZone=Asia Shanghai"}, "/web/defaultTimeZone'"},
		{"session age in words", []string{"--set", "web.sessionMaxAge=12 hours"}, "/web/sessionMaxAge'"},
		{"empty client id", []string{"--set", "web.oidc.clientID="}, "/web/oidc/clientID'"},
		{"unknown web key", []string{"--set", "web.sessionSecret=x"}, "additional properties 'sessionSecret' not allowed"},
		{"database settings on the console", []string{"--set", "web.database.maxOpenConns=5"}, "additional properties 'database' not allowed"},
		{"ingress host with a scheme", []string{"--set", "web.ingress.hosts[0]=https://crm.example.com"}, "/web/ingress/hosts/0'"},
		{"ingress hosts as a string", []string{"--set-string", "web.ingress.hosts=crm.example.com"}, "/web/ingress/hosts': got string, want array"},
		{"unknown TLS field", []string{"--set-json", `web.ingress.tls=[{"secret":"crm-tls","hosts":["crm.example.com"]}]`}, "additional properties 'secret' not allowed"},
		{"session key name with a slash", []string{"--set", "web.secretKeys.sessionKey=web/key"}, "/web/secretKeys/sessionKey'"},
		{"SMTP TLS mode ssl", []string{"--set", "notifications.smtp.tls=ssl"}, "/notifications/smtp/tls'"},
		{"SMTP port out of range", []string{"--set", "notifications.smtp.port=70000"}, "/notifications/smtp/port': maximum"},
		{"SMTP port zero", []string{"--set", "notifications.smtp.port=0"}, "/notifications/smtp/port': minimum"},
		{"SMTP port as a string", []string{"--set-string", "notifications.smtp.port=587"}, "/notifications/smtp/port'"},
		{"SMTP host with a port", []string{"--set", "notifications.smtp.host=smtp.example.com:587"}, "/notifications/smtp/host'"},
		{"SMTP host with a scheme", []string{"--set", "notifications.smtp.host=smtp://smtp.example.com"}, "/notifications/smtp/host'"},
		{"sender without an address", []string{"--set", "notifications.smtp.from=Closeloop"}, "/notifications/smtp/from'"},
		{"SMTP timeout in words", []string{"--set", "notifications.smtp.timeout=30 seconds"}, "/notifications/smtp/timeout'"},
		{"EHLO name with a space", []string{"--set", "notifications.smtp.helo=crm example"}, "/notifications/smtp/helo'"},
		{"relative CA file", []string{"--set", "notifications.smtp.caFile=ca.pem"}, "/notifications/smtp/caFile'"},
		{"password key with a slash", []string{"--set", "notifications.smtp.passwordKey=smtp/password"}, "/notifications/smtp/passwordKey'"},
		{"unknown SMTP key", []string{"--set", "notifications.smtp.user=closeloop"}, "additional properties 'user' not allowed"},
		{"webhook switch as a string", []string{"--set-string", "notifications.webhooks.allowHTTP=yes"}, "/notifications/webhooks/allowHTTP': got string, want boolean"},
		{"console URL with a path", []string{"--set", "notifications.consoleURL=https://crm.example.com/console"}, "/notifications/consoleURL'"},
		{"SMTP peers not a list", []string{"--set-json", `networkPolicy.egress.smtpTo={"podSelector":{}}`}, "/networkPolicy/egress/smtpTo': got object, want array"},
		{"survey share above 1", []string{"--set-json", "surveys.sampleShare=1.5"}, "/surveys/sampleShare': maximum"},
		{"negative survey share", []string{"--set-json", "surveys.sampleShare=-0.1"}, "/surveys/sampleShare': minimum"},
		{"survey share as a string", []string{"--set-string", "surveys.sampleShare=0.5"}, "/surveys/sampleShare': got string, want number"},
		{"comment threshold above 6", []string{"--set", "surveys.commentRequiredBelow=7"}, "/surveys/commentRequiredBelow': maximum"},
		{"recovery threshold negative", []string{"--set", "surveys.recoveryBelow=-1"}, "/surveys/recoveryBelow': minimum"},
		{"no email attempt", []string{"--set", "surveys.emailAttempts=0"}, "/surveys/emailAttempts': minimum"},
		{"link lifetime in words", []string{"--set", "surveys.linkTTL=30 days"}, "/surveys/linkTTL'"},
		{"recovery retry zero", []string{"--set", "surveys.recoveryRetry=0s"}, "/surveys/recoveryRetry'"},
		{"survey URL without a scheme", []string{"--set", "surveys.publicURL=crm.example.com"}, "/surveys/publicURL'"},
		{"survey URL with a query", []string{"--set", "surveys.publicURL=https://crm.example.com/?x=1"}, "/surveys/publicURL'"},
		{"survey URL with a user", []string{"--set", "surveys.publicURL=https://me@crm.example.com"}, "/surveys/publicURL'"},
		{"survey ingress as a string", []string{"--set-string", "surveys.ingress=yes"}, "/surveys/ingress': got string, want boolean"},
		{"unknown survey key", []string{"--set", "surveys.delay=2h"}, "additional properties 'delay' not allowed"},
		{"unsubscribe ingress as a string", []string{"--set-string", "emailTouches.ingress=yes"}, "/emailTouches/ingress': got string, want boolean"},
		{"case update wait zero", []string{"--set", "policy.cases.updateWait=0"}, "/policy/cases/updateWait'"},
		{"case update wait 0s", []string{"--set", "policy.cases.updateWait=0s"}, "/policy/cases/updateWait'"},
		{"case start interval zero", []string{"--set", "policy.cases.startInterval=0ms"}, "/policy/cases/startInterval'"},
		{"unknown case key", []string{"--set", "policy.cases.wait=5s"}, "additional properties 'wait' not allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := helmTemplate(t, append([]string{"-f", minimal}, c.args...)...)
			if err == nil {
				t.Fatalf("helm accepted %v", c.args)
			}
			if !strings.Contains(out, "values don't meet the specifications of the schema") || !strings.Contains(out, c.want) {
				t.Errorf("helm refused %v, but not for %q:\n%s", c.args, c.want, out)
			}
		})
	}
}

// TestTemplateRules: the rules that relate several values, enforced with a message
// that names the value to change.
func TestTemplateRules(t *testing.T) {
	existingDB := []string{"--set", "temporal.address=t:7233", "--set", "oidc.issuerURL=https://id.example.com", "--set", "database.existingSecret=db"}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no values at all", nil, "temporal.address is required"},
		{"no issuer", []string{"--set", "temporal.address=t:7233", "--set", "database.existingSecret=db"}, "oidc.issuerURL is required"},
		{"no database", []string{"--set", "temporal.address=t:7233", "--set", "oidc.issuerURL=https://id.example.com"}, "the customer service needs a PostgreSQL URL"},
		{"one URL missing", []string{"-f", minimal, "--set", "database.urls.sales="}, "the sales service needs a PostgreSQL URL"},
		{"followup URL missing", []string{"-f", minimal, "--set", "database.urls.followup="}, `the followup service needs a PostgreSQL URL: set database.existingSecret (a Secret with key "followup-database-url")`},
		{"customer without followup", append(slicesClone(existingDB), "--set", "followup.enabled=false"), "with followup.enabled=false, add FOLLOWUP_API_URL (its base URL) to customer.extraEnv"},
		{"followup without customer", append(slicesClone(existingDB), "--set", "customer.enabled=false", "--set", "sales.enabled=false", "--set", "service.enabled=false"), "with customer.enabled=false, add CUSTOMER_API_URL (its base URL) to followup.extraEnv"},
		{"sales without customer", append(slicesClone(existingDB), "--set", "customer.enabled=false"), "with customer.enabled=false, add CUSTOMER_API_URL (its base URL) to sales.extraEnv"},
		{"URLs and existingSecret", []string{"-f", minimal, "--set", "database.existingSecret=db"}, "set one or the other"},
		{"API key twice", append(slicesClone(existingDB), "--set", "temporal.apiKey.existingSecret=k", "--set", "temporal.apiKey.value=v"), "temporal.apiKey.value is set together with"},
		{"A share not below B share", append(slicesClone(existingDB), "--set-json", "policy.abc.aShare=0.95"), "policy.abc.aShare (0.95) must be below policy.abc.bShare"},
		{"grace period too short", append(slicesClone(existingDB), "--set", "customer.terminationGracePeriodSeconds=30"), "customer.terminationGracePeriodSeconds (30) must exceed"},
		{"worker grace period too short", append(slicesClone(existingDB), "--set", "worker.shutdownTimeoutSeconds=60"), "worker.terminationGracePeriodSeconds (45) must exceed"},
		{"autoscaling min above max", append(slicesClone(existingDB), "--set", "worker.autoscaling.enabled=true", "--set", "worker.autoscaling.minReplicas=5", "--set", "worker.autoscaling.maxReplicas=3"), "worker.autoscaling.minReplicas (5) exceeds"},
		{"autoscaling without a metric", append(slicesClone(existingDB), "--set", "sales.autoscaling.enabled=true", "--set", "sales.autoscaling.targetCPUUtilizationPercentage=null"), "sales.autoscaling is enabled without a metric"},
		{"PDB without a bound", append(slicesClone(existingDB), "--set", "service.podDisruptionBudget.enabled=true", "--set", "service.podDisruptionBudget.maxUnavailable=null"), "service.podDisruptionBudget is enabled without"},
		{"console without a session key", append(slicesClone(existingDB), "--set", "web.enabled=true", "--set", "web.publicURL=https://crm.example.com"),
			`the web console needs a session key (base64 of 32 random bytes, e.g. ` + "`openssl rand -base64 32`" + `; every replica shares it): set web.existingSecret (a Secret with key "web-session-key") or, for a non-production install, web.sessionKey`},
		{"session key twice", append(slicesClone(existingDB), "--set", "web.enabled=true", "--set", "web.publicURL=https://crm.example.com", "--set", "web.existingSecret=w", "--set", "web.sessionKey="+testSessionKey),
			"web.sessionKey is set together with web.existingSecret"},
		{"client secret beside an existing Secret", append(slicesClone(existingDB), "--set", "web.enabled=true", "--set", "web.publicURL=https://crm.example.com", "--set", "web.existingSecret=w", "--set", "web.oidc.clientSecret=s"),
			`web.oidc.clientSecret is set together with web.existingSecret: put the client secret into that Secret under key "web-oidc-client-secret"`},
		{"console without its URL", append(slicesClone(existingDB), "--set", "web.enabled=true", "--set", "web.sessionKey="+testSessionKey), "web.publicURL is required"},
		{"Ingress without hosts", append(slicesClone(existingDB), "--set", "web.enabled=true", "--set", "web.sessionKey="+testSessionKey, "--set", "web.ingress.enabled=true"),
			"web.ingress.enabled needs at least one host in web.ingress.hosts"},
		{"console URL from a wildcard host", append(slicesClone(existingDB), "--set", "web.enabled=true", "--set", "web.sessionKey="+testSessionKey, "--set", "web.ingress.enabled=true", "--set", "web.ingress.hosts[0]=*.crm.example.com"),
			`web.publicURL is required: the first Ingress host "*.crm.example.com" is a wildcard`},
		{"console without sales", append(slicesClone(existingDB), append(slicesClone(withWeb), "--set", "sales.enabled=false")...),
			"the web console calls the sales service's API: with sales.enabled=false, add SALES_API_URL (its base URL) to web.extraEnv"},
		{"console without service", append(slicesClone(existingDB), append(slicesClone(withWeb), "--set", "service.enabled=false")...),
			"the web console calls the service service's API: with service.enabled=false, add SERVICE_API_URL (its base URL) to web.extraEnv"},
		{"relay without a sender", append(slicesClone(existingDB), "--set", "notifications.smtp.host=smtp.example.com"),
			"notifications.smtp.from is required with notifications.smtp.host"},
		{"SMTP user without a password", append(slicesClone(existingDB), append(slicesClone(withSMTP), "--set", "notifications.smtp.username=crm")...),
			`notifications.smtp.username needs a password: set notifications.smtp.existingSecret (a Secret with key "smtp-password") or, for a non-production install, notifications.smtp.password`},
		{"SMTP password without a user", append(slicesClone(existingDB), append(slicesClone(withSMTP), "--set", "notifications.smtp.existingSecret=smtp")...),
			"is set without notifications.smtp.username"},
		{"SMTP password twice", append(slicesClone(existingDB), append(slicesClone(withSMTP), "--set", "notifications.smtp.username=crm",
			"--set", "notifications.smtp.existingSecret=smtp", "--set", "notifications.smtp.password=p")...),
			"notifications.smtp.password is set together with notifications.smtp.existingSecret"},
		{"SMTP credentials in clear text", append(slicesClone(existingDB), append(slicesClone(withSMTP), "--set", "notifications.smtp.tls=none",
			"--set", "notifications.smtp.username=crm", "--set", "notifications.smtp.existingSecret=smtp")...),
			"notifications.smtp.tls is none with a username: the password would cross the network in clear text to smtp.example.com"},
		{"SMTP CA without TLS", append(slicesClone(existingDB), append(slicesClone(withSMTP), "--set", "notifications.smtp.tls=none",
			"--set", "notifications.smtp.caSecret.name=ca")...),
			"no certificate is checked without TLS"},
		{"two SMTP CA bundles", append(slicesClone(existingDB), append(slicesClone(withSMTP), "--set", "notifications.smtp.caFile=/etc/ca.pem",
			"--set", "notifications.smtp.caSecret.name=ca")...),
			"notifications.smtp.caFile is set together with notifications.smtp.caSecret.name"},
		{"survey link shorter than an hour", append(slicesClone(existingDB), "--set", "surveys.linkTTL=59m59s"),
			"surveys.linkTTL (59m59s) must be at least 1h"},
		{"survey link of 3599.5 seconds", append(slicesClone(existingDB), "--set", "surveys.linkTTL=3599.5s"),
			"surveys.linkTTL (3599.5s) must be at least 1h"},
		{"case start interval below a second", append(slicesClone(existingDB), "--set", "policy.cases.startInterval=999ms"),
			"policy.cases.startInterval (999ms) must be at least 1s"},
		{"recovery retry below a second", append(slicesClone(existingDB), "--set", "surveys.recoveryRetry=0.5s"),
			"surveys.recoveryRetry (0.5s) must be at least 1s"},
		{"console without an issuer", append(slicesClone(withWeb), "--set", "temporal.address=t:7233",
			"--set", "customer.enabled=false", "--set", "followup.enabled=false", "--set", "sales.enabled=false", "--set", "service.enabled=false", "--set", "marketing.enabled=false",
			"--set-json", `web.extraEnv=[{"name":"CUSTOMER_API_URL","value":"http://c"},{"name":"FOLLOWUP_API_URL","value":"http://f"},{"name":"SALES_API_URL","value":"http://s"},{"name":"SERVICE_API_URL","value":"http://v"},{"name":"MARKETING_API_URL","value":"http://m"}]`),
			"oidc.issuerURL is required: the web console signs users in with it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := helmTemplate(t, c.args...)
			if err == nil {
				t.Fatalf("helm accepted %v", c.args)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("helm refused %v, but not with %q:\n%s", c.args, c.want, out)
			}
		})
	}
	// Disabled components need neither a URL nor an issuer.
	mustRender(t, "--set", "temporal.address=t:7233", "--set", "customer.enabled=false", "--set", "followup.enabled=false",
		"--set", "sales.enabled=false", "--set", "service.enabled=false", "--set", "marketing.enabled=false")
	// The limits themselves are accepted, in any spelling of a Go duration.
	mustRender(t, append(slicesClone(existingDB), "--set", "surveys.linkTTL=59m60s", "--set", "policy.cases.startInterval=1000ms",
		"--set", "surveys.recoveryRetry=0.5s500ms", "--set", "policy.cases.updateWait=1ns", "--set-json", "surveys.sampleShare=0")...)
	// Credentials in clear text to a relay on the pod's own loopback (a sidecar)
	// never cross the network: allowed, as platform/mail allows them.
	mustRender(t, append(slicesClone(existingDB), "--set", "notifications.smtp.host=localhost", "--set", "notifications.smtp.tls=none",
		"--set", "notifications.smtp.from=Closeloop <crm@example.com>", "--set", "notifications.smtp.username=crm",
		"--set", "notifications.smtp.existingSecret=smtp")...)
}

// withSMTP turns the email channel on with the smallest valid relay settings.
var withSMTP = []string{"--set", "notifications.smtp.host=smtp.example.com", "--set", "notifications.smtp.from=Closeloop <crm@example.com>"}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// TestSchemaIsClosed: every object in values.schema.json refuses unknown keys,
// except the Kubernetes types passed through (the API server checks those), string
// maps (labels, annotations) and Helm's global.
func TestSchemaIsClosed(t *testing.T) {
	schema := readSchema(t)
	var walk func(path string, n map[string]any)
	walk = func(path string, n map[string]any) {
		if n["type"] == "object" {
			ap, has := n["additionalProperties"]
			desc, _ := n["description"].(string)
			switch {
			case has && ap == false:
			case has && isStringSchema(ap):
			case strings.Contains(desc, "passed through") || path == "/properties/global":
			default:
				t.Errorf("%s: an object schema without additionalProperties: false", path)
			}
		}
		for _, k := range []string{"properties", "definitions"} {
			if m, ok := n[k].(map[string]any); ok {
				for name, sub := range m {
					if sm, ok := sub.(map[string]any); ok {
						walk(path+"/"+k+"/"+name, sm)
					}
				}
			}
		}
		if desc, _ := n["description"].(string); strings.Contains(desc, "passed through") {
			return // Kubernetes types: the API server validates what is inside
		}
		for _, k := range []string{"items", "additionalProperties"} {
			if sm, ok := n[k].(map[string]any); ok {
				walk(path+"/"+k, sm)
			}
		}
	}
	walk("", schema)
}

func isStringSchema(v any) bool {
	m, ok := v.(map[string]any)
	return ok && m["type"] == "string"
}

func readSchema(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatalf("values.schema.json: %v", err)
	}
	return schema
}

// TestSchemaMatchesValues: values.yaml has every key the schema requires (helm
// already refuses values.yaml keys the schema lacks; this catches schema
// properties left behind when a value is removed).
func TestSchemaMatchesValues(t *testing.T) {
	schema := readSchema(t)
	defs := schema["definitions"].(map[string]any)
	resolve := func(n map[string]any) map[string]any {
		for {
			ref, ok := n["$ref"].(string)
			if !ok {
				return n
			}
			n = defs[strings.TrimPrefix(ref, "#/definitions/")].(map[string]any)
		}
	}
	values := loadYAML(t, filepath.Join(chartDir, "values.yaml"))
	var walk func(path string, v map[string]any, s map[string]any)
	walk = func(path string, v map[string]any, s map[string]any) {
		s = resolve(s)
		props, _ := s["properties"].(map[string]any)
		if props == nil {
			return // a map of free keys (labels, passthrough objects)
		}
		var missing []string
		required, _ := s["required"].([]any)
		for _, r := range required {
			name := r.(string)
			sub := props[name]
			child, ok := v[name]
			if !ok {
				missing = append(missing, path+name)
				continue
			}
			if cm, ok := child.(map[string]any); ok && len(cm) > 0 {
				walk(path+name+".", cm, sub.(map[string]any))
			}
		}
		sort.Strings(missing)
		for _, m := range missing {
			t.Errorf("the schema declares %s, which values.yaml does not have", m)
		}
	}
	walk("", values, schema)
}
