{{/*
Names, labels and the pieces every workload shares. Helpers that need a component
take a dict: (dict "root" $ "component" "customer").
*/}}

{{/* The API components (HTTP API, own database, own activity worker), in migration order. */}}
{{- define "closeloop.apiComponents" -}}
customer followup sales service marketing
{{- end }}

{{/* Every component that becomes a Deployment. */}}
{{- define "closeloop.components" -}}
customer followup sales service marketing worker web
{{- end }}

{{/*
"true" when a component talks to Temporal: all but the web console, which only
links to the Temporal UI (no client, no task queue, no TLS material).
*/}}
{{- define "closeloop.usesTemporal" -}}
{{- if ne .component "web" }}true{{ end }}
{{- end }}

{{/*
Which component calls which API component's HTTP API (as the caller), and the
variable that carries the callee's base URL: "<caller>:<callee>:<variable>".
The chart points the variable at the callee's Service when the callee is in the
release (else the caller's extraEnv must set it), and the NetworkPolicies let
exactly these calls through. The web console calls the customer, followup,
sales and service APIs with the signed-in user's token. With the sales
service's own identity (serviceIdentity.salesClientID) sales also calls the
followup service: a new lead's first-contact follow-up, as the sales service.
*/}}
{{- define "closeloop.apiCalls" -}}
{{- if .Values.serviceIdentity.salesClientID }}sales:followup:FOLLOWUP_API_URL {{ end -}}
sales:customer:CUSTOMER_API_URL service:customer:CUSTOMER_API_URL followup:customer:CUSTOMER_API_URL customer:followup:FOLLOWUP_API_URL web:customer:CUSTOMER_API_URL web:followup:FOLLOWUP_API_URL web:sales:SALES_API_URL web:service:SERVICE_API_URL web:marketing:MARKETING_API_URL
{{- end }}

{{/* The API base-URL variables of a component: (dict "root" $ "component" "sales"). */}}
{{- define "closeloop.apiCallEnv" -}}
{{- $root := .root }}
{{- range $call := splitList " " (include "closeloop.apiCalls" .root) }}
{{- $p := splitList ":" $call }}
{{- if and (eq (index $p 0) $.component) (index $root.Values (index $p 1)).enabled }}
- name: {{ index $p 2 }}
  value: {{ include "closeloop.serviceURL" (dict "root" $root "component" (index $p 1)) | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
"true" when `helm test` runs `worker check`: it asks every service's task queue
(customer, followup, sales, service, marketing), so it needs tests.systemCheck,
the worker and every service enabled.
*/}}
{{- define "closeloop.systemCheck" -}}
{{- $root := . }}
{{- $all := and .Values.tests.systemCheck.enabled .Values.worker.enabled }}
{{- range $c := splitList " " (include "closeloop.apiComponents" .) }}
{{- if not (index $root.Values $c).enabled }}{{ $all = false }}{{ end }}
{{- end }}
{{- if $all }}true{{ end }}
{{- end }}

{{- define "closeloop.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "closeloop.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* "<fullname>-<component>", at most 63 characters. */}}
{{- define "closeloop.componentFullname" -}}
{{- printf "%s-%s" (include "closeloop.fullname" .root | trunc (int (sub 62 (len .component)))) .component | replace "--" "-" | trimSuffix "-" }}
{{- end }}

{{- define "closeloop.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels: name and instance only. The name carries the component
("closeloop-customer"), so every component's selector is distinct and stable
across upgrades (a Deployment's selector is immutable).
*/}}
{{- define "closeloop.selectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-%s" (include "closeloop.name" .root) .component | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end }}

{{- define "closeloop.labels" -}}
{{ include "closeloop.selectorLabels" . }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: {{ include "closeloop.name" .root }}
app.kubernetes.io/version: {{ .root.Values.image.tag | default .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "closeloop.chart" .root }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels every pod of this release carries (NetworkPolicies admit them to each other). */}}
{{- define "closeloop.releasePodLabels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: {{ include "closeloop.name" . }}
{{- end }}

{{- define "closeloop.serviceAccountName" -}}
{{- $c := index .root.Values .component -}}
{{- if $c.serviceAccount.create }}
{{- default (include "closeloop.componentFullname" .) $c.serviceAccount.name }}
{{- else }}
{{- default "default" $c.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Image reference of a component: registry/repository:tag, or @digest when pinned. */}}
{{- define "closeloop.image" -}}
{{- $c := index .root.Values .component -}}
{{- $repo := $c.image.repository }}
{{- with .root.Values.image.registry }}
{{- $repo = printf "%s/%s" (trimSuffix "/" .) $repo }}
{{- end }}
{{- if $c.image.digest }}
{{- printf "%s@%s" $repo $c.image.digest }}
{{- else }}
{{- printf "%s:%s" $repo ($c.image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* Secrets: the release Secret, its copy for hooks and tests, and where each value comes from. */}}
{{- define "closeloop.secretName" -}}
{{- printf "%s-secrets" (include "closeloop.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "closeloop.hookSecretName" -}}
{{- printf "%s-hook-secrets" (include "closeloop.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* "true" when any enabled API component needs a database URL from the chart-created Secret. */}}
{{- define "closeloop.chartDatabaseSecret" -}}
{{- $root := . }}
{{- if not .Values.database.existingSecret }}
{{- range $c := splitList " " (include "closeloop.apiComponents" .) }}
{{- if (index $root.Values $c).enabled }}true{{ end }}
{{- end }}
{{- end }}
{{- end }}

{{- define "closeloop.chartAPIKeySecret" -}}
{{- if and .Values.temporal.apiKey.value (not .Values.temporal.apiKey.existingSecret) }}true{{ end }}
{{- end }}

{{/* "true" when the web console's session key (and client secret) come from the chart-created Secret. */}}
{{- define "closeloop.chartWebSecret" -}}
{{- if and .Values.web.enabled (not .Values.web.existingSecret) .Values.web.sessionKey }}true{{ end }}
{{- end }}

{{/* "true" when hook Jobs and test Pods need the hook copy of the chart-created Secret. */}}
{{- define "closeloop.chartHookSecret" -}}
{{- if or (include "closeloop.chartDatabaseSecret" .) (include "closeloop.chartAPIKeySecret" .) (include "closeloop.chartPayloadKeysSecret" .) }}true{{ end }}
{{- end }}

{{/*
Payload encryption (temporal.payloadEncryption, docs/operations.md#payload-encryption):
"true" when a key ring is given, from an existing Secret or (non-production) inline.
Every pod that talks to Temporal, hooks and tests included, then gets
TEMPORAL_PAYLOAD_KEYS as a secretKeyRef.
*/}}
{{- define "closeloop.payloadEncryption" -}}
{{- $e := .Values.temporal.payloadEncryption }}
{{- if or $e.existingSecret $e.keys }}true{{ end }}
{{- end }}

{{- define "closeloop.chartPayloadKeysSecret" -}}
{{- $e := .Values.temporal.payloadEncryption }}
{{- if and $e.keys (not $e.existingSecret) }}true{{ end }}
{{- end }}

{{- define "closeloop.payloadKeysSecretName" -}}
{{- if .root.Values.temporal.payloadEncryption.existingSecret }}
{{- .root.Values.temporal.payloadEncryption.existingSecret }}
{{- else if .hook }}
{{- include "closeloop.hookSecretName" .root }}
{{- else }}
{{- include "closeloop.secretName" .root }}
{{- end }}
{{- end }}

{{/*
"true" when the worker serves the codec server (POST /codec/encode, /codec/decode)
for the Temporal UI and CLI: temporal.payloadEncryption.codecServer.enabled with
encryption on and the worker in the release.
*/}}
{{- define "closeloop.codecServer" -}}
{{- if and .Values.temporal.payloadEncryption.codecServer.enabled (include "closeloop.payloadEncryption" .) .Values.worker.enabled }}true{{ end }}
{{- end }}

{{/* "true" when the console's Ingress routes /codec to the worker's codec server. */}}
{{- define "closeloop.codecIngress" -}}
{{- $v := .Values }}
{{- if and (include "closeloop.codecServer" .) $v.temporal.payloadEncryption.codecServer.ingress $v.web.enabled $v.web.ingress.enabled $v.web.ingress.hosts }}true{{ end }}
{{- end }}

{{/*
The origins whose pages may call the codec server (CODEC_SERVER_CORS_ORIGINS):
codecServer.corsOrigins, else the origin (scheme://host[:port]) of temporal.uiURL;
"" for none.
*/}}
{{- define "closeloop.codecOrigins" -}}
{{- $cs := .Values.temporal.payloadEncryption.codecServer }}
{{- if $cs.corsOrigins }}
{{- join "," $cs.corsOrigins }}
{{- else if .Values.temporal.uiURL }}
{{- $u := urlParse .Values.temporal.uiURL }}
{{- printf "%s://%s" $u.scheme $u.host }}
{{- end }}
{{- end }}

{{/* The codec server's settings (the worker's Deployment). */}}
{{- define "closeloop.codecServerEnv" -}}
- name: CODEC_SERVER_ENABLED
  value: "true"
- name: CODEC_SERVER_CORS_ORIGINS
  value: {{ include "closeloop.codecOrigins" .root | quote }}
{{ include "closeloop.oidcEnv" . }}
{{- end }}

{{/* "true" when the SMTP password (of every pod that sends email) comes from the chart-created Secret. */}}
{{- define "closeloop.chartSMTPSecret" -}}
{{- $s := .Values.notifications.smtp }}
{{- if and (include "closeloop.smtpEnabled" .) $s.username $s.password (not $s.existingSecret) }}true{{ end }}
{{- end }}

{{- define "closeloop.chartSecret" -}}
{{- if or (include "closeloop.chartHookSecret" .) (include "closeloop.chartWebSecret" .) (include "closeloop.chartSMTPSecret" .) (include "closeloop.chartUnsubscribeSecret" .) }}true{{ end }}
{{- end }}

{{/*
The data of the chart-created Secret: what the hooks need (their copy holds only
this), the web console's keys, the SMTP password and the unsubscribe links'
signing key, which no hook reads.
*/}}
{{- define "closeloop.secretData" -}}
{{- include "closeloop.hookSecretData" . }}
{{- if include "closeloop.chartWebSecret" . }}
{{ .Values.web.secretKeys.sessionKey }}: {{ .Values.web.sessionKey | b64enc | quote }}
{{- with .Values.web.oidc.clientSecret }}
{{ $.Values.web.secretKeys.oidcClientSecret }}: {{ . | b64enc | quote }}
{{- end }}
{{- end }}
{{- if include "closeloop.chartSMTPSecret" . }}
{{ .Values.notifications.smtp.passwordKey }}: {{ .Values.notifications.smtp.password | b64enc | quote }}
{{- end }}
{{- if include "closeloop.chartUnsubscribeSecret" . }}
{{ .Values.emailTouches.secretKey }}: {{ .Values.emailTouches.key | b64enc | quote }}
{{- end }}
{{- end }}

{{/* The data of the hook copy: database URLs, the Temporal API key and payload keys. */}}
{{- define "closeloop.hookSecretData" -}}
{{- $root := . }}
{{- if include "closeloop.chartDatabaseSecret" . }}
{{- range $c := splitList " " (include "closeloop.apiComponents" .) }}
{{- if (index $root.Values $c).enabled }}
{{ index $root.Values.database.secretKeys $c }}: {{ index $root.Values.database.urls $c | b64enc | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- if include "closeloop.chartAPIKeySecret" . }}
{{ .Values.temporal.apiKey.existingSecretKey }}: {{ .Values.temporal.apiKey.value | b64enc | quote }}
{{- end }}
{{- if include "closeloop.chartPayloadKeysSecret" . }}
{{ .Values.temporal.payloadEncryption.existingSecretKey }}: {{ .Values.temporal.payloadEncryption.keys | b64enc | quote }}
{{- end }}
{{- end }}

{{/* Name of the Secret holding the database URLs; hooks read the hook copy. */}}
{{- define "closeloop.databaseSecretName" -}}
{{- if .root.Values.database.existingSecret }}
{{- .root.Values.database.existingSecret }}
{{- else if .hook }}
{{- include "closeloop.hookSecretName" .root }}
{{- else }}
{{- include "closeloop.secretName" .root }}
{{- end }}
{{- end }}

{{- define "closeloop.apiKeySecretName" -}}
{{- if .root.Values.temporal.apiKey.existingSecret }}
{{- .root.Values.temporal.apiKey.existingSecret }}
{{- else if .hook }}
{{- include "closeloop.hookSecretName" .root }}
{{- else }}
{{- include "closeloop.secretName" .root }}
{{- end }}
{{- end }}

{{- define "closeloop.hasAPIKey" -}}
{{- if or .Values.temporal.apiKey.existingSecret .Values.temporal.apiKey.value }}true{{ end }}
{{- end }}

{{- define "closeloop.temporalTLSFiles" -}}
{{- if or .Values.temporal.tls.caSecret.name .Values.temporal.tls.clientCertSecret.name }}true{{ end }}
{{- end }}

{{- define "closeloop.temporalTLS" -}}
{{- if or .Values.temporal.tls.enabled (include "closeloop.temporalTLSFiles" .) (include "closeloop.hasAPIKey" .) }}true{{ end }}
{{- end }}

{{/* Port of the Temporal frontend, from temporal.address (7233 when it names none). */}}
{{- define "closeloop.temporalPort" -}}
{{- $p := regexFind ":[0-9]+$" .Values.temporal.address | trimPrefix ":" -}}
{{- default "7233" $p }}
{{- end }}

{{/* Port of a URL: explicit, else 443 for https and 80 for http; "" for no URL. */}}
{{- define "closeloop.urlPort" -}}
{{- if .url }}
{{- $hostport := .url }}
{{- $scheme := "" }}
{{- if contains "://" .url }}
{{- $u := urlParse .url }}
{{- $hostport = $u.host }}
{{- $scheme = $u.scheme }}
{{- end }}
{{- $p := regexFind ":[0-9]+$" $hostport | trimPrefix ":" -}}
{{- if $p }}{{ $p }}{{ else if eq $scheme "http" }}80{{ else if eq $scheme "https" }}443{{ else }}{{ .default }}{{ end }}
{{- end }}
{{- end }}

{{/*
Seconds in a Go duration ("1h30m", "500ms", "0"), as a float, for comparisons
(the schema has already checked the form).
*/}}
{{- define "closeloop.durationSeconds" -}}
{{- $unit := dict "h" 3600.0 "m" 60.0 "s" 1.0 "ms" 0.001 "us" 0.000001 "µs" 0.000001 "ns" 0.000000001 }}
{{- $total := 0.0 }}
{{- range regexFindAll "[0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h)" . -1 }}
{{- $n := regexFind "^[0-9]+(\\.[0-9]+)?" . }}
{{- $total = addf $total (mulf (float64 $n) (index $unit (trimPrefix $n .))) }}
{{- end }}
{{- $total }}
{{- end }}

{{/* Go duration from seconds. */}}
{{- define "closeloop.seconds" -}}
{{- printf "%ds" (int .) }}
{{- end }}

{{/*
Temporal connection settings, identical in every pod that talks to Temporal (the
payload key ring too: a pod without it could not read what the others wrote).
*/}}
{{- define "closeloop.temporalEnv" -}}
{{- $v := .root.Values.temporal -}}
- name: TEMPORAL_ADDRESS
  value: {{ $v.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ $v.namespace | quote }}
- name: TEMPORAL_DIAL_TIMEOUT
  value: {{ $v.dialTimeout | quote }}
- name: TEMPORAL_TLS_ENABLED
  value: {{ include "closeloop.temporalTLS" .root | eq "true" | quote }}
{{- with $v.tls.serverName }}
- name: TEMPORAL_TLS_SERVER_NAME
  value: {{ . | quote }}
{{- end }}
{{- if $v.tls.caSecret.name }}
- name: TEMPORAL_TLS_CA_FILE
  value: /etc/closeloop/temporal-tls/ca.crt
{{- end }}
{{- if $v.tls.clientCertSecret.name }}
- name: TEMPORAL_TLS_CERT_FILE
  value: /etc/closeloop/temporal-tls/tls.crt
- name: TEMPORAL_TLS_KEY_FILE
  value: /etc/closeloop/temporal-tls/tls.key
{{- end }}
{{- if include "closeloop.hasAPIKey" .root }}
- name: TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "closeloop.apiKeySecretName" . }}
      key: {{ $v.apiKey.existingSecretKey }}
{{- end }}
{{- if include "closeloop.payloadEncryption" .root }}
- name: TEMPORAL_PAYLOAD_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ include "closeloop.payloadKeysSecretName" . }}
      key: {{ $v.payloadEncryption.existingSecretKey }}
{{- end }}
{{- end }}

{{/* Database settings of an API component. */}}
{{- define "closeloop.databaseEnv" -}}
{{- $c := index .root.Values .component -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "closeloop.databaseSecretName" . }}
      key: {{ index .root.Values.database.secretKeys .component }}
- name: DB_MAX_OPEN_CONNS
  value: {{ int64 $c.database.maxOpenConns | toString | quote }}
- name: DB_MAX_IDLE_CONNS
  value: {{ int64 $c.database.maxIdleConns | toString | quote }}
- name: DB_CONN_MAX_LIFETIME
  value: {{ $c.database.connMaxLifetime | quote }}
- name: DB_SLOW_QUERY
  value: {{ $c.database.slowQuery | quote }}
{{- end }}

{{- define "closeloop.oidcEnv" -}}
- name: OIDC_ISSUER_URL
  value: {{ .root.Values.oidc.issuerURL | quote }}
- name: OIDC_AUDIENCE
  value: {{ .root.Values.oidc.audience | quote }}
{{- include "closeloop.oidcInsecureEnv" . }}
{{- end }}

{{/*
OIDC_ALLOW_INSECURE_ISSUER, only when oidc.allowInsecureIssuer is on: without it
the services (and the console) refuse an http:// issuer that is not on a
loopback address. closeloop.validate fails the render first.
*/}}
{{- define "closeloop.oidcInsecureEnv" -}}
{{- if .root.Values.oidc.allowInsecureIssuer }}
- name: OIDC_ALLOW_INSECURE_ISSUER
  value: "true"
{{- end }}
{{- end }}

{{- define "closeloop.commonEnv" -}}
{{- $c := index .root.Values .component -}}
- name: LOG_LEVEL
  value: {{ $c.logLevel | default .root.Values.logLevel | quote }}
{{- with .root.Values.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- end }}

{{/*
Settings only the customer service reads. It reads business calendars and closes
first-contact follow-ups through the followup service's API (FOLLOWUP_API_URL,
from closeloop.apiCallEnv).
*/}}
{{- define "closeloop.customerEnv" -}}
{{- $p := .root.Values.policy -}}
- name: ABC_A_SHARE
  value: {{ $p.abc.aShare | toString | quote }}
- name: ABC_B_SHARE
  value: {{ $p.abc.bShare | toString | quote }}
- name: ABC_PAGE_SIZE
  value: {{ int64 $p.abc.pageSize | toString | quote }}
- name: VISIT_ALLOW_NON_WORKING_DAYS
  value: {{ $p.visits.allowNonWorkingDays | toString | quote }}
- name: VISIT_DEFAULT_START
  value: {{ $p.visits.defaultStart | quote }}
- name: VISIT_DEFAULT_DURATION
  value: {{ $p.visits.defaultDuration | quote }}
- name: VISIT_DECISION_WAIT
  value: {{ $p.visits.decisionWait | quote }}
{{- include "closeloop.serviceCallersEnv" .root }}
{{- end }}

{{/*
SERVICE_CALLERS of the customer and followup services: the sales service's
own client (serviceIdentity.salesClientID), whose tokens may call their
routes for services; nothing without it.
*/}}
{{- define "closeloop.serviceCallersEnv" -}}
{{- with .Values.serviceIdentity.salesClientID }}
- name: SERVICE_CALLERS
  value: {{ . | quote }}
{{- end }}
{{- end }}

{{/*
Settings only the followup service (the follow-up engine) reads. It looks
customers up through the customer service's API (CUSTOMER_API_URL, from
closeloop.apiCallEnv), and delivers notifications: by email through the SMTP
relay of notifications.smtp (nothing SMTP_* while its host is empty), and to
webhook subscriptions; CONSOLE_URL is the base of the links in both.
*/}}
{{- define "closeloop.followupEnv" -}}
{{- $p := .root.Values.policy -}}
{{- $n := .root.Values.notifications -}}
- name: TEMPORAL_UI_URL
  value: {{ .root.Values.temporal.uiURL | quote }}
- name: FOLLOWUP_OPEN_WAIT
  value: {{ $p.followUpOpenWait | quote }}
- name: DEFAULT_CALENDAR_COUNTRY
  value: {{ $p.defaultCalendarCountry | quote }}
{{- with include "closeloop.consoleURL" .root }}
- name: CONSOLE_URL
  value: {{ . | quote }}
{{- end }}
- name: WEBHOOK_ALLOW_PRIVATE
  value: {{ $n.webhooks.allowPrivate | toString | quote }}
- name: WEBHOOK_ALLOW_HTTP
  value: {{ $n.webhooks.allowHTTP | toString | quote }}
{{- include "closeloop.serviceCallersEnv" .root }}
{{- if include "closeloop.sendsMail" . }}
{{ include "closeloop.smtpEnv" . }}
{{- end }}
{{- end }}

{{/*
Settings only the service component (after-sales) reads: how long a change of a
case waits for its workflow, how often cases filed while Temporal was unreachable
get their workflows started, and the satisfaction surveys (surveys.*), emailed
through the SMTP relay of notifications.smtp when the service has a survey URL
(closeloop.surveyPublicURL). It looks customers up through the customer service's
API (CUSTOMER_API_URL, from closeloop.apiCallEnv).
*/}}
{{- define "closeloop.serviceEnv" -}}
{{- $cases := .root.Values.policy.cases -}}
{{- $s := .root.Values.surveys -}}
- name: UPDATE_WAIT
  value: {{ $cases.updateWait | quote }}
- name: CASE_START_INTERVAL
  value: {{ $cases.startInterval | quote }}
{{- $d := .root.Values.departments }}
- name: DEPARTMENTS
  value: {{ printf "sales=%s;service=%s;marketing=%s" (join "," $d.sales) (join "," $d.service) (join "," $d.marketing) | quote }}
- name: SURVEY_SAMPLE_SHARE
  value: {{ $s.sampleShare | toString | quote }}
- name: SURVEY_COMMENT_REQUIRED_BELOW
  value: {{ int64 $s.commentRequiredBelow | toString | quote }}
- name: SURVEY_RECOVERY_BELOW
  value: {{ int64 $s.recoveryBelow | toString | quote }}
- name: SURVEY_LINK_TTL
  value: {{ $s.linkTTL | quote }}
{{- with include "closeloop.surveyPublicURL" .root }}
- name: SURVEY_PUBLIC_BASE_URL
  value: {{ . | quote }}
{{- end }}
- name: SURVEY_EMAIL_ATTEMPTS
  value: {{ int64 $s.emailAttempts | toString | quote }}
- name: SURVEY_RECOVERY_RETRY
  value: {{ $s.recoveryRetry | quote }}
{{- if include "closeloop.sendsMail" . }}
{{ include "closeloop.smtpEnv" . }}
{{- end }}
{{- end }}

{{/*
"true" when the chart's Ingress (the console's) routes the survey paths,
/surveys and /public/v1/surveys, to the service component.
*/}}
{{- define "closeloop.surveysIngress" -}}
{{- $v := .Values }}
{{- if and $v.surveys.ingress $v.service.enabled $v.web.enabled $v.web.ingress.enabled $v.web.ingress.hosts }}true{{ end }}
{{- end }}

{{/*
The base URL of the survey links customers get (SURVEY_PUBLIC_BASE_URL):
surveys.publicURL, else the console's URL when the console's Ingress routes the
survey paths to the service (closeloop.surveysIngress); "" for none (no survey
emails: the links go on the cases' timelines for staff).
*/}}
{{- define "closeloop.surveyPublicURL" -}}
{{- if .Values.surveys.publicURL }}
{{- trimSuffix "/" .Values.surveys.publicURL }}
{{- else if include "closeloop.surveysIngress" . }}
{{- include "closeloop.webPublicURL" . }}
{{- end }}
{{- end }}

{{/*
The SMTP relay (platform/mail): SMTP_PASSWORD only ever as a secretKeyRef, to
notifications.smtp.existingSecret or the chart-created Secret; the CA bundle from
notifications.smtp.caSecret (mounted, see closeloop.volumes) or caFile. Rendered
for each component closeloop.sendsMail names: (dict "root" $ "component" "followup").
*/}}
{{- define "closeloop.smtpEnv" -}}
{{- $s := .root.Values.notifications.smtp -}}
- name: SMTP_HOST
  value: {{ $s.host | quote }}
- name: SMTP_PORT
  value: {{ include "closeloop.smtpPort" .root | quote }}
- name: SMTP_TLS
  value: {{ $s.tls | quote }}
- name: SMTP_FROM
  value: {{ $s.from | quote }}
- name: SMTP_TIMEOUT
  value: {{ $s.timeout | quote }}
{{- with $s.helo }}
- name: SMTP_HELO
  value: {{ . | quote }}
{{- end }}
{{- if $s.caSecret.name }}
- name: SMTP_TLS_CA_FILE
  value: /etc/closeloop/smtp-tls/ca.crt
{{- else if $s.caFile }}
- name: SMTP_TLS_CA_FILE
  value: {{ $s.caFile | quote }}
{{- end }}
{{- if $s.username }}
- name: SMTP_USERNAME
  value: {{ $s.username | quote }}
- name: SMTP_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $s.existingSecret | default (include "closeloop.secretName" .root) }}
      key: {{ $s.passwordKey }}
{{- end }}
{{- end }}

{{/*
"true" when a component sends email through notifications.smtp: (dict "root" $
"component" "followup"). The followup service (notifications) does whenever
notifications.smtp.host is set; the service component (satisfaction surveys) only
when it also has a survey URL (closeloop.surveyPublicURL): without one it emails
nothing, so it gets neither the relay's password nor egress to it.
*/}}
{{- define "closeloop.sendsMail" -}}
{{- $v := .root.Values }}
{{- if and $v.notifications.smtp.host (index $v .component).enabled }}
{{- if eq .component "followup" }}true
{{- else if and (eq .component "service") (include "closeloop.surveyPublicURL" .root) }}true
{{- end }}
{{- end }}
{{- end }}

{{/* "true" when some component of the release sends email (closeloop.sendsMail). */}}
{{- define "closeloop.smtpEnabled" -}}
{{- $root := . }}
{{- range $c := list "followup" "service" }}
{{- if include "closeloop.sendsMail" (dict "root" $root "component" $c) }}true{{ end }}
{{- end }}
{{- end }}

{{/* The SMTP port: notifications.smtp.port, else the TLS mode's usual one (as platform/mail does). */}}
{{- define "closeloop.smtpPort" -}}
{{- $s := .Values.notifications.smtp -}}
{{- if not (kindIs "invalid" $s.port) }}{{ int64 $s.port }}
{{- else if eq $s.tls "tls" }}465
{{- else if eq $s.tls "none" }}25
{{- else }}587
{{- end }}
{{- end }}

{{/*
The web console's URL for links in notifications: notifications.consoleURL, else
the console's own URL (closeloop.webPublicURL) when it is in the release; "" for
no links.
*/}}
{{- define "closeloop.consoleURL" -}}
{{- if .Values.notifications.consoleURL }}
{{- trimSuffix "/" .Values.notifications.consoleURL }}
{{- else if .Values.web.enabled }}
{{- include "closeloop.webPublicURL" . }}
{{- end }}
{{- end }}

{{/*
Settings only the marketing service reads: the marketing department's teams
(departments.marketing: their reps are marketers, their managers approve
campaigns) and what its email touches need (emailTouches: the unsubscribe links'
public URL, lifetime and signing key, UNSUBSCRIBE_KEY only ever as a
secretKeyRef, to emailTouches.existingSecret or the chart-created Secret).
*/}}
{{- define "closeloop.marketingEnv" -}}
{{- $e := .root.Values.emailTouches -}}
- name: MARKETING_TEAMS
  value: {{ join "," .root.Values.departments.marketing | quote }}
- name: UNSUBSCRIBE_LINK_TTL
  value: {{ $e.linkTTL | quote }}
{{- with $e.publicURL }}
- name: UNSUBSCRIBE_PUBLIC_BASE_URL
  value: {{ trimSuffix "/" . | quote }}
{{- end }}
{{- if or $e.existingSecret $e.key }}
- name: UNSUBSCRIBE_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $e.existingSecret | default (include "closeloop.secretName" .root) }}
      key: {{ $e.secretKey }}
{{- end }}
{{- end }}

{{/*
"true" when the chart's Ingress (the console's) routes the unsubscribe paths,
/unsubscribe and /public/v1/unsubscribe, to the marketing component: email
touches have a public URL (emailTouches.publicURL) and emailTouches.ingress is on.
*/}}
{{- define "closeloop.unsubscribeIngress" -}}
{{- $v := .Values }}
{{- if and $v.emailTouches.ingress $v.emailTouches.publicURL $v.marketing.enabled $v.web.enabled $v.web.ingress.enabled $v.web.ingress.hosts }}true{{ end }}
{{- end }}

{{/* "true" when the unsubscribe links' signing key comes from the chart-created Secret. */}}
{{- define "closeloop.chartUnsubscribeSecret" -}}
{{- $e := .Values.emailTouches }}
{{- if and .Values.marketing.enabled $e.key (not $e.existingSecret) }}true{{ end }}
{{- end }}

{{/*
Settings only the sales service reads. It looks customers up through the customer
service's API (CUSTOMER_API_URL, from closeloop.apiCallEnv).
*/}}
{{- define "closeloop.salesEnv" -}}
{{- $p := .root.Values.policy -}}
{{- $si := .root.Values.serviceIdentity -}}
- name: TEMPORAL_UI_URL
  value: {{ .root.Values.temporal.uiURL | quote }}
{{- if $si.salesClientID }}
- name: SERVICE_CLIENT_ID
  value: {{ $si.salesClientID | quote }}
- name: SERVICE_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $si.existingSecret }}
      key: {{ $si.secretKey }}
{{- end }}
{{- with $p.leadCreateWait }}
- name: LEAD_CREATE_WAIT
  value: {{ . | quote }}
{{- end }}
{{- with $p.workflowUpdateWait }}
- name: WORKFLOW_UPDATE_WAIT
  value: {{ . | quote }}
{{- end }}
{{- end }}

{{/*
Settings only the web console reads. It signs users in with the OIDC issuer
(authorization code + PKCE) as client web.oidc.clientID, keeps the session in a
cookie encrypted with WEB_SESSION_KEY, and calls the customer, followup and sales
APIs (their URLs from closeloop.apiCallEnv). TEMPORAL_NAMESPACE and
TEMPORAL_UI_URL only build links to workflows: it never connects to Temporal.
*/}}
{{- define "closeloop.webEnv" -}}
{{- $w := .root.Values.web -}}
- name: OIDC_ISSUER_URL
  value: {{ .root.Values.oidc.issuerURL | quote }}
{{- include "closeloop.oidcInsecureEnv" . }}
- name: TEMPORAL_NAMESPACE
  value: {{ .root.Values.temporal.namespace | quote }}
- name: TEMPORAL_UI_URL
  value: {{ .root.Values.temporal.uiURL | quote }}
- name: WEB_PUBLIC_URL
  value: {{ include "closeloop.webPublicURL" .root | quote }}
- name: WEB_OIDC_CLIENT_ID
  value: {{ $w.oidc.clientID | quote }}
{{- if $w.existingSecret }}
- name: WEB_OIDC_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $w.existingSecret }}
      key: {{ $w.secretKeys.oidcClientSecret }}
      # absent for a public client (PKCE only)
      optional: true
{{- else if $w.oidc.clientSecret }}
- name: WEB_OIDC_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "closeloop.secretName" .root }}
      key: {{ $w.secretKeys.oidcClientSecret }}
{{- end }}
- name: WEB_SESSION_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $w.existingSecret | default (include "closeloop.secretName" .root) }}
      key: {{ $w.secretKeys.sessionKey }}
- name: WEB_SESSION_MAX_AGE
  value: {{ $w.sessionMaxAge | quote }}
- name: WEB_DEFAULT_TIME_ZONE
  value: {{ $w.defaultTimeZone | quote }}
{{- end }}

{{/*
The URL users reach the console at: web.publicURL, else the first Ingress host
(https when a tls entry covers it). The OIDC redirect URI is this + /auth/callback.
*/}}
{{- define "closeloop.webPublicURL" -}}
{{- $w := .Values.web -}}
{{- if $w.publicURL }}
{{- trimSuffix "/" $w.publicURL }}
{{- else if and $w.ingress.enabled $w.ingress.hosts }}
{{- $host := first $w.ingress.hosts }}
{{- $tls := false }}
{{- range $w.ingress.tls }}{{ if has $host (.hosts | default list) }}{{ $tls = true }}{{ end }}{{ end }}
{{- printf "%s://%s" (ternary "https" "http" $tls) $host }}
{{- end }}
{{- end }}

{{/* In-cluster base URL of a component's Service. */}}
{{- define "closeloop.serviceURL" -}}
{{- printf "http://%s.%s.svc:%d" (include "closeloop.componentFullname" .) .root.Release.Namespace (int (index .root.Values .component).service.port) }}
{{- end }}

{{/* Settings only the worker reads (its setup also runs as the temporal-setup hook). */}}
{{- define "closeloop.workerEnv" -}}
{{- $p := .root.Values.policy -}}
- name: TEMPORAL_NAMESPACE_RETENTION
  value: {{ .root.Values.temporal.namespaceRetention | quote }}
- name: ABC_SCHEDULE_CRON
  value: {{ $p.abc.schedule.cron | quote }}
- name: ABC_SCHEDULE_TIMEZONE
  value: {{ $p.abc.schedule.timezone | quote }}
- name: ABC_PAGE_SIZE
  value: {{ int64 $p.abc.pageSize | toString | quote }}
- name: POLICY_RECONCILE_INTERVAL
  value: {{ $p.reconcileInterval | quote }}
- name: CARE_SWEEP_INTERVAL
  value: {{ $p.careSweepInterval | quote }}
- name: WINBACK_SWEEP_INTERVAL
  value: {{ $p.winBackSweepInterval | quote }}
- name: CAMPAIGN_OUTCOMES_INTERVAL
  value: {{ $p.campaignOutcomesInterval | quote }}
- name: LOYALTY_SYNC_INTERVAL
  value: {{ $p.loyaltySyncInterval | quote }}
{{- end }}

{{/*
The Temporal worker options of a component (its temporalWorker block): value key
→ variable. Only the keys present are rendered; a key left out keeps the
binary's default (docs/operations.md#temporal-worker-options).
*/}}
{{- define "closeloop.temporalWorkerVars" -}}
workflowTaskPollers:TEMPORAL_WORKFLOW_TASK_POLLERS activityTaskPollers:TEMPORAL_ACTIVITY_TASK_POLLERS maxConcurrentWorkflowTasks:TEMPORAL_MAX_CONCURRENT_WORKFLOW_TASKS maxConcurrentActivities:TEMPORAL_MAX_CONCURRENT_ACTIVITIES maxConcurrentLocalActivities:TEMPORAL_MAX_CONCURRENT_LOCAL_ACTIVITIES bulkWorkflowTaskPollers:TEMPORAL_BULK_WORKFLOW_TASK_POLLERS bulkActivityTaskPollers:TEMPORAL_BULK_ACTIVITY_TASK_POLLERS bulkMaxConcurrentWorkflowTasks:TEMPORAL_BULK_MAX_CONCURRENT_WORKFLOW_TASKS bulkMaxConcurrentActivities:TEMPORAL_BULK_MAX_CONCURRENT_ACTIVITIES bulkMaxConcurrentLocalActivities:TEMPORAL_BULK_MAX_CONCURRENT_LOCAL_ACTIVITIES workflowCacheSize:TEMPORAL_WORKFLOW_CACHE_SIZE
{{- end }}

{{- define "closeloop.temporalWorkerEnv" -}}
{{- $tw := (index .root.Values .component).temporalWorker | default dict }}
{{- range $pair := splitList " " (include "closeloop.temporalWorkerVars" .) }}
{{- $p := splitList ":" $pair }}
{{- $v := index $tw (index $p 0) }}
{{- if not (kindIs "invalid" $v) }}
- name: {{ index $p 1 }}
  value: {{ int64 $v | toString | quote }}
{{- end }}
{{- end }}
{{- if not (kindIs "invalid" $tw.pollerAutoscaling) }}
- name: TEMPORAL_POLLER_AUTOSCALING
  value: {{ $tw.pollerAutoscaling | toString | quote }}
{{- end }}
{{- end }}

{{/* A component's extra env and envFrom (appended last so they override). */}}
{{- define "closeloop.extraEnv" -}}
{{- $c := index .root.Values .component -}}
{{- with $c.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "closeloop.podSecurityContext" -}}
runAsNonRoot: true
{{- if not (kindIs "invalid" .Values.runAsUser) }}
runAsUser: {{ .Values.runAsUser }}
{{- end }}
{{- if not (kindIs "invalid" .Values.runAsGroup) }}
runAsGroup: {{ .Values.runAsGroup }}
fsGroup: {{ .Values.runAsGroup }}
{{- end }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* The Pod Security Standard "restricted" container context; not configurable. */}}
{{- define "closeloop.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Volumes every Closeloop pod has: a writable /tmp and, when configured and used,
Temporal TLS files; the pods that send email also the SMTP relay's CA bundle.
*/}}
{{- define "closeloop.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- if include "closeloop.usesTemporal" . }}
{{- include "closeloop.temporalTLSVolume" .root }}
{{- end }}
{{- if include "closeloop.smtpCAMounted" . }}
- name: smtp-tls
  secret:
    secretName: {{ .root.Values.notifications.smtp.caSecret.name }}
    defaultMode: 0440
    items:
      - key: {{ .root.Values.notifications.smtp.caSecret.key }}
        path: ca.crt
{{- end }}
{{- end }}

{{/* "true" when this component's pods mount notifications.smtp.caSecret: a Deployment that sends email (closeloop.sendsMail). */}}
{{- define "closeloop.smtpCAMounted" -}}
{{- if and (not .hook) .root.Values.notifications.smtp.caSecret.name (include "closeloop.sendsMail" .) }}true{{ end }}
{{- end }}

{{- define "closeloop.temporalTLSVolume" -}}
{{- $tls := .Values.temporal.tls -}}
{{- if include "closeloop.temporalTLSFiles" . }}
- name: temporal-tls
  projected:
    defaultMode: 0440
    sources:
      {{- if $tls.caSecret.name }}
      - secret:
          name: {{ $tls.caSecret.name }}
          items:
            - key: {{ $tls.caSecret.key }}
              path: ca.crt
      {{- end }}
      {{- if $tls.clientCertSecret.name }}
      - secret:
          name: {{ $tls.clientCertSecret.name }}
          items:
            - key: {{ $tls.clientCertSecret.certKey }}
              path: tls.crt
            - key: {{ $tls.clientCertSecret.keyKey }}
              path: tls.key
      {{- end }}
{{- end }}
{{- end }}

{{- define "closeloop.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if and (include "closeloop.usesTemporal" .) (include "closeloop.temporalTLSFiles" .root) }}
- name: temporal-tls
  mountPath: /etc/closeloop/temporal-tls
  readOnly: true
{{- end }}
{{- if include "closeloop.smtpCAMounted" . }}
- name: smtp-tls
  mountPath: /etc/closeloop/smtp-tls
  readOnly: true
{{- end }}
{{- end }}

{{/* Hook annotations: (dict "events" "pre-install,pre-upgrade" "weight" -10 "delete" "…"). */}}
{{- define "closeloop.hookAnnotations" -}}
helm.sh/hook: {{ .events | quote }}
helm.sh/hook-weight: {{ .weight | quote }}
helm.sh/hook-delete-policy: {{ .delete | default "before-hook-creation,hook-succeeded" | quote }}
{{- end }}

{{/* Events of the resources hooks and tests share (their ServiceAccount, Secret, NetworkPolicy). */}}
{{- define "closeloop.hookSupportEvents" -}}
pre-install,pre-upgrade,pre-rollback,test
{{- end }}

{{/* Scheduling settings shared by hook and test pods. */}}
{{- define "closeloop.hookScheduling" -}}
{{- with .Values.hooks.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.hooks.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "closeloop.hookServiceAccountName" -}}
{{- printf "%s-hooks" (include "closeloop.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The environment of a component's Deployment (before extraEnv). */}}
{{- define "closeloop.deploymentEnv" -}}
{{- $root := .root }}
{{- $c := index .root.Values .component -}}
- name: HTTP_ADDR
  value: {{ printf ":%d" (int $c.containerPort) | quote }}
- name: METRICS_ADDR
  value: {{ printf ":%d" (int $root.Values.metricsPort) | quote }}
- name: SHUTDOWN_TIMEOUT
  value: {{ include "closeloop.seconds" $c.shutdownTimeoutSeconds | quote }}
- name: SHUTDOWN_DRAIN_DELAY
  value: {{ include "closeloop.seconds" $c.drainDelaySeconds | quote }}
- name: HTTP_MAX_BODY_BYTES
  value: {{ int64 $c.maxBodyBytes | toString | quote }}
{{ include "closeloop.rateLimitEnv" $root }}
{{ include "closeloop.httpServerEnv" $root }}
{{ include "closeloop.commonEnv" . }}
{{- if include "closeloop.usesTemporal" . }}
{{ include "closeloop.temporalEnv" . }}
{{- include "closeloop.temporalWorkerEnv" . }}
{{- end }}
{{- if has .component (splitList " " (include "closeloop.apiComponents" $root)) }}
- name: MIGRATE_ON_START
  value: {{ not $root.Values.hooks.migrations.enabled | quote }}
{{ include "closeloop.databaseEnv" . }}
{{ include "closeloop.oidcEnv" . }}
{{- end }}
{{- include "closeloop.apiCallEnv" . }}
{{- if eq .component "customer" }}
{{ include "closeloop.customerEnv" . }}
{{- end }}
{{- if eq .component "followup" }}
{{ include "closeloop.followupEnv" . }}
{{- end }}
{{- if eq .component "sales" }}
{{ include "closeloop.salesEnv" . }}
{{- end }}
{{- if eq .component "service" }}
{{ include "closeloop.serviceEnv" . }}
{{- end }}
{{- if eq .component "marketing" }}
{{ include "closeloop.marketingEnv" . }}
{{- end }}
{{- if eq .component "web" }}
{{ include "closeloop.webEnv" . }}
{{- end }}
{{- if eq .component "worker" }}
- name: SETUP_ON_START
  value: {{ not $root.Values.hooks.temporalSetup.enabled | quote }}
{{ include "closeloop.workerEnv" . }}
{{- if include "closeloop.codecServer" $root }}
{{ include "closeloop.codecServerEnv" . }}
{{- end }}
{{- end }}
{{- end }}

{{/*
base (a YAML env list) followed by extra (a list of EnvVar); an entry of extra
replaces the base entry of the same name instead of duplicating it (duplicate
names break strategic-merge and server-side apply).
*/}}
{{- define "closeloop.mergeEnv" -}}
{{- $extra := .extra | default list }}
{{- $names := list }}
{{- range $extra }}{{ $names = append $names .name }}{{ end }}
{{- $out := list }}
{{- range (fromYamlArray .base) }}
{{- if not (has .name $names) }}{{ $out = append $out . }}{{ end }}
{{- end }}
{{- toYaml (concat $out $extra) }}
{{- end }}

{{/*
"true" when the cluster serves the Prometheus operator's ServiceMonitor
(monitoring.coreos.com/v1): Helm asks the API server on install and upgrade;
`helm template` knows only what --api-versions says (either
monitoring.coreos.com/v1/ServiceMonitor or monitoring.coreos.com/v1). Without it
the chart renders no ServiceMonitor (the API server would refuse the release)
and NOTES say so.
*/}}
{{- define "closeloop.serviceMonitorAPI" -}}
{{- if or (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor") (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1") }}true{{ end }}
{{- end }}

{{/* The rate limits of every component (rateLimit; RATE_LIMIT_*, TRUSTED_PROXIES). */}}
{{- define "closeloop.rateLimitEnv" -}}
{{- $r := .Values.rateLimit -}}
- name: RATE_LIMIT_IP_RPS
  value: {{ $r.ipRPS | toString | quote }}
- name: RATE_LIMIT_IP_BURST
  value: {{ int64 $r.ipBurst | toString | quote }}
- name: RATE_LIMIT_USER_RPS
  value: {{ $r.userRPS | toString | quote }}
- name: RATE_LIMIT_USER_BURST
  value: {{ int64 $r.userBurst | toString | quote }}
- name: RATE_LIMIT_USER_WRITE_RPS
  value: {{ $r.userWriteRPS | toString | quote }}
- name: RATE_LIMIT_USER_WRITE_BURST
  value: {{ int64 $r.userWriteBurst | toString | quote }}
- name: TRUSTED_PROXIES
  value: {{ join "," $r.trustedProxies | quote }}
{{- end }}

{{/*
The HTTP server limits of every component (httpServer; HTTP_READ_TIMEOUT,
HTTP_WRITE_TIMEOUT, HTTP_IDLE_TIMEOUT, HTTP_MAX_HEADER_BYTES). An empty or
omitted value renders no variable, so the binary keeps its own default (an empty
variable would mean 0: no limit). The schema checks the form; a duration too
large for Go's time.ParseDuration (about 2,562,047h) is refused here.
*/}}
{{- define "closeloop.httpServerEnv" -}}
{{- $h := .Values.httpServer | default dict -}}
{{- range $kv := list (list "readTimeout" "HTTP_READ_TIMEOUT") (list "writeTimeout" "HTTP_WRITE_TIMEOUT") (list "idleTimeout" "HTTP_IDLE_TIMEOUT") }}
{{- with index $h (first $kv) }}
{{- include "closeloop.checkGoDuration" (dict "name" (printf "httpServer.%s" (first $kv)) "value" .) }}
- name: {{ last $kv }}
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- with $h.maxHeaderBytes }}
- name: HTTP_MAX_HEADER_BYTES
  value: {{ int64 . | toString | quote }}
{{- end }}
{{- end }}

{{/* Fails unless .value (a Go duration the schema has checked) fits time.Duration. */}}
{{- define "closeloop.checkGoDuration" -}}
{{- $scale := dict "ns" 1.0 "us" 1e3 "µs" 1e3 "μs" 1e3 "ms" 1e6 "s" 1e9 "m" 6e10 "h" 3.6e12 }}
{{- $ns := 0.0 }}
{{- range regexFindAll "[0-9]*\\.?[0-9]*(ns|us|µs|μs|ms|s|m|h)" .value -1 }}
{{- $unit := regexFind "(ns|us|µs|μs|ms|s|m|h)$" . }}
{{- $ns = addf $ns (mulf (float64 (trimSuffix $unit .)) (index $scale $unit)) }}
{{- end }}
{{- if gt $ns 9.223372036854775807e18 }}
{{- fail (printf "%s %q is longer than a Go duration can be (about 2562047h); use \"0\" for no limit" .name .value) }}
{{- end }}
{{- end }}
