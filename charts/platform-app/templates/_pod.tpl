{{/*
The pod template shared by the Deployment and the Rollout. The restricted security context is
fixed here on purpose: only the non-root user/group ids are values.
*/}}
{{- define "platform-app.podTemplate" -}}
metadata:
  labels:
    {{- include "platform-app.labels" . | nindent 4 }}
  {{- with .Values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "platform-app.serviceAccountName" . }}
  automountServiceAccountToken: {{ .Values.serviceAccount.automountToken }}
  enableServiceLinks: false
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . }}
    {{- end }}
  {{- end }}
  securityContext:
    runAsNonRoot: true
    runAsUser: {{ .Values.podSecurityContext.runAsUser }}
    runAsGroup: {{ .Values.podSecurityContext.runAsGroup }}
    fsGroup: {{ .Values.podSecurityContext.fsGroup }}
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: app
      image: {{ include "platform-app.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      {{- with .Values.command }}
      command:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.args }}
      args:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      ports:
        {{- range $name, $p := .Values.service.ports }}
        - name: {{ $name }}
          containerPort: {{ default $p.port $p.containerPort }}
          protocol: {{ default "TCP" $p.protocol }}
        {{- end }}
      {{- include "platform-app.env" . | nindent 6 }}
      {{- include "platform-app.envFrom" . | nindent 6 }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      {{- range $kind, $p := .Values.probes }}
      {{- if $p.enabled }}
      {{ $kind }}Probe:
        {{- if eq $p.type "http" }}
        httpGet:
          path: {{ $p.path }}
          port: {{ $p.port }}
        {{- else }}
        tcpSocket:
          port: {{ $p.port }}
        {{- end }}
        initialDelaySeconds: {{ $p.initialDelaySeconds }}
        periodSeconds: {{ $p.periodSeconds }}
        timeoutSeconds: {{ $p.timeoutSeconds }}
        failureThreshold: {{ $p.failureThreshold }}
      {{- end }}
      {{- end }}
      securityContext:
        runAsNonRoot: true
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        privileged: false
        capabilities:
          drop: ["ALL"]
        seccompProfile:
          type: RuntimeDefault
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        {{- range $id, $v := .Values.persistence }}
        {{- if ne $v.enabled false }}
        - name: {{ $id }}
          mountPath: {{ $v.mountPath }}
        {{- end }}
        {{- end }}
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: 256Mi
    {{- range $id, $v := .Values.persistence }}
    {{- if ne $v.enabled false }}
    - name: {{ $id }}
      {{- if eq $v.type "pvc" }}
      persistentVolumeClaim:
        claimName: {{ include "platform-app.fullname" $ }}-{{ $id }}
      {{- else }}
      emptyDir:
        {{- with $v.sizeLimit }}
        sizeLimit: {{ . }}
        {{- end }}
      {{- end }}
    {{- end }}
    {{- end }}
{{- end -}}

{{/* Environment: plain values, single secret keys, then the database and broker credentials. */}}
{{- define "platform-app.env" -}}
{{- $db := include "platform-app.databaseName" . -}}
{{- $mq := include "platform-app.rabbitmqName" . -}}
env:
  - name: APP_NAME
    value: {{ include "platform-app.name" . | quote }}
  {{- with .Values.app.environment }}
  - name: ENVIRONMENT
    value: {{ . | quote }}
  {{- end }}
  {{- range $k, $v := .Values.env }}
  - name: {{ $k }}
    value: {{ $v | toString | quote }}
  {{- end }}
  {{- range $k, $v := .Values.secretEnv }}
  - name: {{ $k }}
    valueFrom:
      secretKeyRef:
        name: {{ $v.secretName }}
        key: {{ $v.key }}
  {{- end }}
  {{- if .Values.database.enabled }}
  {{- range $env, $key := dict "DATABASE_URL" "uri" "PGHOST" "host" "PGPORT" "port" "PGDATABASE" "dbname" "PGUSER" "username" "PGPASSWORD" "password" }}
  - name: {{ $env }}
    valueFrom:
      secretKeyRef:
        name: {{ $db }}-app
        key: {{ $key }}
  {{- end }}
  {{- end }}
  {{- if .Values.rabbitmq.enabled }}
  {{- range $env, $key := dict "AMQP_URL" "connection_string" "RABBITMQ_HOST" "host" "RABBITMQ_PORT" "port" "RABBITMQ_USERNAME" "username" "RABBITMQ_PASSWORD" "password" }}
  - name: {{ $env }}
    valueFrom:
      secretKeyRef:
        name: {{ $mq }}-default-user
        key: {{ $key }}
  {{- end }}
  {{- end }}
{{- end -}}

{{- define "platform-app.envFrom" -}}
{{- if or .Values.secrets.project.enabled .Values.secrets.extra }}
envFrom:
  {{- if .Values.secrets.project.enabled }}
  - secretRef:
      name: {{ include "platform-app.projectSecret" . }}
  {{- end }}
  {{- range $id, $s := .Values.secrets.extra }}
  - secretRef:
      name: {{ $s.name }}
      optional: {{ default false $s.optional }}
  {{- end }}
{{- end }}
{{- end -}}
