"""The platform-app chart, checked by the real helm: `helm lint` and `helm template` of every
`ci/*-values.yaml` and of `idpctl app render` output for the examples; every rendered object is
validated against the upstream CRD schemas and kubernetes-validate, then each feature is
asserted on the objects that carry it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.golden_path import render

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CHART = REPO / "charts" / "platform-app"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
EXAMPLES = sorted(p for p in (REPO / "examples").glob("*/*.yaml") if p.name in ("platform.yaml", "score.yaml", "values.yaml"))
WORKLOADS = ("Deployment", "Rollout")
STANDARD_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
                   "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by", "app.kubernetes.io/team")


def _ci(name: str) -> Path:
    return CHART / "ci" / f"{name}-values.yaml"


def _pod(objects: list[dict]) -> dict:
    workloads = [o for o in objects if o["kind"] in WORKLOADS]
    assert len(workloads) == 1
    return workloads[0]["spec"]["template"]["spec"]


def _env(pod: dict) -> dict[str, dict]:
    return {e["name"]: e for e in pod["containers"][0].get("env", [])}


def assert_secure_and_labelled(objects: list[dict]) -> None:
    """What every render must have: restricted pods, explicit resources, standard labels."""
    for obj in objects:
        labels = obj["metadata"].get("labels", {})
        missing = [label for label in STANDARD_LABELS if label not in labels]
        assert not missing, f"{obj['kind']}/{obj['metadata']['name']} lacks labels {missing}"
    pod = _pod(objects)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    for container in pod["containers"]:
        sc = container["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
        assert sc["capabilities"] == {"drop": ["ALL"]} and sc["runAsNonRoot"] is True
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
        assert container["resources"]["requests"]["cpu"] and container["resources"]["requests"]["memory"]
        assert container["resources"]["limits"]["memory"]
        assert ":" in container["image"] and not container["image"].endswith(":latest")


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.stem)
def test_helm_lint(values: Path, helm: str, gp) -> None:
    result = gp.run([helm, "lint", str(CHART), "--strict", "--values", str(values)])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.stem)
def test_ci_values_render_schema_valid_objects(values: Path, helm_template, schemas) -> None:
    objects = helm_template(values)
    assert objects
    errors = schemas.validate_all(objects)
    assert errors == [], "\n".join(errors)
    assert_secure_and_labelled(objects)


def test_minimal_values_get_the_secure_defaults(helm_template, gp) -> None:
    objects = helm_template(_ci("minimal"), release="minimal")
    kinds = sorted(o["kind"] for o in objects)
    assert kinds == ["Deployment", "NetworkPolicy", "PodDisruptionBudget", "Service", "ServiceAccount"]
    deployment = gp.one(objects, "Deployment")
    assert deployment["metadata"]["annotations"]["reloader.stakater.com/auto"] == "true"
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "minimal", "app.kubernetes.io/instance": "minimal"}
    pod = _pod(objects)
    container = pod["containers"][0]
    assert container["image"] == "harbor.lab.example.com/shop/minimal:3f2c1a9"
    assert container["envFrom"] == [{"secretRef": {"name": "shop-env"}}]
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert deployment["metadata"]["labels"]["app.kubernetes.io/team"] == "web"


def test_full_values_wire_every_feature(helm_template, gp) -> None:
    objects = helm_template(_ci("full"), release="orders", namespace="shop-production")
    pod = _pod(objects)
    deployment = gp.one(objects, "Deployment", "orders")
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
    hpa = gp.one(objects, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "orders"}
    assert {m["resource"]["name"] for m in hpa["spec"]["metrics"]} == {"cpu", "memory"}

    ingress = gp.one(objects, "Ingress")
    assert ingress["spec"]["tls"] == [{"hosts": ["orders.apps.lab.example.com"], "secretName": "orders-tls"}]
    certificate = gp.one(objects, "Certificate")
    assert certificate["spec"]["issuerRef"] == {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "platform-ca"}
    assert certificate["spec"]["secretName"] == "orders-tls"

    env = _env(pod)
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "orders-db-app", "key": "uri"}
    assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "orders-db-app", "key": "password"}
    assert env["AMQP_URL"]["valueFrom"]["secretKeyRef"] == {"name": "orders-mq-default-user", "key": "connection_string"}
    assert env["PAYMENT_API_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "payment-provider", "key": "api-key"}
    assert env["FEATURE_X"]["value"] == "true" and env["WORKERS"]["value"] == "4"
    assert pod["containers"][0]["envFrom"] == [
        {"secretRef": {"name": "shop-env"}}, {"secretRef": {"name": "shop-smtp", "optional": True}}]

    cluster = gp.one(objects, "Cluster")
    assert cluster["spec"]["instances"] == 3 and cluster["spec"]["storage"]["storageClass"] == "longhorn"
    assert cluster["spec"]["plugins"][0]["parameters"] == {"barmanObjectName": "backups"}
    backup = gp.one(objects, "ScheduledBackup")
    assert backup["spec"]["method"] == "plugin" and backup["spec"]["cluster"] == {"name": "orders-db"}
    rabbit = gp.one(objects, "RabbitmqCluster")
    assert rabbit["metadata"]["name"] == "orders-mq" and rabbit["spec"]["replicas"] == 3

    claims = {c["metadata"]["name"]: c for c in gp.by_kind(objects, "PersistentVolumeClaim")}
    assert set(claims) == {"orders-uploads", "orders-cache"}
    uploads = claims["orders-uploads"]["metadata"]["labels"]
    assert uploads["recurring-job-group.longhorn.io/backup"] == "enabled"
    assert uploads["recurring-job.longhorn.io/source"] == "enabled"
    assert not any(k.startswith("recurring-job") for k in claims["orders-cache"]["metadata"]["labels"])
    mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert mounts == {"tmp": "/tmp", "uploads": "/var/lib/orders/uploads", "cache": "/var/cache/orders", "scratch": "/scratch"}

    policies = {p["metadata"]["name"]: p["spec"] for p in gp.by_kind(objects, "NetworkPolicy")}
    assert set(policies) == {"orders", "orders-db", "orders-mq"}
    app_policy = policies["orders"]
    sources = [peer for rule in app_policy["ingress"] for peer in rule["from"]]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "traefik"}}} in sources
    egress_ports = {(p["port"], p["protocol"]) for rule in app_policy["egress"] for p in rule.get("ports", [])}
    assert {(53, "UDP"), (53, "TCP"), (5432, "TCP"), (5672, "TCP"), (443, "TCP")} <= egress_ports
    assert policies["orders-db"]["podSelector"] == {"matchLabels": {"cnpg.io/cluster": "orders-db"}}
    # The namespace denies egress by default: replication, the API server and backups must pass.
    db_egress = policies["orders-db"]["egress"]
    assert {"to": [{"podSelector": {"matchLabels": {"cnpg.io/cluster": "orders-db"}}}]} in db_egress
    assert {(p["port"]) for rule in db_egress for p in rule.get("ports", [])} == {6443, 443}
    assert policies["orders-mq"]["policyTypes"] == ["Ingress", "Egress"]

    scrape = gp.one(objects, "VMServiceScrape")
    assert scrape["spec"]["endpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "15s"}]
    rule = gp.one(objects, "VMRule")
    alerts = {r["alert"]: r for r in rule["spec"]["groups"][0]["rules"]}
    assert set(alerts) == {"OrdersHighErrorRate", "OrdersQueueBacklog"}
    assert alerts["OrdersHighErrorRate"]["labels"] == {"severity": "critical", "team": "checkout", "project": "shop"}
    assert alerts["OrdersQueueBacklog"]["for"] == "5m"


def test_canary_uses_rollouts_and_a_weighted_traefik_service(helm_template, gp) -> None:
    objects = helm_template(_ci("canary"), release="storefront")
    assert not gp.by_kind(objects, "Deployment")
    rollout = gp.one(objects, "Rollout")
    canary = rollout["spec"]["strategy"]["canary"]
    assert canary["stableService"] == "storefront-stable" and canary["canaryService"] == "storefront-canary"
    assert canary["trafficRouting"] == {"traefik": {"weightedTraefikServiceName": "storefront"}}
    assert canary["steps"][3] == {"pause": {}}
    services = {s["metadata"]["name"] for s in gp.by_kind(objects, "Service")}
    assert services == {"storefront", "storefront-stable", "storefront-canary"}
    traefik_service = gp.one(objects, "TraefikService")
    assert [s["name"] for s in traefik_service["spec"]["weighted"]["services"]] == ["storefront-stable", "storefront-canary"]
    assert all("weight" not in s for s in traefik_service["spec"]["weighted"]["services"])
    route = gp.one(objects, "IngressRoute")["spec"]["routes"][0]
    assert route["services"] == [{"name": "storefront", "kind": "TraefikService"}]
    assert gp.one(objects, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]["kind"] == "Rollout"
    scrape = gp.one(objects, "VMServiceScrape")
    assert scrape["spec"]["selector"]["matchLabels"]["idp.platform/service-role"] == "main"


def test_blue_green_needs_manual_promotion(helm_template, gp) -> None:
    objects = helm_template(_ci("bluegreen"), release="billing", namespace="erp-production")
    blue_green = gp.one(objects, "Rollout")["spec"]["strategy"]["blueGreen"]
    assert blue_green == {"activeService": "billing", "previewService": "billing-preview",
                          "autoPromotionEnabled": False, "scaleDownDelaySeconds": 60}
    assert {s["metadata"]["name"] for s in gp.by_kind(objects, "Service")} == {"billing", "billing-preview"}
    route = gp.one(objects, "IngressRoute")
    assert route["spec"]["routes"][0]["services"] == [{"name": "billing", "kind": "Service", "port": 8080}]
    assert route["spec"]["tls"] == {"secretName": "billing-tls"}


def test_opt_outs_leave_their_objects_out(helm_template, gp) -> None:
    objects = helm_template(_ci("plain"), release="collector")
    kinds = {o["kind"] for o in objects}
    assert kinds == {"Deployment", "Service"}
    deployment = gp.one(objects, "Deployment")
    assert "annotations" not in deployment["metadata"]
    pod = _pod(objects)
    assert pod["serviceAccountName"] == "default" and "envFrom" not in pod["containers"][0]
    assert {p["name"]: p["protocol"] for p in pod["containers"][0]["ports"]} == {"syslog": "UDP", "health": "TCP"}
    assert pod["containers"][0]["livenessProbe"]["tcpSocket"] == {"port": "health"}
    assert "readinessProbe" not in pod["containers"][0]
    assert pod["securityContext"]["runAsUser"] == 10001


@pytest.mark.parametrize("values,message", [
    ({"app": {"project": "shop"}}, "app.team is required"),
    ({"app": {"team": "web", "project": "shop"}, "image": {"registry": "h.example.com", "repository": "a/b"}},
     "image.tag is required"),
    ({"strategy": {"type": "canary"}, "ingress": {"enabled": True, "host": "a.example.com", "kind": "Ingress"}},
     "strategy.type canary needs ingress.kind IngressRoute"),
    ({"ingress": {"enabled": True, "host": "a.example.com", "port": "web"}}, 'ingress.port "web" is not a key of service.ports'),
    ({"persistence": {"data": {"type": "pvc", "size": "1Gi", "mountPath": "/tmp"}}}, "persistence.data.mountPath /tmp is reserved"),
])
def test_helpful_fail_messages(values: dict, message: str, tmp_path: Path, helm_fails) -> None:
    base = yaml.safe_load(_ci("minimal").read_text())
    merged = {**base, **values}
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(merged))
    assert message in helm_fails(path)


def test_values_schema_rejects_a_misspelt_key(tmp_path: Path, helm_fails) -> None:
    base = yaml.safe_load(_ci("minimal").read_text())
    base["ingress"] = {"enabled": True, "hots": "a.example.com"}
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(base))
    stderr = helm_fails(path)
    assert "hots" in stderr and "ingress" in stderr


ENVS = [("staging", None), ("production", None), ("preview", 9)]


@pytest.mark.parametrize("env,pr", ENVS, ids=[e for e, _ in ENVS])
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.parent.name)
def test_rendered_examples_template_to_valid_objects(example: Path, env: str, pr: int | None, tmp_path: Path,
                                                    helm, helm_template, schemas, gp) -> None:
    rendered = render.render(example, env, image_tag="0a1b2c3d", registry="harbor.lab.idp.internal",
                             chart_repo="harbor.lab.idp.internal/platform", domain="lab.idp.internal", pr=pr)
    written = render.write(rendered, tmp_path, example.name)
    values_file = written[0]
    lint = gp.run([helm, "lint", str(CHART), "--strict", "--values", str(values_file)])
    assert lint.returncode == 0, lint.stdout + lint.stderr
    namespace = rendered.application["spec"]["destination"]["namespace"]
    objects = helm_template(values_file, release=rendered.application["spec"]["source"]["helm"]["releaseName"],
                            namespace=namespace)
    errors = schemas.validate_all(objects)
    assert errors == [], "\n".join(errors)
    assert_secure_and_labelled(objects)
    container = _pod(objects)["containers"][0]
    assert container["image"].endswith(":0a1b2c3d")
    if env == "preview":
        assert not gp.by_kind(objects, "Rollout") and not gp.by_kind(objects, "HorizontalPodAutoscaler")
