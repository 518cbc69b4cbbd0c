{{/*
Rules values.schema.json cannot express (they relate several values). Each failure
names the value to change. Included once, from deployments.yaml.
*/}}
{{- define "closeloop.validate" -}}
{{- $root := . }}
{{- $v := .Values }}
{{- $anyAPI := false }}
{{- range $c := splitList " " (include "closeloop.apiComponents" .) }}
{{- if (index $v $c).enabled }}{{ $anyAPI = true }}{{ end }}
{{- end }}

{{- if not $v.temporal.address }}
{{- fail "temporal.address is required: the host:port of your Temporal frontend (e.g. temporal-frontend.temporal:7233)" }}
{{- end }}

{{- if and $anyAPI (not $v.oidc.issuerURL) }}
{{- fail "oidc.issuerURL is required: the OIDC issuer whose tokens the APIs accept (e.g. https://login.example.com/realms/closeloop)" }}
{{- end }}

{{- if and (hasPrefix "http://" (lower $v.oidc.issuerURL)) (not $v.oidc.allowInsecureIssuer) }}
{{- if not (has (lower (urlParse $v.oidc.issuerURL).hostname) (list "localhost" "127.0.0.1" "::1")) }}
{{- fail (printf "oidc.issuerURL %s is not https: the pods would fetch its signing keys without TLS, so anyone on the path could have forged tokens accepted. Use https, or set oidc.allowInsecureIssuer=true for an issuer reached only inside the cluster" $v.oidc.issuerURL) }}
{{- end }}
{{- end }}

{{- if $v.database.existingSecret }}
{{- range $c, $url := $v.database.urls }}
{{- if $url }}
{{- fail (printf "database.urls.%s is set together with database.existingSecret: set one or the other (existingSecret for production)" $c) }}
{{- end }}
{{- end }}
{{- else }}
{{- range $c := splitList " " (include "closeloop.apiComponents" .) }}
{{- if and (index $v $c).enabled (not (index $v.database.urls $c)) }}
{{- fail (printf "the %s service needs a PostgreSQL URL: set database.existingSecret (a Secret with key %q) or, for a non-production install, database.urls.%s" $c (index $v.database.secretKeys $c) $c) }}
{{- end }}
{{- end }}
{{- end }}

{{- range $call := splitList " " (include "closeloop.apiCalls" .) }}
{{- $p := splitList ":" $call }}
{{- $caller := index $p 0 }}{{ $callee := index $p 1 }}{{ $var := index $p 2 }}
{{- if and (index $v $caller).enabled (not (index $v $callee).enabled) }}
{{- $url := false }}
{{- range (index $v $caller).extraEnv }}{{ if eq .name $var }}{{ $url = true }}{{ end }}{{ end }}
{{- if not $url }}
{{- fail (printf "the %s calls the %s service's API: with %s.enabled=false, add %s (its base URL) to %s.extraEnv" (ternary "web console" (printf "%s service" $caller) (eq $caller "web")) $callee $callee $var $caller) }}
{{- end }}
{{- end }}
{{- end }}

{{- if $v.web.enabled }}
{{- if not $v.oidc.issuerURL }}
{{- fail "oidc.issuerURL is required: the web console signs users in with it (authorization code + PKCE, as client web.oidc.clientID)" }}
{{- end }}
{{- if $v.web.existingSecret }}
{{- if $v.web.sessionKey }}
{{- fail "web.sessionKey is set together with web.existingSecret: set one or the other (existingSecret for production)" }}
{{- end }}
{{- if $v.web.oidc.clientSecret }}
{{- fail (printf "web.oidc.clientSecret is set together with web.existingSecret: put the client secret into that Secret under key %q instead" $v.web.secretKeys.oidcClientSecret) }}
{{- end }}
{{- else if not $v.web.sessionKey }}
{{- fail (printf "the web console needs a session key (base64 of 32 random bytes, e.g. `openssl rand -base64 32`; every replica shares it): set web.existingSecret (a Secret with key %q) or, for a non-production install, web.sessionKey" $v.web.secretKeys.sessionKey) }}
{{- end }}
{{- if and $v.web.ingress.enabled (not $v.web.ingress.hosts) }}
{{- fail "web.ingress.enabled needs at least one host in web.ingress.hosts (the console's address, e.g. crm.example.com)" }}
{{- end }}
{{- if and (not $v.web.publicURL) $v.web.ingress.enabled $v.web.ingress.hosts (hasPrefix "*" (first $v.web.ingress.hosts)) }}
{{- fail (printf "web.publicURL is required: the first Ingress host %q is a wildcard, which cannot be the console's URL" (first $v.web.ingress.hosts)) }}
{{- end }}
{{- if not (include "closeloop.webPublicURL" $root) }}
{{- fail "web.publicURL is required: the URL users reach the console at (e.g. https://crm.example.com; the OIDC redirect URI is it + /auth/callback); or enable web.ingress with a host, whose URL is then used" }}
{{- end }}
{{- end }}

{{- if and $v.temporal.apiKey.existingSecret $v.temporal.apiKey.value }}
{{- fail "temporal.apiKey.value is set together with temporal.apiKey.existingSecret: set one or the other (existingSecret for production)" }}
{{- end }}

{{- $pe := $v.temporal.payloadEncryption }}
{{- if and $pe.existingSecret $pe.keys }}
{{- fail "temporal.payloadEncryption.keys is set together with temporal.payloadEncryption.existingSecret: set one or the other (existingSecret for production)" }}
{{- end }}
{{- if $pe.codecServer.enabled }}
{{- if not (include "closeloop.payloadEncryption" .) }}
{{- fail "temporal.payloadEncryption.codecServer.enabled needs a key ring: set temporal.payloadEncryption.existingSecret (or, for a non-production install, temporal.payloadEncryption.keys)" }}
{{- end }}
{{- if not $v.worker.enabled }}
{{- fail "temporal.payloadEncryption.codecServer.enabled: the codec server runs in the worker; enable worker or turn the codec server off" }}
{{- end }}
{{- if not $v.oidc.issuerURL }}
{{- fail "temporal.payloadEncryption.codecServer.enabled needs oidc.issuerURL: the codec server decodes only for bearer tokens with the admin role" }}
{{- end }}
{{- end }}

{{- $smtp := $v.notifications.smtp }}
{{- if and $smtp.existingSecret $smtp.password }}
{{- fail "notifications.smtp.password is set together with notifications.smtp.existingSecret: set one or the other (existingSecret for production)" }}
{{- end }}
{{- if $smtp.host }}
{{- if not $smtp.from }}
{{- fail "notifications.smtp.from is required with notifications.smtp.host: the sender of every email, with display name (e.g. Closeloop <noreply@example.com>)" }}
{{- end }}
{{- if and $smtp.username (not $smtp.existingSecret) (not $smtp.password) }}
{{- fail (printf "notifications.smtp.username needs a password: set notifications.smtp.existingSecret (a Secret with key %q) or, for a non-production install, notifications.smtp.password" $smtp.passwordKey) }}
{{- end }}
{{- if and (not $smtp.username) (or $smtp.existingSecret $smtp.password) }}
{{- fail "notifications.smtp.existingSecret or notifications.smtp.password is set without notifications.smtp.username: SMTP AUTH needs both (or neither, for a relay without authentication)" }}
{{- end }}
{{- $h := lower (trimSuffix "." $smtp.host) }}
{{- $loopback := or (eq $h "localhost") (hasSuffix ".localhost" $h) (hasPrefix "127." $h) (eq $h "::1") (eq $h "[::1]") }}
{{- if and (eq $smtp.tls "none") $smtp.username (not $loopback) }}
{{- fail (printf "notifications.smtp.tls is none with a username: the password would cross the network in clear text to %s; use starttls or tls" $smtp.host) }}
{{- end }}
{{- if and (eq $smtp.tls "none") (or $smtp.caFile $smtp.caSecret.name) }}
{{- fail "notifications.smtp.caFile or caSecret is set but notifications.smtp.tls is none: no certificate is checked without TLS" }}
{{- end }}
{{- if and $smtp.caFile $smtp.caSecret.name }}
{{- fail "notifications.smtp.caFile is set together with notifications.smtp.caSecret.name: set one or the other (caSecret mounts the bundle; caFile names one already in the container)" }}
{{- end }}
{{- end }}

{{- /* the service component's settings: a link lifetime the binary accepts (it refuses to start below 1h), and polling loops that do not hammer the database */}}
{{- if lt (include "closeloop.durationSeconds" $v.surveys.linkTTL | float64) 3600.0 }}
{{- fail (printf "surveys.linkTTL (%s) must be at least 1h: customers get the link by email and answer days later (SURVEY_LINK_TTL)" $v.surveys.linkTTL) }}
{{- end }}
{{- range $p := list (list "policy.cases.startInterval" $v.policy.cases.startInterval "the cases table is read") (list "surveys.recoveryRetry" $v.surveys.recoveryRetry "the pending recovery calls are read") }}
{{- if lt (include "closeloop.durationSeconds" (index $p 1) | float64) 1.0 }}
{{- fail (printf "%s (%s) must be at least 1s: %s at every tick" (index $p 0) (index $p 1) (index $p 2)) }}
{{- end }}
{{- end }}

{{- /* the marketing component's email touches: a key the binary accepts, from one place, and a link lifetime it accepts */}}
{{- $et := $v.emailTouches }}
{{- if and $et.existingSecret $et.key }}
{{- fail "emailTouches.key is set together with emailTouches.existingSecret: set one or the other (existingSecret for production)" }}
{{- end }}
{{- if and $et.key (lt (len $et.key) 32) }}
{{- fail (printf "emailTouches.key is %d bytes: the key that signs unsubscribe links needs at least 32 (e.g. openssl rand -base64 48)" (len $et.key)) }}
{{- end }}
{{- if lt (include "closeloop.durationSeconds" $et.linkTTL | float64) 86400.0 }}
{{- fail (printf "emailTouches.linkTTL (%s) must be at least 24h: customers open their email days later (UNSUBSCRIBE_LINK_TTL)" $et.linkTTL) }}
{{- end }}

{{- /* the sales service's own identity: a client needs its secret, from an existing Secret */}}
{{- $si := $v.serviceIdentity }}
{{- if and $si.salesClientID (not $si.existingSecret) }}
{{- fail "serviceIdentity.salesClientID needs serviceIdentity.existingSecret: the Secret holding the client's secret (SERVICE_CLIENT_SECRET)" }}
{{- end }}
{{- if and $si.existingSecret (not $si.salesClientID) }}
{{- fail "serviceIdentity.existingSecret is set without serviceIdentity.salesClientID: name the sales service's client too" }}
{{- end }}

{{- if not (lt (float64 $v.policy.abc.aShare) (float64 $v.policy.abc.bShare)) }}
{{- fail (printf "policy.abc.aShare (%v) must be below policy.abc.bShare (%v)" $v.policy.abc.aShare $v.policy.abc.bShare) }}
{{- end }}

{{- range $c := splitList " " (include "closeloop.components" .) }}
{{- $cv := index $v $c }}
{{- if $cv.enabled }}
{{- if eq (int $cv.containerPort) (int $v.metricsPort) }}
{{- fail (printf "metricsPort (%d) is %s.containerPort: /metrics needs a port of its own (the API's callers must not read it); change one of them" (int $v.metricsPort) $c) }}
{{- end }}
{{- $drain := 0 }}
{{- if hasKey $cv "drainDelaySeconds" }}{{ $drain = int $cv.drainDelaySeconds }}{{ end }}
{{- if le (int $cv.terminationGracePeriodSeconds) (add (int $cv.shutdownTimeoutSeconds) $drain) }}
{{- fail (printf "%s.terminationGracePeriodSeconds (%d) must exceed %s.shutdownTimeoutSeconds + %s.drainDelaySeconds (%d): Kubernetes would kill the pod before it has stopped cleanly" $c (int $cv.terminationGracePeriodSeconds) $c $c (add (int $cv.shutdownTimeoutSeconds) $drain)) }}
{{- end }}
{{- if and $cv.autoscaling.enabled (gt (int $cv.autoscaling.minReplicas) (int $cv.autoscaling.maxReplicas)) }}
{{- fail (printf "%s.autoscaling.minReplicas (%d) exceeds %s.autoscaling.maxReplicas (%d)" $c (int $cv.autoscaling.minReplicas) $c (int $cv.autoscaling.maxReplicas)) }}
{{- end }}
{{- if and $cv.autoscaling.enabled (kindIs "invalid" $cv.autoscaling.targetCPUUtilizationPercentage) (kindIs "invalid" $cv.autoscaling.targetMemoryUtilizationPercentage) (not $cv.autoscaling.metrics) }}
{{- fail (printf "%s.autoscaling is enabled without a metric: set targetCPUUtilizationPercentage, targetMemoryUtilizationPercentage or metrics" $c) }}
{{- end }}
{{- $pdb := $cv.podDisruptionBudget }}
{{- if $pdb.enabled }}
{{- if and (kindIs "invalid" $pdb.minAvailable) (kindIs "invalid" $pdb.maxUnavailable) }}
{{- fail (printf "%s.podDisruptionBudget is enabled without minAvailable or maxUnavailable" $c) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{- end }}
