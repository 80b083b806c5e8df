{{/* Chart name, overridable. */}}
{{- define "chatfleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's objects. */}}
{{- define "chatfleet.fullname" -}}
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

{{/* Labels on every object of the chart. */}}
{{- define "chatfleet.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "chatfleet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: chatfleet
{{- end }}

{{/* Labels that select the operator pods (immutable in the Deployment selector). */}}
{{- define "chatfleet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "chatfleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/* ServiceAccount of the operator. */}}
{{- define "chatfleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "chatfleet.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Refuse values the operator would reject at startup (operator/config.ts), or that run two leaders. */}}
{{- define "chatfleet.validate" -}}
{{- $le := .Values.leaderElection }}
{{- if and (gt (int .Values.replicaCount) 1) (not $le.enabled) }}
{{- fail "replicaCount > 1 requires leaderElection.enabled=true (otherwise every replica reconciles)" }}
{{- end }}
{{- if ge (float64 $le.renewDeadlineSeconds) (float64 $le.leaseDurationSeconds) }}
{{- fail "leaderElection.renewDeadlineSeconds must be less than leaderElection.leaseDurationSeconds" }}
{{- end }}
{{- if ge (float64 $le.retryPeriodSeconds) (float64 $le.renewDeadlineSeconds) }}
{{- fail "leaderElection.retryPeriodSeconds must be less than leaderElection.renewDeadlineSeconds" }}
{{- end }}
{{- end }}

{{/*
The watched namespaces as a JSON list: watchNamespaces, or the deprecated watchNamespace; [] = all.
The operator takes them comma-separated in WATCH_NAMESPACE (operator/config.ts), one informer each.
*/}}
{{- define "chatfleet.watchNamespaces" -}}
{{- if and .Values.watchNamespaces .Values.watchNamespace }}
{{- fail "set watchNamespaces or the deprecated watchNamespace, not both" }}
{{- end }}
{{- if .Values.watchNamespace }}
{{- list .Values.watchNamespace | toJson }}
{{- else }}
{{- .Values.watchNamespaces | default list | toJson }}
{{- end }}
{{- end }}

{{/* The value of WATCH_NAMESPACE: the watched namespaces, comma-separated, or empty for all. */}}
{{- define "chatfleet.watchNamespaceEnv" -}}
{{- include "chatfleet.watchNamespaces" . | fromJsonArray | join "," }}
{{- end }}

{{/*
The operator's rules: one ClusterRole (all namespaces), or one Role per watched namespace.
Every verb is one the code sends; see the header of templates/rbac.yaml.
*/}}
{{- define "chatfleet.operatorRules" -}}
# The API: informer (list/watch), GET, and SSA on metadata.finalizers (Kafka-topic finalizer).
- apiGroups: ["chatfleet.io"]
  resources: ["chatbotdeployments"]
  verbs: ["get", "list", "watch", "patch"]
# status is written with SSA on the /status subresource.
- apiGroups: ["chatfleet.io"]
  resources: ["chatbotdeployments/status"]
  verbs: ["patch"]
# Children carry ownerReferences with blockOwnerDeletion: true. Clusters that enable the
# OwnerReferencesPermissionEnforcement admission plugin (e.g. OpenShift) require "update" on the
# owner's finalizers subresource for that.
- apiGroups: ["chatfleet.io"]
  resources: ["chatbotdeployments/finalizers"]
  verbs: ["update"]
# The fleet's children (delete: a child that is no longer desired, e.g. the PDB when disabled).
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# A bot pod counts (is scraped) only if its ReplicaSet is controlled by the fleet's Deployment
# (operator/autoscaler/sources/pod-ownership.ts): one GET per ReplicaSet uid, remembered.
- apiGroups: ["apps"]
  resources: ["replicasets"]
  verbs: ["get"]
- apiGroups: [""]
  resources: ["services", "configmaps", "serviceaccounts"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# Rollouts (operator/rollout/children.ts): per fleet one Role <name>-routing-reader that lets the bot
# pods' ServiceAccount get/list/watch exactly one ConfigMap (resourceNames: <name>-routing), and its
# RoleBinding. Read with a GET when the wanted object changed and at most once per resync period
# otherwise (operator/controller/verified.ts; no list/watch: the operator never needs every Role). The API server's
# escalation check passes without "bind"/"escalate" because the operator itself holds get/list/watch
# on ConfigMaps; so it can grant nothing it does not have.
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["roles", "rolebindings"]
  verbs: ["get", "create", "patch", "delete"]
# Read-only: explain Degraded (unschedulable, image pull errors, crash loops) and find bot pods.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
# events.k8s.io/v1 Events (the operator never writes core/v1 Events and never patches them).
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create"]
{{- if .Values.rbac.dataPlane }}
# Data plane (managed Redis, Kafka topics; operator/dataplane): Redis runs as StatefulSets
# applied like the other children, and watched like them (an informer selecting managed-by).
- apiGroups: ["apps"]
  resources: ["statefulsets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# Pods "delete": the Redis Cluster roll (shard StatefulSets use updateStrategy OnDelete) replaces
# one outdated Redis pod at a time, a primary only after a CLUSTER FAILOVER to its replica
# (operator/dataplane/redis/roll-plan.ts). Only pods of the CR's own StatefulSets (controller uid
# checked) are ever deleted; RBAC cannot restrict by label, so the grant is cluster-wide, and
# rbac.dataPlane=false drops it. No "create": the StatefulSet controller recreates the pod.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["delete"]
# Secrets: "create" for the generated Redis password Secret (<cr>-redis-auth, created only when
# missing so a password is never overwritten: a POST, never an apply), "get" to read it
# and the Secrets a ChatbotDeployment references (spec.sessions.redis.secretRef,
# spec.messaging.kafka.secretRef). With rbac.secretWatch, "list"/"watch" feed the informer that
# recreates a deleted password Secret at once (the documented rotation): it selects
# app.kubernetes.io/managed-by=chatfleet-operator, so only the operator's own Secrets are sent
# and cached. Trade-off: RBAC cannot restrict by label or name prefix, so that grant is
# cluster-wide, as "get" (with user-chosen names) already is. rbac.secretWatch=false drops
# list/watch (the operator then re-reads each password Secret every 10 minutes); limit the blast
# radius further with rbac.dataPlane=false (no Secret or StatefulSet access at all) when fleets
# use neither managed Redis nor Kafka.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", {{ if .Values.rbac.secretWatch }}"list", "watch", {{ end }}"create"]
{{- end }}
{{- end }}

{{/*
The uninstall hook's rules on fleets: find every ChatbotDeployment carrying an operator finalizer and
remove only those (JSON patch), with a Warning Event OperatorUninstalled on each. Cluster-wide, or
in each watched namespace (templates/uninstall-hook.yaml).
*/}}
{{- define "chatfleet.uninstallFleetRules" -}}
- apiGroups: ["chatfleet.io"]
  resources: ["chatbotdeployments"]
  verbs: ["list", "patch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create"]
{{- end }}
