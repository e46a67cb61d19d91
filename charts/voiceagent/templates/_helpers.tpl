{{/* Chart name, truncated to a DNS label. */}}
{{- define "voiceagent.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's objects. */}}
{{- define "voiceagent.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "voiceagent.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: voiceagent
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}

{{/* Selector of the operator's pods: never changes across upgrades. */}}
{{- define "voiceagent.operatorSelector" -}}
app.kubernetes.io/name: {{ include "voiceagent.name" . }}-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "voiceagent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "voiceagent.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "voiceagent.operatorImage" -}}
{{- printf "%s:%s" .Values.operator.image.repository (default .Chart.AppVersion .Values.operator.image.tag) }}
{{- end }}

{{- define "voiceagent.servicesImage" -}}
{{- printf "%s:%s" .Values.servicesImage.repository (default .Chart.AppVersion .Values.servicesImage.tag) }}
{{- end }}

{{/* Name of the kopf peering object the replicas elect their leader in. */}}
{{- define "voiceagent.peering" -}}
{{- include "voiceagent.fullname" . }}
{{- end }}

{{/* Labels and selector of one bundled backend ("redis", "minio"...). */}}
{{- define "voiceagent.backendSelector" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: backend
{{- end }}

{{/* The data volume of a bundled backend: a PersistentVolumeClaim or an emptyDir. */}}
{{- define "voiceagent.backendVolume" -}}
- name: data
{{- if .root.Values.backends.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ include "voiceagent.fullname" .root }}-{{ .name }}
{{- else }}
  emptyDir: {}
{{- end }}
{{- end }}

{{- define "voiceagent.backendClaim" -}}
{{- if .root.Values.backends.persistence.enabled }}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ include "voiceagent.fullname" .root }}-{{ .name }}
  labels:
    {{- include "voiceagent.labels" .root | nindent 4 }}
    {{- include "voiceagent.backendSelector" . | nindent 4 }}
spec:
  accessModes: [ReadWriteOnce]
  {{- with .root.Values.backends.persistence.storageClassName }}
  storageClassName: {{ . }}
  {{- end }}
  resources:
    requests:
      storage: {{ .root.Values.backends.persistence.size }}
{{- end }}
{{- end }}

{{/* Hardened container settings shared by the operator and the backends. */}}
{{- define "voiceagent.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
{{- end }}
