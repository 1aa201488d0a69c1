{{/* Names and labels. */}}
{{- define "slackbot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "slackbot.fullname" -}}
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

{{- define "slackbot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "slackbot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "slackbot.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "slackbot.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: slackbot
{{- end }}

{{- define "slackbot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "slackbot.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "slackbot.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Roles live in Flux's namespaces and ClusterRoles in the cluster: the release's namespace in
their name keeps two installs (say chatops/slackbot and staging/slackbot) apart. */}}
{{- define "slackbot.rbacName" -}}
{{- printf "%s-%s-flux" .Release.Namespace (include "slackbot.fullname" .) | trunc 253 }}
{{- end }}

{{/* The container port of the mode: Slack's events, health and metrics all share it. */}}
{{- define "slackbot.containerPort" -}}
{{- if eq .Values.slack.mode "http" }}{{ .Values.slack.httpPort }}{{ else }}{{ .Values.slack.healthPort }}{{ end }}
{{- end }}

{{/* "true" when some environment reads Flux's objects through this cluster's API. */}}
{{- define "slackbot.inCluster" -}}
{{- $found := false }}
{{- range $name, $env := (.Values.config.environments | default dict) }}
{{- if and $env $env.flux $env.flux.in_cluster }}{{ $found = true }}{{ end }}
{{- end }}
{{- $found }}
{{- end }}

{{/* The Flux objects the roll-out probes read, as RBAC rules (verbs given by the caller). */}}
{{- define "slackbot.fluxRules" -}}
{{- $verbs := list "get" "list" "watch" }}
{{- if .Values.rbac.reconcile }}{{ $verbs = append $verbs "patch" }}{{ end }}
- apiGroups: [source.toolkit.fluxcd.io]
  resources: [gitrepositories, ocirepositories, buckets]
  verbs: {{ toJson $verbs }}
- apiGroups: [kustomize.toolkit.fluxcd.io]
  resources: [kustomizations]
  verbs: {{ toJson $verbs }}
{{- end }}

{{/*
Refuse values that would install a bot that cannot work, with one sentence saying what to change.
values.schema.json catches types and shapes first; these are the rules across several values.
*/}}
{{- define "slackbot.validate" -}}
{{- $v := .Values }}
{{- if and (gt (int $v.replicaCount) 1) (not $v.database.postgres) }}
{{- fail (printf "replicaCount is %d, but SQLite on a volume has a single writer and the scheduler lease lives in the database: set database.postgres: true (SLACKBOT_DATABASE_URL in the Secret) or replicaCount: 1" (int $v.replicaCount)) }}
{{- end }}
{{- $url := toString (default "" $v.config.database_url) }}
{{- if regexMatch "://[^/@]*:[^/@]*@" $url }}
{{- fail "config.database_url contains a password: put the URL in the Secret's SLACKBOT_DATABASE_URL (with database.postgres: true) and leave it out of the values" }}
{{- end }}
{{- if and (not $v.database.postgres) (not (hasPrefix "sqlite:////data/" $url)) }}
{{- fail (printf "config.database_url is %q, but with SQLite the only writable place is the /data volume: use sqlite:////data/slackbot.db, or database.postgres: true" $url) }}
{{- end }}
{{- range $name, $env := ($v.config.environments | default dict) }}
{{- $flux := (and $env $env.flux) | default dict }}
{{- if and $flux.kube_context (not $v.kubeconfig.existingSecret) }}
{{- fail (printf "environment %s reads Flux through kube_context %s: set kubeconfig.existingSecret to a Secret holding a kubeconfig with that context" $name $flux.kube_context) }}
{{- end }}
{{- if and $flux.in_cluster $v.rbac.create }}
{{- $namespace := default "flux-system" $flux.namespace }}
{{- if not (or $v.rbac.clusterWide (has $namespace $v.rbac.namespaces)) }}
{{- fail (printf "environment %s reads Flux's objects in namespace %s of this cluster: add %s to rbac.namespaces (or set rbac.clusterWide: true)" $name $namespace $namespace) }}
{{- end }}
{{- if and $flux.reconcile (not $v.rbac.reconcile) }}
{{- fail (printf "environment %s has flux.reconcile: true, which patches Flux's objects: set rbac.reconcile: true" $name) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
