"""Rendered tenant objects against the upstream schemas, and preview overrides against the base chart."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
import yaml

from components.tenant.args import TenantPlatform, TenantProjectArgs
from components.tenant.previews import APP, HEAD_SHA, NUMBER, preview_values
from tests.helm_values import helm_merge
from idpctl.render_cmd import kubernetes_objects
from idpctl.schemas import NO_PUBLISHED_SCHEMA
from tests.tenant.conftest import render_projects

CHART = Path(__file__).resolve().parents[2] / "charts" / "platform-app"


def test_lab_projects_validate_against_upstream_schemas(lab_config, schemas):
    objects = kubernetes_objects(render_projects(lab_config))
    kinds = Counter((o["apiVersion"], o["kind"]) for o in objects)
    assert kinds == {
        ("v1", "Namespace"): 4,
        ("v1", "ResourceQuota"): 4,
        ("v1", "LimitRange"): 4,
        ("v1", "ServiceAccount"): 4,
        ("networking.k8s.io/v1", "NetworkPolicy"): 4,
        ("external-secrets.io/v1", "SecretStore"): 4,
        ("external-secrets.io/v1", "ExternalSecret"): 8,
        ("argoproj.io/v1alpha1", "AppProject"): 2,
        ("argoproj.io/v1alpha1", "ApplicationSet"): 6,  # per project: PR previews, environments, pipeline previews
        ("kyverno.io/v1", "ClusterPolicy"): 2,
        ("v1", "Secret"): 4,
        ("barmancloud.cnpg.io/v1", "ObjectStore"): 4,
    }
    # every custom resource is checked against its CRD, not waved through; the one kind whose CRD
    # the schema set lacks is named as unchecked
    for api_version, kind in kinds:
        if "." in api_version.split("/")[0] and not api_version.startswith("networking.k8s.io"):
            assert schemas.knows(api_version, kind) or (api_version, kind) in NO_PUBLISHED_SCHEMA, (api_version, kind)
    assert len(schemas.unchecked(objects)) == kinds[("barmancloud.cnpg.io/v1", "ObjectStore")]
    assert schemas.validate_all(objects) == []


def test_objects_generated_by_the_preview_policy_validate(lab_config, schemas):
    """The ResourceQuota, LimitRange and NetworkPolicy Kyverno writes into a preview namespace."""
    objects = kubernetes_objects(render_projects(lab_config))
    for policy in (o for o in objects if o["kind"] == "ClusterPolicy"):
        for rule in policy["spec"]["rules"]:
            generate = rule["generate"]
            if "data" not in generate:
                continue
            obj = {
                "apiVersion": generate["apiVersion"],
                "kind": generate["kind"],
                "metadata": {"name": generate["name"], "namespace": "payments-pr-17"},
                **generate["data"],
            }
            assert schemas.validate(obj) == [], rule["name"]


def test_schema_validation_catches_a_broken_object(lab_config, schemas):
    objects = kubernetes_objects(render_projects(lab_config))
    external_secret = copy.deepcopy(next(o for o in objects if o["kind"] == "ExternalSecret"))
    external_secret["spec"]["refreshInterval"] = {"minutes": 1}
    external_secret["spec"]["secretStoreRef"]["kind"] = "VaultStore"
    assert schemas.validate(external_secret)
    app_project = copy.deepcopy(next(o for o in objects if o["kind"] == "AppProject"))
    app_project["spec"]["destinations"][0]["namespaces"] = ["*"]
    assert schemas.validate(app_project)


def _substitute(value, params):
    """Evaluate the three Go template expressions the ApplicationSet uses, for one pull request."""
    if isinstance(value, dict):
        return {k: _substitute(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, params) for v in value]
    if isinstance(value, str):
        return value.replace(APP, params["app"]).replace(NUMBER, str(params["number"])).replace(HEAD_SHA, params["head_sha"])
    return value



@pytest.mark.parametrize("values_file", sorted(p.name for p in (CHART / "ci").glob("*-values.yaml")))
def test_preview_overrides_make_any_app_small_and_stateless(values_file):
    args = TenantProjectArgs(name="payments", source_repos=["https://bitbucket.lab.idp.internal/scm/pay/payments.git"])
    platform = TenantPlatform(domain="lab.idp.internal", harbor_host="harbor.lab.idp.internal")
    overrides = _substitute(
        preview_values(args, platform), {"app": "api", "number": 17, "head_sha": "0123456789abcdef0123456789abcdef01234567"}
    )
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    app_values = yaml.safe_load((CHART / "ci" / values_file).read_text()) or {}
    values = helm_merge(helm_merge(defaults, app_values), overrides)
    jsonschema.validate(values, json.loads((CHART / "values.schema.json").read_text()))
    assert values["replicas"] == 1
    assert values["autoscaling"]["enabled"] is False
    assert values["reloader"]["enabled"] is False
    assert values["secrets"]["project"]["enabled"] is False and "extra" not in values["secrets"]
    assert "secretEnv" not in values and "persistence" not in values
    assert values["database"]["enabled"] is False and values["rabbitmq"]["enabled"] is False
    assert values["ingress"]["enabled"] is True
    assert values["ingress"]["host"] == "api-pr-17.lab.idp.internal"
    assert values["ingress"]["tls"] == {"enabled": True, "clusterIssuer": "platform-ca"}
    assert values["image"]["repository"] == "payments/api"
    assert values["imagePullSecrets"] == ["payments-harbor-pull"]
