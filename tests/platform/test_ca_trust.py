"""Every place in the cluster that talks TLS to a platform service trusts the platform root CA.

The root CA is made by cert-manager inside the cluster (components/platform/cert_manager.py) and
exported as `rootCaCertificate`. The places, and the platform service each one reaches:
- the kubelet/containerd of every node -> Harbor (image pulls): Talos `RegistryTLSConfig` for the
  Harbor host, plus `TrustedRootsConfig`, applied by the cluster layer as day-2 configuration;
- Argo CD's repo server -> Harbor (the OCI platform charts): `configs.tls.certificates`;
- Kyverno's admission controller -> Harbor (signature look-ups): `admissionController.caCertificates`;
- the Vault provider of the platform and projects layers -> Vault (through the ingress): `caCertFile`.
The Harbor provider has no CA setting; the runner trusts the CA through `idpctl ca` (docs/platform.md).
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
import yaml

from idpctl.runtime import MOCK_ROOT_CA, LayerResult, config_for_run, mask, run_layer, run_layers, unwrap
from tests.platform.helpers import chart_values, lab_config, of_type


@pytest.fixture(scope="module")
def layers() -> dict[str, LayerResult]:
    results, _ = run_layers(["vms", "cluster", "platform", "projects"], "lab", lab_config())
    return results


def _cluster_after_platform(results: dict[str, LayerResult], platform: LayerResult | None) -> LayerResult:
    """The cluster layer run again once the platform stack exists (as the platform pipeline does)."""
    config, secret_keys, _ = config_for_run(lab_config())
    upstream = {"vms": results["vms"], **({"platform": platform} if platform is not None else {})}
    return run_layer("cluster", "lab", config, secret_keys, upstream=upstream)


def _harbor_host(platform: LayerResult) -> str:
    return urlparse(unwrap(platform.exports)["harborUrl"]).netloc


def test_nodes_trust_the_ca_for_harbor_pulls(layers, schemas):
    cluster = _cluster_after_platform(layers, layers["platform"])
    applies = of_type(cluster, "talos:machine/configurationApply:ConfigurationApply")
    assert len(applies) == len(layers["vms"].exports["nodes"])
    host = _harbor_host(layers["platform"])
    for apply in applies:
        documents = [yaml.safe_load(p) for p in unwrap(apply.inputs["configPatches"])]
        for document in documents:
            assert schemas.validate_talos(document) == [], document
        registry = [d for d in documents if d["kind"] == "RegistryTLSConfig"]
        assert registry == [{"apiVersion": "v1alpha1", "kind": "RegistryTLSConfig", "name": host, "ca": MOCK_ROOT_CA}]
        roots = [d for d in documents if d["kind"] == "TrustedRootsConfig"]
        assert roots and roots[0]["certificates"] == MOCK_ROOT_CA


def test_a_new_environment_applies_no_ca_until_the_platform_exists(layers):
    cluster = _cluster_after_platform(layers, None)
    for apply in of_type(cluster, "talos:machine/configurationApply:ConfigurationApply"):
        assert not apply.inputs.get("configPatches")


def test_the_talos_schema_refuses_a_misspelt_registry_document(schemas):
    document = {"apiVersion": "v1alpha1", "kind": "RegistryTLSConfig", "name": "harbor.x", "caCert": MOCK_ROOT_CA}
    assert schemas.validate_talos(document)


def test_argocd_repo_server_trusts_the_ca_for_harbor(layers):
    values = chart_values(layers["platform"], "argocd")
    assert values["configs"]["tls"]["certificates"] == {_harbor_host(layers["platform"]): MOCK_ROOT_CA}


def test_kyverno_trusts_the_ca_for_signature_lookups(layers):
    values = chart_values(layers["platform"], "kyverno")
    assert values["admissionController"]["caCertificates"]["data"] == MOCK_ROOT_CA


@pytest.mark.parametrize("layer", ["platform", "projects"])
def test_vault_providers_check_vault_against_the_ca(layers, layer):
    providers = of_type(layers[layer], "pulumi:providers:vault")
    assert providers
    for provider in providers:
        inputs = mask(provider.inputs)
        assert inputs.get("caCertFile"), f"{layer}: Vault provider without the platform CA"
        assert open(unwrap(provider.inputs["caCertFile"])).read() == MOCK_ROOT_CA
