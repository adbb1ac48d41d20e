{{- define "usina.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "usina.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "usina.labels" -}}
app.kubernetes.io/name: {{ include "usina.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "usina.selector" -}}
app.kubernetes.io/name: {{ include "usina.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "usina.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "usina.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "usina.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Pods: no privileges, no root, no writable root filesystem. */}}
{{- define "usina.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "usina.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* Configuration: the ConfigMap, plus the app's secrets by reference. */}}
{{- define "usina.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "usina.fullname" . }}
env:
  - name: USINA_DATABASE_URL
    valueFrom:
      secretKeyRef:
        name: {{ .Values.secrets.existingSecret }}
        key: {{ .Values.secrets.databaseUrlKey }}
  - name: USINA_REDIS_URL
    valueFrom:
      secretKeyRef:
        name: {{ .Values.secrets.existingSecret }}
        key: {{ .Values.secrets.redisUrlKey }}
{{- if .Values.secrets.smtpPasswordKey }}
  - name: USINA_SMTP_PASSWORD
    valueFrom:
      secretKeyRef:
        name: {{ .Values.secrets.existingSecret }}
        key: {{ .Values.secrets.smtpPasswordKey }}
{{- end }}
{{- range $name, $key := dict "USINA_S3_ACCESS_KEY_ID" .Values.secrets.s3AccessKeyIdKey "USINA_S3_SECRET_ACCESS_KEY" .Values.secrets.s3SecretAccessKeyKey }}
{{- if $key }}
  - name: {{ $name }}
    valueFrom:
      secretKeyRef:
        name: {{ $.Values.secrets.existingSecret }}
        key: {{ $key }}
{{- end }}
{{- end }}
{{- end -}}

{{/* A writable /tmp (the root filesystem is read-only). */}}
{{- define "usina.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{- define "usina.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{- define "usina.migrateContainer" -}}
- name: {{ .name }}
  image: {{ include "usina.image" .root }}
  imagePullPolicy: {{ .root.Values.image.pullPolicy }}
  args: {{ toJson .args }}
  env:
    # The hook runs before the chart's ConfigMap exists: only what migrating needs.
    - name: USINA_ENVIRONMENT
      value: production
    - name: USINA_LOG_FORMAT
      value: json
    - name: USINA_DB_APP_ROLE
      value: {{ .root.Values.database.appRole | quote }}
    - name: USINA_DATABASE_URL
      valueFrom:
        secretKeyRef:
          name: {{ .root.Values.secrets.existingSecret }}
          key: {{ .root.Values.secrets.databaseUrlKey }}
    - name: USINA_MIGRATION_DATABASE_URL
      valueFrom:
        secretKeyRef:
          name: {{ .root.Values.secrets.existingSecret }}
          key: {{ .root.Values.secrets.migrationDatabaseUrlKey }}
  resources:
    {{- toYaml .root.Values.migrations.resources | nindent 4 }}
  securityContext:
    {{- include "usina.containerSecurityContext" .root | nindent 4 }}
  volumeMounts:
    {{- include "usina.tmpMount" .root | nindent 4 }}
{{- end }}
