{{/*
Names and labels (after Bitnami common `_names.tpl` / `_labels.tpl`): names are truncated to 63
characters; selector labels are only name and instance because selectors are immutable.
*/}}

{{/* Application name: app.name or the release name. */}}
{{- define "platform-app.name" -}}
{{- default .Release.Name .Values.app.name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Base name of every object; suffixed names stay within 63 characters. */}}
{{- define "platform-app.fullname" -}}
{{- include "platform-app.name" . | trunc 52 | trimSuffix "-" -}}
{{- end -}}

{{- define "platform-app.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Stop with a message naming the offending value; every template includes it first, because
Helm renders templates in no guaranteed order. */}}
{{- define "platform-app.validate" -}}
{{- if not .Values.app.team -}}
{{- fail "app.team is required: the owning team (label app.kubernetes.io/team)" -}}
{{- end -}}
{{- if not .Values.app.project -}}
{{- fail "app.project is required: the tenant project whose namespace and secrets the app uses" -}}
{{- end -}}
{{- if or (not .Values.image.registry) (not .Values.image.repository) -}}
{{- fail "image.registry and image.repository are required (e.g. harbor.example.com and <project>/<app>)" -}}
{{- end -}}
{{- if not .Values.image.tag -}}
{{- fail "image.tag is required: set it to the commit SHA (idpctl app render --image-tag)" -}}
{{- end -}}
{{- if and .Values.database.enabled .Values.database.recoverFrom (not .Values.database.backup.objectStore) -}}
{{- fail "database.recoverFrom needs database.backup.objectStore: the ObjectStore holding the backups to restore" -}}
{{- end -}}
{{- if and .Values.ingress.enabled (not .Values.ingress.host) -}}
{{- fail "ingress.host is required when ingress.enabled is true" -}}
{{- end -}}
{{- if and .Values.ingress.enabled (not (hasKey .Values.service.ports .Values.ingress.port)) -}}
{{- fail (printf "ingress.port %q is not a key of service.ports" .Values.ingress.port) -}}
{{- end -}}
{{- if and (eq .Values.strategy.type "canary") .Values.ingress.enabled (ne .Values.ingress.kind "IngressRoute") -}}
{{- fail "strategy.type canary needs ingress.kind IngressRoute: Argo Rollouts shifts weights through a TraefikService" -}}
{{- end -}}
{{- if and .Values.monitoring.enabled (not (hasKey .Values.service.ports .Values.monitoring.port)) -}}
{{- fail (printf "monitoring.port %q is not a key of service.ports" .Values.monitoring.port) -}}
{{- end -}}
{{- range $probe, $p := .Values.probes -}}
{{- if and $p.enabled (not (hasKey $.Values.service.ports $p.port)) -}}
{{- fail (printf "probes.%s.port %q is not a key of service.ports" $probe $p.port) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- fail "autoscaling.minReplicas must not be greater than autoscaling.maxReplicas" -}}
{{- end -}}
{{- range $id, $v := .Values.persistence -}}
{{- if eq $v.mountPath "/tmp" -}}
{{- fail (printf "persistence.%s.mountPath /tmp is reserved: the chart mounts a writable /tmp" $id) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "platform-app.selectorLabels" -}}
app.kubernetes.io/name: {{ include "platform-app.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "platform-app.labels" -}}
{{ include "platform-app.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/part-of: {{ .Values.app.project }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/team: {{ .Values.app.team }}
helm.sh/chart: {{ include "platform-app.chart" . }}
{{- with .Values.app.environment }}
idp.platform/environment: {{ . }}
{{- end }}
{{- end -}}

{{- define "platform-app.image" -}}
{{- printf "%s/%s:%s" .Values.image.registry .Values.image.repository .Values.image.tag -}}
{{- end -}}

{{- define "platform-app.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}{{ include "platform-app.fullname" . }}{{- else -}}default{{- end -}}
{{- end -}}

{{- define "platform-app.databaseName" -}}{{ include "platform-app.fullname" . }}-db{{- end -}}
{{/* Archive folder of a database bootstrapped from a backup: never the folder it came from. */}}
{{- define "platform-app.recoveredServerName" -}}{{ printf "%s-from-%s" (include "platform-app.databaseName" .) .Values.database.recoverFrom | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- define "platform-app.rabbitmqName" -}}{{ include "platform-app.fullname" . }}-mq{{- end -}}
{{- define "platform-app.projectSecret" -}}{{ default (printf "%s-env" .Values.app.project) .Values.secrets.project.name }}{{- end -}}

{{/* True when more than one pod can run, so a PDB makes sense. */}}
{{- define "platform-app.multiPod" -}}
{{- if or (gt (int .Values.replicas) 1) (and .Values.autoscaling.enabled (gt (int .Values.autoscaling.maxReplicas) 1)) -}}true{{- end -}}
{{- end -}}

{{/* Workload kind: Deployment for rolling updates, Argo Rollouts Rollout otherwise. */}}
{{- define "platform-app.isRollout" -}}
{{- if ne .Values.strategy.type "rolling" -}}true{{- end -}}
{{- end -}}
