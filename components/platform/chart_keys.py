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
    "kyverno": CheckedKeys(
        "3.9.0",
        "kyverno/kyverno@kyverno-chart-3.9.0:charts/kyverno/values.yaml",
        frozenset(
            {
                "admissionController.container.resources",
                "admissionController.replicas",
                "backgroundController.enabled",
                "backgroundController.resources",
                "cleanupController.resources",
                "reportsController.resources",
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
    "renovate": CheckedKeys("46.254.2", "renovatebot/helm-charts@renovate-46.254.2:charts/renovate/values.yaml", RENOVATE_KEYS),
}
