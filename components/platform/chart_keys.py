"""Which values keys of each platform chart were checked against the chart's own values.yaml.

Every key path the platform sets in a chart's values was looked up in that chart's `values.yaml`
at the pinned version (or, where the chart documents a key only as a comment, in its templates).
The record names the chart version it holds for, so a version bump (Renovate) fails
`tests/platform/test_chart_keys.py` until the keys are checked again against the new values.yaml.
Maps the chart passes through whole (resources, security contexts, annotations) are recorded
at the map, not below it.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.platform.renovate import CHART_VALUE_KEYS as RENOVATE_KEYS


@dataclass(frozen=True)
class CheckedKeys:
    version: str
    source: str
    """Where the values.yaml was read: repository@tag:path."""
    keys: frozenset[str]


CHECKED: dict[str, CheckedKeys] = {
    "argo-cd": CheckedKeys(
        "10.1.1",
        "argoproj/argo-helm@argo-cd-10.1.1:charts/argo-cd/values.yaml",
        frozenset(
            {
                "applicationSet.resources",
                "configs.cm.admin.enabled",
                "configs.cm.dex.config",
                "configs.cm.exec.enabled",
                "configs.cm.users.anonymous.enabled",
                "configs.params.server.insecure",
                "configs.rbac.policy.csv",
                "configs.rbac.policy.default",
                "configs.rbac.scopes",
                "configs.tls.certificates",  # a map of host -> PEM (argocd-tls-certs-cm)
                "controller.resources",
                "crds.install",
                "crds.keep",
                "dex.enabled",
                "dex.resources",
                "global.domain",
                "notifications.resources",
                "redis.resources",
                "redisSecretInit.resources",
                "repoServer.replicas",
                "repoServer.resources",
                "server.ingress.annotations",
                "server.ingress.enabled",
                "server.ingress.hostname",
                "server.ingress.ingressClassName",
                "server.ingress.tls",
                "server.replicas",
                "server.resources",
            }
        ),
    ),
    "argo-rollouts": CheckedKeys(
        "2.41.0",
        "argoproj/argo-helm@argo-rollouts-2.41.0:charts/argo-rollouts/values.yaml",
        frozenset(
            {
                "controller.extraArgs",
                "controller.metrics.enabled",
                "controller.replicas",
                "controller.resources",
                "dashboard.enabled",
                "dashboard.ingress.annotations",
                "dashboard.ingress.enabled",
                "dashboard.ingress.hosts",
                "dashboard.ingress.ingressClassName",
                "dashboard.ingress.pathType",
                "dashboard.ingress.paths",
                "dashboard.ingress.tls",
                "dashboard.readonly",
                "dashboard.resources",
                "installCRDs",
                "keepCRDs",
                "providerRBAC.enabled",
                "providerRBAC.providers.traefik",
            }
        ),
    ),
    "cert-manager": CheckedKeys(
        "v1.21.1",
        "cert-manager/cert-manager@v1.21.1:deploy/charts/cert-manager/values.yaml",
        frozenset(
            {
                "cainjector.resources",
                "crds.enabled",
                "crds.keep",
                "prometheus.enabled",
                "prometheus.servicemonitor.enabled",
                "replicaCount",
                "resources",
                "startupapicheck.resources",
                "webhook.resources",
            }
        ),
    ),
    "cloudnative-pg": CheckedKeys(
        "0.29.0",
        "cloudnative-pg/charts@cloudnative-pg-v0.29.0:charts/cloudnative-pg/values.yaml",
        frozenset(
            {
                "config.data",  # the operator's ConfigMap, passed through whole (operator options)
                "crds.create",
                "image.repository",
                "image.tag",
                "monitoring.grafanaDashboard.create",
                "monitoring.podMonitorEnabled",
                "replicaCount",
                "resources",
            }
        ),
    ),
    "external-secrets": CheckedKeys(
        "2.9.0",
        "external-secrets/external-secrets@helm-chart-2.9.0:deploy/charts/external-secrets/values.yaml",
        frozenset(
            {
                "certController.replicaCount",
                "certController.resources",
                "installCRDs",
                "replicaCount",
                "resources",
                "webhook.replicaCount",
                "webhook.resources",
            }
        ),
    ),
    # `ingress.ingressClassName`, `persistence.storageClassName`, `podAnnotations` and the `datasources`
    # files are documented as comments only; templates/ingress.yaml, statefulset.yaml, deployment.yaml
    # and _config.tpl read them. `grafana.ini` is rendered section by section into grafana.ini
    # (_config.tpl): `auth.ldap.*` and `server.root_url` are in the values comments, the other
    # settings are Grafana's own, found in grafana/grafana conf/defaults.ini (analytics, news, users;
    # read at a stored commit, 002060fd, not at the 13.1.1 tag the chart ships).
    "grafana": CheckedKeys(
        "12.7.3",
        "grafana-community/helm-charts@grafana-12.7.3:charts/grafana/values.yaml",
        frozenset(
            {
                "admin.existingSecret",
                "admin.passwordKey",
                "admin.userKey",
                "datasources.datasources.yaml.apiVersion",
                "datasources.datasources.yaml.datasources",
                "grafana.ini.analytics.check_for_plugin_updates",
                "grafana.ini.analytics.check_for_updates",
                "grafana.ini.analytics.reporting_enabled",
                "grafana.ini.auth.ldap.allow_sign_up",
                "grafana.ini.auth.ldap.config_file",
                "grafana.ini.auth.ldap.enabled",
                "grafana.ini.news.news_feed_enabled",
                "grafana.ini.server.domain",
                "grafana.ini.server.root_url",
                "grafana.ini.users.allow_sign_up",
                "ingress.annotations",
                "ingress.enabled",
                "ingress.hosts",
                "ingress.ingressClassName",
                "ingress.path",
                "ingress.pathType",
                "ingress.tls",
                "initChownData.enabled",
                "ldap.enabled",
                "ldap.existingSecret",
                "persistence.accessModes",
                "persistence.enabled",
                "persistence.size",
                "persistence.storageClassName",
                "persistence.type",
                "plugins",
                "podAnnotations",
                "replicas",
                "resources",
                "sidecar.dashboards.enabled",
                "sidecar.dashboards.folderAnnotation",
                "sidecar.dashboards.label",
                "sidecar.dashboards.labelValue",
                "sidecar.dashboards.provider.foldersFromFilesStructure",
                "sidecar.dashboards.searchNamespace",
                "sidecar.datasources.enabled",
                "sidecar.resources",
                "testFramework.enabled",
            }
        ),
    ),
    "harbor": CheckedKeys(
        "1.19.1",
        "goharbor/harbor-helm@v1.19.1:values.yaml",
        frozenset(
            {
                "core.resources",
                "database.internal.resources",
                "database.type",
                "existingSecretAdminPassword",
                "existingSecretAdminPasswordKey",
                "existingSecretSecretKey",
                "exporter.resources",
                "expose.ingress.annotations",
                "expose.ingress.className",
                "expose.ingress.hosts.core",
                "expose.tls.certSource",
                "expose.tls.enabled",
                "expose.tls.secret.secretName",
                "expose.type",
                "externalURL",
                "jobservice.resources",
                "metrics.enabled",
                "persistence.enabled",
                "persistence.persistentVolumeClaim.database.size",
                "persistence.persistentVolumeClaim.database.storageClass",
                "persistence.persistentVolumeClaim.jobservice.jobLog.size",
                "persistence.persistentVolumeClaim.jobservice.jobLog.storageClass",
                "persistence.persistentVolumeClaim.redis.size",
                "persistence.persistentVolumeClaim.redis.storageClass",
                "persistence.persistentVolumeClaim.registry.size",
                "persistence.persistentVolumeClaim.registry.storageClass",
                "persistence.persistentVolumeClaim.trivy.size",
                "persistence.persistentVolumeClaim.trivy.storageClass",
                "persistence.resourcePolicy",
                "portal.resources",
                "redis.internal.resources",
                "redis.type",
                "registry.controller.resources",
                "registry.registry.resources",
                "trivy.enabled",
                "trivy.resources",
            }
        ),
    ),
    # The chart is released from the application tag (Chart.yaml holds a placeholder version).
    "kubelet-csr-approver": CheckedKeys(
        "1.2.14",
        "postfinance/kubelet-csr-approver@v1.2.14:charts/kubelet-csr-approver/values.yaml",
        frozenset(
            {
                "bypassDnsResolution",
                "metrics.enable",
                "podSecurityContext",
                "providerIpPrefixes",
                "providerRegex",
                "replicas",
                "resources",
            }
        ),
    ),
    "kyverno": CheckedKeys(
        "3.9.0",
        "kyverno/kyverno@kyverno-chart-3.9.0:charts/kyverno/values.yaml",
        frozenset(
            {
                "admissionController.caCertificates.data",
                "admissionController.container.resources",
                "admissionController.replicas",
                "backgroundController.enabled",
                "backgroundController.resources",
                "cleanupController.resources",
                "reportsController.resources",
            }
        ),
    ),
    # The longhorn/charts repository only mirrors releases; the chart lives in longhorn/longhorn.
    # `defaultSettings.defaultReplicaCount` takes a per-data-engine map ({"v1": "3"}, values comment),
    # rendered whole as JSON (templates/_helpers.tpl `longhorn.multiTypeSetting`).
    "longhorn": CheckedKeys(
        "1.12.1",
        "longhorn/longhorn@v1.12.1:chart/values.yaml",
        frozenset(
            {
                "defaultBackupStore.backupTarget",
                "defaultBackupStore.backupTargetCredentialSecret",
                "defaultBackupStore.pollInterval",
                "defaultSettings.createDefaultDiskLabeledNodes",
                "defaultSettings.defaultDataPath",
                "defaultSettings.defaultReplicaCount",
                "defaultSettings.storageReservedPercentageForDefaultDisk",
                "defaultSettings.systemManagedCSIComponentsResourceLimits",
                "ingress.annotations",
                "ingress.enabled",
                "ingress.host",
                "ingress.ingressClassName",
                "ingress.path",
                "ingress.pathType",
                "ingress.tls",
                "ingress.tlsSecret",
                "longhornManager.resources",
                "longhornUI.replicas",
                "persistence.backupTargetName",
                "persistence.defaultClass",
                "persistence.defaultClassReplicaCount",
                "persistence.defaultFsType",
                "persistence.reclaimPolicy",
                "preUpgradeChecker.jobEnabled",
            }
        ),
    ),
    "metallb": CheckedKeys(
        "0.16.1",
        "metallb/metallb@metallb-chart-0.16.1:charts/metallb/values.yaml",
        frozenset(
            {
                "controller.resources",
                "frrk8s.enabled",
                "speaker.frr.enabled",
                "speaker.ignoreExcludeLB",
                "speaker.resources",
            }
        ),
    ),
    "plugin-barman-cloud": CheckedKeys(
        "0.7.0",
        "cloudnative-pg/charts@plugin-barman-cloud-v0.7.0:charts/plugin-barman-cloud/values.yaml",
        frozenset(
            {
                "crds.create",
                "image.registry",
                "image.repository",
                "image.tag",
                "resources",
                "sidecarImage.registry",
                "sidecarImage.repository",
                "sidecarImage.tag",
            }
        ),
    ),
    "reloader": CheckedKeys(
        "2.2.16",
        "stakater/Reloader@chart-v2.2.16:deployments/kubernetes/chart/reloader/values.yaml",
        frozenset(
            {
                "reloader.deployment.resources",
                "reloader.isArgoRollouts",
                "reloader.reloadStrategy",
                "reloader.watchGlobally",
            }
        ),
    ),
    "traefik": CheckedKeys(
        "41.3.0",
        "traefik/traefik-helm-chart@v41.3.0:traefik/values.yaml",
        frozenset(
            {
                "api.dashboard",
                "deployment.replicas",
                "global.checkNewVersion",
                "global.sendAnonymousUsage",
                "ingressClass.enabled",
                "ingressClass.isDefaultClass",
                "ingressClass.name",
                "ingressRoute.dashboard.enabled",
                "metrics.prometheus.addEntryPointsLabels",
                "metrics.prometheus.addRoutersLabels",
                "metrics.prometheus.addServicesLabels",
                "metrics.prometheus.entryPoint",
                "metrics.prometheus.service.annotations",
                "metrics.prometheus.service.enabled",
                "podDisruptionBudget.enabled",
                "podDisruptionBudget.maxUnavailable",
                "ports.metrics.expose.default",
                "ports.web.http.redirections.entryPoint.permanent",
                "ports.web.http.redirections.entryPoint.scheme",
                "ports.web.http.redirections.entryPoint.to",
                "ports.websecure.http.tls.enabled",
                "providers.kubernetesCRD.allowCrossNamespace",
                "providers.kubernetesCRD.enabled",
                "providers.kubernetesIngress.enabled",
                "providers.kubernetesIngress.publishedService.enabled",
                "resources",
                "service.annotations",
                "service.spec.type",
            }
        ),
    ),
    "trivy-operator": CheckedKeys(
        "0.34.0",
        "aquasecurity/trivy-operator@v0.32.0:deploy/helm/values.yaml",
        frozenset(
            {
                "operator.configAuditScannerEnabled",
                "operator.exposedSecretScannerEnabled",
                "operator.metricsFindingsEnabled",
                "operator.metricsVulnIdEnabled",
                "operator.scanJobTimeout",
                "operator.scanJobsConcurrentLimit",
                "operator.vulnerabilityScannerEnabled",
                "resources",
                "serviceMonitor.enabled",
                "trivy.ignoreUnfixed",
                "trivy.resources",
                "trivy.severity",
            }
        ),
    ),
    "vault": CheckedKeys(
        "0.34.1",
        "hashicorp/vault-helm@v0.34.1:values.yaml",
        frozenset(
            {
                "csi.enabled",
                "global.enabled",
                "global.tlsDisable",
                "injector.enabled",
                "server.auditStorage.accessMode",
                "server.auditStorage.enabled",
                "server.auditStorage.mountPath",
                "server.auditStorage.size",
                "server.auditStorage.storageClass",
                "server.dataStorage.accessMode",
                "server.dataStorage.enabled",
                "server.dataStorage.mountPath",
                "server.dataStorage.size",
                "server.dataStorage.storageClass",
                "server.ha.disruptionBudget.enabled",
                "server.ha.disruptionBudget.maxUnavailable",
                "server.ha.enabled",
                "server.ha.raft.config",
                "server.ha.raft.enabled",
                "server.ha.raft.setNodeId",
                "server.ha.replicas",
                "server.ingress.activeService",
                "server.ingress.annotations",
                "server.ingress.enabled",
                "server.ingress.hosts",
                "server.ingress.ingressClassName",
                "server.ingress.tls",
                "server.readinessProbe.enabled",
                "server.readinessProbe.path",
                "server.resources",
                "server.standalone.enabled",
                "server.statefulSet.securityContext",
                "ui.enabled",
                "ui.serviceType",
            }
        ),
    ),
    # No vector-0.57.0 tag: 1595b177 is the commit that set the chart to 0.57.0 (values unchanged to
    # 6dbdb4a1). `customConfig` is Vector's own configuration, written whole to vector.yaml
    # (templates/configmap.yaml); its keys were checked against vectordotdev/vector@v0.56.0 (the chart's
    # appVersion) website/cue/reference: generated/configuration.cue (data_dir, api), sources file
    # (include, read_from), transforms remap (source), sinks elasticsearch (api_version, compression,
    # endpoints, healthcheck, mode, query).
    "vector": CheckedKeys(
        "0.57.0",
        "vectordotdev/helm-charts@1595b1771b67:charts/vector/values.yaml",
        frozenset(
            {
                "customConfig.api.enabled",
                "customConfig.data_dir",
                "customConfig.sinks.victorialogs.api_version",
                "customConfig.sinks.victorialogs.compression",
                "customConfig.sinks.victorialogs.endpoints",
                "customConfig.sinks.victorialogs.healthcheck.enabled",
                "customConfig.sinks.victorialogs.inputs",
                "customConfig.sinks.victorialogs.mode",
                "customConfig.sinks.victorialogs.query._msg_field",
                "customConfig.sinks.victorialogs.query._stream_fields",
                "customConfig.sinks.victorialogs.query._time_field",
                "customConfig.sinks.victorialogs.type",
                "customConfig.sources.audit_files.include",
                "customConfig.sources.audit_files.read_from",
                "customConfig.sources.audit_files.type",
                "customConfig.transforms.audit.inputs",
                "customConfig.transforms.audit.source",
                "customConfig.transforms.audit.type",
                "defaultVolumeMounts",
                "defaultVolumes",
                "nodeSelector",
                "podMonitor.enabled",
                "resources",
                "role",
                "securityContext",
                "service.enabled",
                "tolerations",
            }
        ),
    ),
    "victoria-logs-collector": CheckedKeys(
        "0.3.7",
        "VictoriaMetrics/helm-charts@victoria-logs-collector-0.3.7:charts/victoria-logs-collector/values.yaml",
        frozenset(
            {
                "collector.excludeFilter",
                "collector.includePodLabels",
                "remoteWrite",
                "resources",
                "tolerations",
            }
        ),
    ),
    # `server.retentionDiskSpaceUsage` is set only when a disk cap is configured (not in the lab).
    "victoria-logs-single": CheckedKeys(
        "0.13.9",
        "VictoriaMetrics/helm-charts@victoria-logs-single-0.13.9:charts/victoria-logs-single/values.yaml",
        frozenset(
            {
                "server.fullnameOverride",
                "server.persistentVolume.accessModes",
                "server.persistentVolume.enabled",
                "server.persistentVolume.size",
                "server.persistentVolume.storageClassName",
                "server.replicaCount",
                "server.resources",
                "server.retentionDiskSpaceUsage",
                "server.retentionPeriod",
                "server.vmServiceScrape.enabled",
                "vector.enabled",
            }
        ),
    ),
    # Sub-chart keys at the versions of its Chart.lock: victoria-metrics-operator 0.67.2
    # (VictoriaMetrics/helm-charts@victoria-metrics-operator-0.67.2), kube-state-metrics 7.5.3 and
    # prometheus-node-exporter 4.55.1 (prometheus-community/helm-charts at those chart tags).
    # `vmagent.spec`, `vmalert.spec` and `vmsingle.spec` become the CRs' spec (templates/_helpers.tpl
    # vm.agent.spec, vm.alert.spec, vm.single.spec); their fields were checked against the
    # VMAgent/VMAlert/VMSingle v1beta1 schemas of VictoriaMetrics/operator v0.74.1
    # (config/crd/overlay/crd.descriptionless.yaml).
    "victoria-metrics-k8s-stack": CheckedKeys(
        "0.91.2",
        "VictoriaMetrics/helm-charts@victoria-metrics-k8s-stack-0.91.2:charts/victoria-metrics-k8s-stack/values.yaml",
        frozenset(
            {
                "alertmanager.enabled",
                "argocdReleaseOverride",
                "coreDns.enabled",
                "defaultDashboards.enabled",
                "defaultRules.enabled",
                "fullnameOverride",
                "global.clusterLabel",
                "grafana.enabled",
                "kube-state-metrics.enabled",
                "kube-state-metrics.resources",
                "kubeApiServer.enabled",
                "kubeControllerManager.enabled",
                "kubeControllerManager.endpoints",
                "kubeControllerManager.service.enabled",
                "kubeControllerManager.service.port",
                "kubeControllerManager.service.targetPort",
                "kubeControllerManager.vmScrape.spec.endpoints",
                "kubeEtcd.enabled",
                "kubeEtcd.endpoints",
                "kubeEtcd.service.enabled",
                "kubeEtcd.service.port",
                "kubeEtcd.service.targetPort",
                "kubeEtcd.vmScrape.spec.endpoints",
                "kubeProxy.enabled",
                "kubeScheduler.enabled",
                "kubeScheduler.endpoints",
                "kubeScheduler.service.enabled",
                "kubeScheduler.service.port",
                "kubeScheduler.service.targetPort",
                "kubeScheduler.vmScrape.spec.endpoints",
                "kubelet.enabled",
                "prometheus-node-exporter.enabled",
                "prometheus-node-exporter.resources",
                "syncJob.enabled",
                "victoria-metrics-operator.admissionWebhooks.certManager.enabled",
                "victoria-metrics-operator.admissionWebhooks.enabled",
                "victoria-metrics-operator.admissionWebhooks.policy",
                "victoria-metrics-operator.crds.cleanup.enabled",
                "victoria-metrics-operator.crds.plain",
                "victoria-metrics-operator.enabled",
                "victoria-metrics-operator.operator.disable_prometheus_converter",
                "victoria-metrics-operator.resources",
                "vmagent.enabled",
                "vmagent.spec.configReloaderResources",
                "vmagent.spec.externalLabels",
                "vmagent.spec.extraArgs",
                "vmagent.spec.inlineScrapeConfig",
                "vmagent.spec.resources",
                "vmagent.spec.scrapeInterval",
                "vmagent.spec.selectAllByDefault",
                "vmalert.enabled",
                "vmalert.spec.configReloaderResources",
                "vmalert.spec.evaluationInterval",
                "vmalert.spec.notifiers",
                "vmalert.spec.resources",
                "vmalert.spec.selectAllByDefault",
                "vmcluster.enabled",
                "vmsingle.enabled",
                "vmsingle.spec.replicaCount",
                "vmsingle.spec.resources",
                "vmsingle.spec.retentionPeriod",
                "vmsingle.spec.storage.accessModes",
                "vmsingle.spec.storage.resources",
                "vmsingle.spec.storage.storageClassName",
            }
        ),
    ),
    "renovate": CheckedKeys("46.254.2", "renovatebot/helm-charts@renovate-46.254.2:charts/renovate/values.yaml", RENOVATE_KEYS),
}
