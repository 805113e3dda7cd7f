"""The security plane as the platform layer declares it: rendered offline from `Pulumi.lab.yaml`
with the real program on the Pulumi SDK mock runtime (`render` fixture), every emitted Kubernetes
object validated against the upstream schemas, and assertions on the registered resources.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from components.platform.kyverno_policies import COSIGN_KEY_MARKER, HARBOR_REGISTRY_PLACEHOLDER, POLICY_NAMES
from idpctl.render_cmd import _secret_keys_visible, kubernetes_objects
from idpctl.runtime import contains_secret, is_secret_envelope, mask, run_layers, unwrap
from stacks.loading import ConfigError, load_environment

REPO = Path(__file__).resolve().parents[2]
MOCK_PUBLIC_KEY = "mock-cosign-public-key"
SECURITY_COMPONENTS = ("Vault", "VaultConfig", "ExternalSecrets", "Kyverno", "Cosign", "TrivyOperator", "Reloader")


def security_objects(result) -> list[dict]:
    """Kubernetes objects declared inside the security-plane components (other planes test theirs)."""
    objects = []
    for reg in result.resources:
        if not reg.type.startswith("kubernetes:") or reg.type.startswith("kubernetes:helm.sh/"):
            continue
        if not any(f"idp:platform:{c}$" in reg.parent or reg.parent.endswith(f"idp:platform:{c}::{reg.parent.rsplit('::', 1)[-1]}") for c in SECURITY_COMPONENTS):
            continue
        inputs = mask(_secret_keys_visible(reg.inputs))
        objects.append({k: v for k, v in inputs.items() if not k.startswith("__")})
    return objects


@pytest.fixture(scope="module")
def platform():
    """One render of the lab platform layer for the read-only assertions of this module."""
    config = yaml.safe_load((REPO / "Pulumi.lab.yaml").read_text())["config"]
    results, _missing = run_layers(["platform"], "lab", config)
    return results["platform"]


def _one(result, type_token, name=None):
    found = [r for r in result.resources if r.type == type_token and (name is None or r.name == name)]
    assert len(found) == 1, f"{type_token} {name}: {[r.name for r in found]}"
    return found[0]


def _component(result, token):
    return _one(result, token)


def _release(result, name):
    return _one(result, "kubernetes:helm.sh/v3:Release", f"{name}-chart-release")


def _application(result, name):
    return _one(result, "kubernetes:argoproj.io/v1alpha1:Application", f"{name}-chart-application")


def _app_values(reg):
    return reg.inputs["spec"]["source"]["helm"]["valuesObject"]


def _assert_resources(block, where):
    assert block["requests"]["cpu"] and block["requests"]["memory"], where
    assert block["limits"]["memory"], where


# -- schemas -------------------------------------------------------------------------------


def test_every_security_object_validates_against_upstream_schemas(platform, schemas):
    objects = security_objects(platform)
    kinds = {(o["apiVersion"], o["kind"]) for o in objects}
    for expected in [
        ("kyverno.io/v1", "ClusterPolicy"),
        ("external-secrets.io/v1", "ClusterSecretStore"),
        ("storage.k8s.io/v1", "StorageClass"),
    ]:
        assert expected in kinds, expected
    assert {o["kind"] for o in objects} >= {"Namespace", "Application"}
    errors = schemas.validate_all(objects)
    assert errors == []


def test_schema_validation_would_catch_a_broken_store(platform, schemas):
    store = next(o for o in kubernetes_objects(platform) if o["kind"] == "ClusterSecretStore")
    broken = copy.deepcopy(store)
    broken["spec"]["conditions"][0]["namespaceList"] = ["argocd"]
    assert schemas.validate(broken)


# -- Vault ---------------------------------------------------------------------------------


def test_vault_release_is_ha_raft_with_retry_join_storage_ingress_and_no_injector(platform):
    vault = _component(platform, "idp:platform:Vault")
    release = _release(platform, "vault")
    assert release.inputs["chart"] == "vault" and release.inputs["version"] == "0.34.1"
    assert release.inputs["repositoryOpts"]["repo"] == "https://helm.releases.hashicorp.com"
    assert release.protect, "Vault's release is protected"
    values = release.inputs["values"]
    server = values["server"]
    assert values["injector"]["enabled"] is False
    ha = server["ha"]
    assert ha["enabled"] and ha["replicas"] == 3 and ha["raft"]["enabled"] and ha["raft"]["setNodeId"]
    config = ha["raft"]["config"]
    for i in range(3):
        assert f'leader_api_addr = "http://vault-{i}.vault-internal:8200"' in config
    assert config.count("retry_join") == 3 and 'storage "raft"' in config
    assert server["dataStorage"] == {
        "enabled": True, "storageClass": "vault-longhorn-retain", "accessMode": "ReadWriteOnce",
        "size": "10Gi", "mountPath": "/vault/data",
    }
    assert server["auditStorage"]["enabled"] and server["auditStorage"]["mountPath"] == "/vault/audit"
    ingress = server["ingress"]
    assert ingress["enabled"] and ingress["activeService"]
    assert ingress["hosts"][0]["host"] == "vault.lab.idp.internal"
    assert ingress["tls"] == [{"secretName": "vault-tls", "hosts": ["vault.lab.idp.internal"]}]
    assert ingress["annotations"]["cert-manager.io/cluster-issuer"] == "platform-ca"
    assert ingress["annotations"]["traefik.ingress.kubernetes.io/router.entrypoints"] == "websecure"
    assert values["ui"]["enabled"]
    assert "sealedcode=204" in server["readinessProbe"]["path"]
    _assert_resources(server["resources"], "vault server")
    assert release.parent.endswith("idp:platform:Vault$idp:platform:PlatformChart::vault-chart")
    assert _one(platform, "idp:platform:PlatformChart", "vault-chart").parent == vault.urn


def test_vault_storage_class_retains_longhorn_volumes(platform):
    sc = _one(platform, "kubernetes:storage.k8s.io/v1:StorageClass")
    assert sc.inputs["provisioner"] == "driver.longhorn.io"
    assert sc.inputs["reclaimPolicy"] == "Retain"
    # The lab has two nodes with a Longhorn disk (Pulumi.lab.yaml `vault.longhornReplicas: 2`).
    assert sc.inputs["parameters"]["numberOfReplicas"] == "2"
    assert sc.protect


def test_vault_init_runs_after_the_release_with_secret_kubeconfig_and_5_of_3(platform):
    init = _one(platform, "pulumi-python:dynamic:Resource", "vault-init")
    release = _release(platform, "vault")
    assert release.urn in init.depends_on
    assert init.protect
    assert is_secret_envelope(init.inputs["kubeconfig"])
    assert init.inputs["secret_shares"] == 5 and init.inputs["secret_threshold"] == 3
    assert init.inputs["pods"] == ["vault-0", "vault-1", "vault-2"]
    assert init.inputs["namespace"] == "vault"
    # Default: keys stay in Pulumi state only (ADR 0003).
    assert not [r for r in platform.resources if r.type == "kubernetes:core/v1:Secret" and r.name == "vault-unseal-keys"]


def test_optional_unseal_key_secret_is_secret_when_enabled(render, lab_config, schemas):
    lab_config["idp:platform"].setdefault("vault", {})["storeKeysInSecret"] = True
    result = render(lab_config, "platform")["platform"]
    secret = _one(result, "kubernetes:core/v1:Secret", "vault-unseal-keys")
    assert secret.inputs["metadata"]["namespace"] == "vault"
    assert contains_secret(secret.inputs["stringData"])
    assert mask(secret.inputs["stringData"]) == "[secret]"


# -- Vault configuration -------------------------------------------------------------------


def test_vault_configuration(platform):
    kv = _one(platform, "vault:index/mount:Mount", "vault-config-kv")
    assert kv.inputs["path"] == "secret" and kv.inputs["type"] == "kv" and kv.inputs["options"] == {"version": "2"}
    transit = _one(platform, "vault:index/mount:Mount", "vault-config-transit")
    assert transit.inputs["path"] == "transit" and transit.inputs["type"] == "transit"
    group = _one(platform, "vault:ldap/authBackendGroup:AuthBackendGroup")
    assert group.inputs["groupname"] == "VaultAdmin" and group.inputs["policies"] == ["admin"]
    ldap = _one(platform, "vault:ldap/authBackend:AuthBackend")
    assert ldap.inputs["url"] == "ldaps://dc01.lab.idp.internal:636"
    assert is_secret_envelope(ldap.inputs["bindpass"])
    assert ldap.inputs["userattr"] == "sAMAccountName"
    k8s_auth = _one(platform, "vault:index/authBackend:AuthBackend")
    assert k8s_auth.inputs["type"] == "kubernetes"
    role = _one(platform, "vault:kubernetes/authBackendRole:AuthBackendRole")
    assert role.inputs["tokenTtl"] == 3600
    assert role.inputs["boundServiceAccountNames"] == ["external-secrets"]
    assert role.inputs["boundServiceAccountNamespaces"] == ["external-secrets"]
    assert role.inputs["tokenPolicies"] == ["eso-platform"]
    audit = _one(platform, "vault:index/audit:Audit")
    assert audit.inputs["type"] == "file" and audit.inputs["options"]["file_path"].startswith("/vault/audit/")
    policies = {r.inputs["name"]: r.inputs["policy"] for r in platform.resources if r.type == "vault:index/policy:Policy"}
    assert set(policies) == {"admin", "projects-provisioner", "eso-platform", "platform-ci"}
    # The projects stack may create CI roles on the Bitbucket mount, carrying project policies only.
    assert 'path "auth/bitbucket/role/project-*"' in policies["projects-provisioner"]
    assert 'path "secret/*"' in policies["projects-provisioner"] and '"deny"' in policies["projects-provisioner"]
    assert '"token_policies" = ["project-*"]' in policies["projects-provisioner"]
    assert 'path "auth/ldap/groups/VaultAdmin"' in policies["projects-provisioner"]
    assert 'path "secret/data/platform/*"' in policies["eso-platform"]
    token = _one(platform, "vault:index/token:Token")
    assert token.inputs["policies"] == ["projects-provisioner"] and token.inputs["renewable"]
    provider = _one(platform, "pulumi:providers:vault")
    assert is_secret_envelope(provider.inputs["token"])
    init = _one(platform, "pulumi-python:dynamic:Resource", "vault-init")
    # everything that talks to Vault waits for the unseal, the ingress controller and the CA issuer
    assert init.urn in provider.depends_on
    for token in ("idp:platform:Traefik", "idp:platform:CertManager"):
        # a dependency on a component is a dependency on its children
        assert any(f"{token}$" in dep for dep in provider.depends_on), token
    assert provider.inputs["caCertFile"].endswith(".pem")


def test_projects_stack_gets_address_and_scoped_token_as_secrets(platform):
    assert set(platform.secret_export_names()) >= {"vaultAddress", "vaultToken"}
    exports = platform.masked_exports()
    assert exports["vaultAddress"] == "[secret]" and exports["vaultToken"] == "[secret]"
    assert exports["urls"]["vault"] == "https://vault.lab.idp.internal"


# -- External Secrets ----------------------------------------------------------------------


def test_cluster_secret_store_is_limited_to_platform_namespaces(platform, lab_config):
    release = _release(platform, "external-secrets")
    assert release.inputs["version"] == "2.9.0"
    values = release.inputs["values"]
    for key in ("resources",):
        _assert_resources(values[key], "eso controller")
    _assert_resources(values["webhook"]["resources"], "eso webhook")
    _assert_resources(values["certController"]["resources"], "eso cert controller")
    stores = [o for o in kubernetes_objects(platform) if o["kind"] == "ClusterSecretStore"]
    assert len(stores) == 1, "exactly one cluster-wide store"
    spec = stores[0]["spec"]
    allowed = spec["conditions"][0]["namespaces"]
    assert "argocd" in allowed and "monitoring" in allowed
    tenant_namespaces = {
        f"{p['name']}-{env}" for p in lab_config["idp:projects"] for env in p.get("environments", ["staging", "production"])
    }
    assert not tenant_namespaces & set(allowed)
    vault = spec["provider"]["vault"]
    assert vault["server"] == "http://vault-active.vault.svc:8200"
    assert vault["path"] == "secret" and vault["version"] == "v2"
    assert vault["auth"]["kubernetes"]["role"] == "external-secrets"
    store = _one(platform, "kubernetes:external-secrets.io/v1:ClusterSecretStore")
    assert release.urn in store.depends_on
    role = _one(platform, "vault:kubernetes/authBackendRole:AuthBackendRole")
    assert role.urn in store.depends_on


# -- Kyverno and cosign --------------------------------------------------------------------


def test_kyverno_applies_the_four_policies_after_its_chart(platform):
    app = _application(platform, "kyverno")
    assert app.inputs["spec"]["source"]["targetRevision"] == "3.9.0"
    values = _app_values(app)
    _assert_resources(values["admissionController"]["container"]["resources"], "kyverno admission")
    for key in ("backgroundController", "cleanupController", "reportsController"):
        _assert_resources(values[key]["resources"], key)
    policies = {r.name: r for r in platform.resources if r.type == "kubernetes:kyverno.io/v1:ClusterPolicy"}
    assert set(policies) == {f"kyverno-{n}" for n in POLICY_NAMES}
    for reg in policies.values():
        assert app.urn in reg.depends_on
    verify = policies["kyverno-verify-image-signatures"].inputs
    text = json.dumps(verify)
    assert HARBOR_REGISTRY_PLACEHOLDER not in text and COSIGN_KEY_MARKER not in text
    rule = next(r for r in verify["spec"]["rules"] if "verifyImages" in r)
    assert rule["verifyImages"][0]["imageReferences"] == ["harbor.lab.idp.internal/*"]
    assert MOCK_PUBLIC_KEY in rule["verifyImages"][0]["attestors"][0]["entries"][0]["keys"]["publicKeys"]


def test_cosign_key_lives_in_vault_transit_and_never_leaves_it(platform):
    key = _one(platform, "vault:transit/secretBackendKey:SecretBackendKey")
    assert key.inputs["backend"] == "transit" and key.inputs["name"] == "cosign" and key.inputs["type"] == "ecdsa-p256"
    assert key.inputs["exportable"] is False and key.inputs["allowPlaintextBackup"] is False
    assert key.inputs["deletionAllowed"] is False and key.protect
    # No key pair anywhere: no private key generated by Pulumi, none written to the KV store.
    assert not [r for r in platform.resources if r.type == "tls:index/privateKey:PrivateKey"]
    assert not [r for r in platform.resources if r.type == "vault:kv/secretV2:SecretV2" and "cosign" in str(r.inputs.get("name"))]
    exports = platform.masked_exports()
    assert MOCK_PUBLIC_KEY in exports["cosignPublicKey"] and exports["cosignKey"] == "hashivault://cosign"
    assert "cosignPublicKey" not in platform.secret_export_names()
    assert "PRIVATE" not in json.dumps(exports)
    # The platform pipeline's role signs and reads its robot, nothing else.
    role = _one(platform, "vault:jwt/authBackendRole:AuthBackendRole")
    assert role.inputs["roleName"] == "platform-ci" and role.inputs["tokenPolicies"] == ["platform-ci"]
    assert role.inputs["boundClaims"] == {"repositoryUuid": "{7d2e4c1a-5b3f-4a8e-9c6d-2e1f0a9b8c7d}"}
    policy = json.loads(next(r.inputs["policy"] for r in platform.resources
                             if r.type == "vault:index/policy:Policy" and r.inputs["name"] == "platform-ci"))
    assert policy["path"] == {
        "transit/sign/cosign": {"capabilities": ["update"]},
        "transit/sign/cosign/*": {"capabilities": ["update"]},
        "secret/data/platform/harbor-ci": {"capabilities": ["read"]},
    }


# -- Trivy, Reloader -------------------------------------------------------------------------


def test_trivy_operator_metrics_scraped_and_dashboard_shipped(platform):
    app = _application(platform, "trivy-operator")
    assert app.inputs["spec"]["source"]["targetRevision"] == "0.34.0"
    values = _app_values(app)
    _assert_resources(values["resources"], "trivy operator")
    _assert_resources(values["trivy"]["resources"], "trivy scanner")
    assert values["operator"]["metricsFindingsEnabled"] is True
    objects = kubernetes_objects(platform)
    # The VictoriaMetrics stack scrapes it; Grafana ships its dashboard where its sidecar looks.
    scrape = next(o for o in objects if o["kind"] == "VMServiceScrape" and o["metadata"]["name"] == "trivy-operator")
    assert scrape["metadata"]["namespace"] == "trivy-system"
    assert scrape["spec"]["endpoints"][0]["port"] == "metrics"
    dashboard_cm = next(o for o in objects if o["kind"] == "ConfigMap" and "trivy" in o["metadata"]["name"])
    assert dashboard_cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert dashboard_cm["metadata"]["namespace"] == "monitoring"
    board = json.loads(dashboard_cm["data"]["trivy-security.json"])
    exprs = [t["expr"] for p in board["panels"] for t in p["targets"]]
    assert any("sum by (namespace, severity)" in e and "trivy_image_vulnerabilities" in e for e in exprs)
    assert any("sum by (namespace, resource_kind, resource_name, severity)" in e for e in exprs)
    titles = [p["title"] for p in board["panels"]]
    assert "Critical CVEs" in titles and "CVEs by severity per workload" in titles
    assert len({p["id"] for p in board["panels"]}) == len(board["panels"])


def test_reloader_chart(platform):
    app = _application(platform, "reloader")
    assert app.inputs["spec"]["source"]["targetRevision"] == "2.2.16"
    values = _app_values(app)["reloader"]
    assert values["watchGlobally"] and values["reloadStrategy"] == "annotations"
    _assert_resources(values["deployment"]["resources"], "reloader")


def test_components_are_idp_platform_types_with_children_parented(platform):
    tokens = {r.type for r in platform.resources}
    for cls in ("Vault", "VaultConfig", "ExternalSecrets", "Kyverno", "Cosign", "TrivyOperator", "Reloader"):
        assert f"idp:platform:{cls}" in tokens
    stack_children = [r for r in platform.resources if r.parent.split("::")[2] == "pulumi:pulumi:Stack"]
    assert {r.type for r in stack_children} <= {
        t for t in tokens if t.startswith("idp:platform:") or t.startswith("pulumi:providers:") or t == "pulumi:pulumi:StackReference"
    }, "every resource of the security plane is created inside a component"


# -- configuration rules ---------------------------------------------------------------------


def _validate(config):
    values = {k: v for k, v in config.items()}
    return load_environment("lab", values, set())


@pytest.mark.parametrize(
    "section, patch, message",
    [
        ("vault", {"enabled": False}, r"idp:platform.vaultConfig.enabled: needs platform.vault.enabled"),
        ("vault", {"secretThreshold": 6}, r"idp:platform.vault.secretThreshold: 6 exceeds secretShares 5"),
        ("vault", {"replicas": 4}, r"idp:platform.vault.replicas: .*odd number"),
        ("cosign", {"enabled": False}, r"idp:platform.kyverno.policies: verify-image-signatures needs platform.cosign"),
        ("kyverno", {"harborRegistry": "https://harbor.x"}, r"idp:platform.kyverno.harborRegistry: .*without scheme"),
        ("kyverno", {"policies": ["no-such-policy"]}, r"idp:platform.kyverno.policies: .*unknown policies"),
    ],
)
def test_security_config_mistakes_are_reported_with_their_path(lab_config, section, patch, message):
    config = copy.deepcopy(lab_config)
    config["idp:platform"].setdefault(section, {}).update(patch)
    config.pop("idp:ldapDexBindPassword", None)
    with pytest.raises(ConfigError, match=message):
        _validate({k: v for k, v in config.items() if not (isinstance(v, dict) and set(v) == {"secure"})})


def test_kyverno_reads_signatures_with_a_pull_only_harbor_robot(platform):
    robot = _one(platform, "harbor:index/robotAccount:RobotAccount", "kyverno-robot")
    assert robot.inputs["level"] == "system"
    permission = robot.inputs["permissions"][0]
    assert permission["namespace"] == "*"
    assert permission["accesses"] == [{"resource": "repository", "action": "pull", "effect": "allow"}]
    provider = _one(platform, "pulumi:providers:harbor", "kyverno-harbor")
    # waits for Harbor (a dependency on its component is one on all of its children)
    assert any("idp:platform:Harbor$" in dep for dep in provider.depends_on)
    secret = _one(platform, "kubernetes:core/v1:Secret", "kyverno-pull-secret")
    assert secret.inputs["type"] == "kubernetes.io/dockerconfigjson"
    assert secret.inputs["metadata"]["namespace"] == "kyverno"
    assert is_secret_envelope(secret.inputs["stringData"])
    assert set(unwrap(secret.inputs["stringData"])) == {".dockerconfigjson"}
    verify = _one(platform, "kubernetes:kyverno.io/v1:ClusterPolicy", "kyverno-verify-image-signatures")
    rule = next(r for r in verify.inputs["spec"]["rules"] if "verifyImages" in r)
    assert rule["verifyImages"][0]["imageRegistryCredentials"] == {"secrets": ["harbor-kyverno-pull"]}
    assert secret.urn in verify.depends_on


def test_projects_token_may_not_touch_the_platform_mounts():
    """`sys/mounts/+` stays (project mounts are named after projects); each platform mount is denied
    by exact path, which Vault ranks above the `+` wildcard, and so is its content."""
    from components.platform.vault_config import BUILTIN_MOUNTS, projects_policy

    policy = projects_policy(["secret", "platform-kv"])
    for mount in ("secret", "platform-kv", *BUILTIN_MOUNTS):
        for path in (f"sys/mounts/{mount}", f"sys/mounts/{mount}/*"):
            assert f'path "{path}" {{\n  capabilities = ["deny"]\n}}' in policy, path
    for mount in ("secret", "platform-kv"):
        assert f'path "{mount}/*" {{\n  capabilities = ["deny"]\n}}' in policy
    assert 'path "sys/mounts/*"' not in policy and 'path "sys/*"' not in policy


def test_a_project_may_not_be_named_after_a_platform_mount(lab_config):
    from stacks.loading import ConfigError, load_environment

    lab_config["idp:platform"].setdefault("vaultConfig", {})["kvPath"] = "platform-kv"
    lab_config["idp:projects"][0]["name"] = "platform-kv"
    with pytest.raises(ConfigError, match=r"idp:projects\[0\]\.name: platform-kv is the platform's Vault KV mount"):
        load_environment("lab", lab_config, set())
