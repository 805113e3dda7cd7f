"""Every project namespace gets the `backups` ObjectStore its databases archive to: a path of its own
in the platform's bucket, the platform's S3 credentials (secret), and the name the base chart uses."""

from __future__ import annotations

import yaml

from idpctl.render_cmd import kubernetes_objects
from idpctl.runtime import SECRET, config_for_run, is_secret_envelope, run_layer, unwrap
from tests.tenant.conftest import render_projects, upstream_results
from tests.tenant.helpers import project_of

REPO_CHART_VALUES = "charts/platform-app/values.yaml"


def _stores(result) -> dict[str, dict]:
    return {o["metadata"]["namespace"]: o for o in kubernetes_objects(result) if o["kind"] == "ObjectStore"}


def test_one_object_store_per_project_namespace(lab_config, schemas):
    result = render_projects(lab_config)
    stores = _stores(result)
    assert set(stores) == {"payments-staging", "payments-production", "webshop-staging", "webshop-production"}
    assert schemas.validate_all(stores.values()) == []
    for namespace, store in stores.items():
        assert store["apiVersion"] == "barmancloud.cnpg.io/v1" and store["metadata"]["name"] == "backups"
        configuration = store["spec"]["configuration"]
        # A path per namespace: staging and production databases of one app never share a folder.
        assert configuration["destinationPath"] == f"s3://idp-lab-backups/cnpg/{namespace}/"
        assert configuration["endpointURL"] == "https://s3.lab.idp.internal"
        refs = configuration["s3Credentials"]
        assert {r["name"] for r in refs.values()} == {"backups-s3"}
        assert store["spec"]["retentionPolicy"] == "30d"
        # The sidecar the plugin adds to every database pod has explicit resources (the quota counts it).
        sidecar = store["spec"]["instanceSidecarConfiguration"]["resources"]
        assert sidecar["requests"]["cpu"] and sidecar["limits"]["memory"]


def test_the_base_chart_names_this_object_store():
    values = yaml.safe_load(open(REPO_CHART_VALUES))
    assert values["database"]["backup"]["objectStore"] == "backups"


def test_object_stores_belong_to_their_project(lab_config):
    result = render_projects(lab_config)
    for reg in result.resources:
        if reg.type == "kubernetes:barmancloud.cnpg.io/v1:ObjectStore":
            namespace = reg.inputs["metadata"]["namespace"]
            assert namespace.startswith(f"{project_of(result, reg)}-")


def test_credentials_are_the_platforms_and_stay_secret(lab_config):
    values, secret_keys, _ = config_for_run(lab_config)
    values.update({"idp:s3AccessKeyId": "AKIA-LAB-TEST", "idp:s3SecretAccessKey": "lab-secret-key"})
    result = run_layer("projects", "lab", values, secret_keys, upstream=upstream_results(lab_config))
    secrets = [r for r in result.resources if r.type == "kubernetes:core/v1:Secret" and r.inputs["metadata"]["name"] == "backups-s3"]
    assert len(secrets) == 4
    for reg in secrets:
        assert is_secret_envelope(reg.inputs["stringData"])
        assert unwrap(reg.inputs["stringData"]) == {
            "AWS_ACCESS_KEY_ID": "AKIA-LAB-TEST", "AWS_SECRET_ACCESS_KEY": "lab-secret-key", "AWS_REGION": "us-east-1",
        }
    rendered = [o for o in kubernetes_objects(result) if o["kind"] == "Secret" and o["metadata"]["name"] == "backups-s3"]
    assert all(set(o["stringData"].values()) == {SECRET} for o in rendered)


def test_no_object_store_without_cloudnative_pg(lab_config):
    lab_config["idp:platform"]["cloudnativePg"] = {"enabled": False}
    assert _stores(render_projects(lab_config)) == {}
