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
{{- fail (printf "the %s service calls the %s service's API: with %s.enabled=false, add %s (its base URL) to %s.extraEnv" $caller $callee $callee $var $caller) }}
{{- end }}
{{- end }}
{{- end }}

{{- if and $v.temporal.apiKey.existingSecret $v.temporal.apiKey.value }}
{{- fail "temporal.apiKey.value is set together with temporal.apiKey.existingSecret: set one or the other (existingSecret for production)" }}
{{- end }}

{{- if not (lt (float64 $v.policy.abc.aShare) (float64 $v.policy.abc.bShare)) }}
{{- fail (printf "policy.abc.aShare (%v) must be below policy.abc.bShare (%v)" $v.policy.abc.aShare $v.policy.abc.bShare) }}
{{- end }}

{{- range $c := splitList " " (include "closeloop.components" .) }}
{{- $cv := index $v $c }}
{{- if $cv.enabled }}
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
