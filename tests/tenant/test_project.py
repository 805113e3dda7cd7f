"""The full resource set of one tenant project, and what each part says."""

from __future__ import annotations

import json
import re

import pytest

from components.tenant.labels import ESO_SERVICE_ACCOUNT
from components.tenant.previews import BRANCH_PATTERN
from components.tenant.vault import env_defaults
from components.tenant.args import TenantProjectArgs
from idpctl.runtime import unwrap
from tests.tenant.helpers import inputs, kube, of_project, project_of

PER_ENVIRONMENT = [
    ("idp:tenant:ProjectNamespace", ""),
    ("kubernetes:core/v1:Namespace", "-namespace"),
    ("kubernetes:core/v1:ResourceQuota", "-quota"),
    ("kubernetes:core/v1:LimitRange", "-limits"),
    ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "-allow-ingress-controller"),
    ("kubernetes:core/v1:ServiceAccount", "-eso-account"),
    ("vault:kubernetes/authBackendRole:AuthBackendRole", "-vault-role"),
    ("kubernetes:external-secrets.io/v1:SecretStore", "-secret-store"),
    ("kubernetes:external-secrets.io/v1:ExternalSecret", "-env-secret"),
    ("kubernetes:external-secrets.io/v1:ExternalSecret", "-pull-secret"),
    ("idp:tenant:ProjectObjectStore", "-backups"),
    ("kubernetes:core/v1:Secret", "-backups-s3-credentials"),
    ("kubernetes:barmancloud.cnpg.io/v1:ObjectStore", "-backups-object-store"),
]


def expected_resources(project: str, environments: list[str], *, ci: bool = False) -> list[tuple[str, str]]:
    expected = [
        ("idp:tenant:Project", project),
        ("idp:tenant:ProjectRegistry", f"{project}-harbor"),
        ("harbor:index/project:Project", f"{project}-harbor-project"),
        ("harbor:index/projectMemberGroup:ProjectMemberGroup", f"{project}-harbor-team"),
        ("idp:tenant:ProjectDelivery", f"{project}-delivery"),
        ("kubernetes:argoproj.io/v1alpha1:ApplicationSet", f"{project}-delivery-environments"),
        ("kubernetes:argoproj.io/v1alpha1:ApplicationSet", f"{project}-delivery-previews"),
        ("harbor:index/robotAccount:RobotAccount", f"{project}-harbor-robot"),
        ("idp:tenant:ProjectVault", f"{project}-vault"),
        ("vault:index/mount:Mount", f"{project}-vault-kv"),
        ("vault:kv/secretV2:SecretV2", f"{project}-vault-env-defaults"),
        ("vault:kv/secretV2:SecretV2", f"{project}-vault-harbor-credentials"),
        ("vault:index/policy:Policy", f"{project}-vault-policy-team"),
        ("vault:index/policy:Policy", f"{project}-vault-policy-eso"),
        ("vault:ldap/authBackendGroup:AuthBackendGroup", f"{project}-vault-ldap-group"),
        ("idp:tenant:ProjectArgoCd", f"{project}-argocd"),
        ("kubernetes:argoproj.io/v1alpha1:AppProject", f"{project}-argocd-app-project"),
        ("idp:tenant:ProjectPreviews", f"{project}-previews"),
        ("kubernetes:kyverno.io/v1:ClusterPolicy", f"{project}-previews-namespace-policy"),
        ("kubernetes:argoproj.io/v1alpha1:ApplicationSet", f"{project}-previews-application-set"),
    ]
    if ci:
        expected += [
            ("idp:tenant:ProjectCi", f"{project}-ci"),
            ("vault:index/policy:Policy", f"{project}-ci-policy"),
            ("vault:jwt/authBackendRole:AuthBackendRole", f"{project}-ci-role"),
        ]
    for env in environments:
        expected += [(t, f"{project}-{env}{suffix}") for t, suffix in PER_ENVIRONMENT]
    return sorted(expected)


@pytest.fixture(scope="module")
def lab():
    from tests.conftest import load_lab_config
    from tests.tenant.conftest import render_projects

    return render_projects(load_lab_config())


def one(result, project, type_token, name):
    matches = [r for r in of_project(result, project, type_token) if r.name == name]
    assert len(matches) == 1, (type_token, name, [r.name for r in of_project(result, project)])
    return matches[0]


def test_full_resource_set_of_one_project(lab):
    got = sorted((r.type, r.name) for r in of_project(lab, "payments"))
    assert got == expected_resources("payments", ["staging", "production"])


def test_every_project_resource_hangs_under_its_project(lab):
    top = {r.name for r in lab.resources if r.type == "idp:tenant:Project"}
    assert top == {"payments", "webshop"}
    providers = {r.type for r in lab.resources if r.type.startswith("pulumi:providers:")}
    assert providers == {"pulumi:providers:kubernetes", "pulumi:providers:vault", "pulumi:providers:harbor"}
    for reg in lab.resources:
        if reg.type.startswith("pulumi:") or reg.type == "idp:tenant:Project":
            continue
        assert project_of(lab, reg) in top, (reg.type, reg.name)
        assert reg.name.startswith(f"{project_of(lab, reg)}-")


def test_namespaces_carry_the_platform_label_quota_and_limits(lab):
    for env in ("staging", "production"):
        ns = kube(one(lab, "payments", "kubernetes:core/v1:Namespace", f"payments-{env}-namespace"))
        labels = ns["metadata"]["labels"]
        assert ns["metadata"]["name"] == f"payments-{env}"
        assert labels["managed-by"] == "idp-platform"
        assert labels["idp.platform/project"] == "payments"
        assert labels["idp.platform/environment"] == env
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
        quota = kube(one(lab, "payments", "kubernetes:core/v1:ResourceQuota", f"payments-{env}-quota"))
        assert quota["metadata"]["namespace"] == f"payments-{env}"
        assert quota["spec"]["hard"]["requests.cpu"] == "4"  # model default
        assert quota["spec"]["hard"]["services.loadbalancers"] == "0"
        limits = kube(one(lab, "payments", "kubernetes:core/v1:LimitRange", f"payments-{env}-limits"))
        assert limits["spec"]["limits"][0]["defaultRequest"] == {"cpu": "100m", "memory": "128Mi"}
    # webshop sets its own quota in the lab file
    quota = kube(one(lab, "webshop", "kubernetes:core/v1:ResourceQuota", "webshop-staging-quota"))
    assert quota["spec"]["hard"]["requests.cpu"] == "8"
    assert quota["spec"]["hard"]["limits.memory"] == "32Gi"


def test_network_policy_admits_only_the_ingress_controller(lab):
    policy = kube(one(lab, "payments", "kubernetes:networking.k8s.io/v1:NetworkPolicy", "payments-staging-allow-ingress-controller"))
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    assert policy["spec"]["ingress"] == [
        {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "traefik"}}}]}
    ]


def test_external_secret_syncs_project_env_every_minute(lab):
    for env in ("staging", "production"):
        es = kube(one(lab, "payments", "kubernetes:external-secrets.io/v1:ExternalSecret", f"payments-{env}-env-secret"))
        assert es["apiVersion"] == "external-secrets.io/v1"
        assert es["metadata"] == {**es["metadata"], "name": "payments-env", "namespace": f"payments-{env}"}
        spec = es["spec"]
        assert spec["refreshInterval"] == "1m"
        assert spec["secretStoreRef"] == {"name": "vault", "kind": "SecretStore"}
        assert spec["target"]["name"] == "payments-env"
        assert spec["target"]["template"]["data"] == {"ENVIRONMENT": env}
        assert spec["dataFrom"] == [{"extract": {"key": "env"}}]
        store = kube(one(lab, "payments", "kubernetes:external-secrets.io/v1:SecretStore", f"payments-{env}-secret-store"))
        vault = store["spec"]["provider"]["vault"]
        # key "env" under path "payments" (KV v2) is Vault's payments/env
        assert (vault["path"], vault["version"]) == ("payments", "v2")
        assert vault["server"] == "http://vault-active.vault.svc:8200"


def test_image_pull_secret_is_built_from_the_robot_credentials_in_vault(lab):
    es = kube(one(lab, "payments", "kubernetes:external-secrets.io/v1:ExternalSecret", "payments-production-pull-secret"))
    target = es["spec"]["target"]
    assert target["name"] == "payments-harbor-pull"
    assert target["template"]["type"] == "kubernetes.io/dockerconfigjson"
    assert ".dockerconfigjson" in target["template"]["data"]
    assert {d["remoteRef"]["key"] for d in es["spec"]["data"]} == {"harbor"}
    # ... and what Vault holds there is the robot account of this project (a Pulumi secret).
    creds = one(lab, "payments", "vault:kv/secretV2:SecretV2", "payments-vault-harbor-credentials")
    assert inputs(creds)["dataJson"] == "[secret]"
    value = json.loads(unwrap(creds.inputs["dataJson"]))
    assert value == {"registry": "harbor.lab.idp.internal", "username": "robot$payments+ci", "password": "mock-robot-secret"}


def test_vault_mount_defaults_and_ldap_group(lab):
    mount = inputs(one(lab, "payments", "vault:index/mount:Mount", "payments-vault-kv"))
    assert (mount["path"], mount["type"], mount["options"]) == ("payments", "kv", {"version": "2"})
    defaults = one(lab, "payments", "vault:kv/secretV2:SecretV2", "payments-vault-env-defaults")
    assert inputs(defaults)["name"] == "env" and inputs(defaults)["mount"] == "payments"
    assert inputs(defaults)["disableRead"] is True
    assert json.loads(unwrap(defaults.inputs["dataJson"])) == {
        "APP_NAME": "payments", "ENVIRONMENT": "shared", "LOG_LEVEL": "info", "DEBUG": "false",
    }
    group = inputs(one(lab, "webshop", "vault:ldap/authBackendGroup:AuthBackendGroup", "webshop-vault-ldap-group"))
    assert group == {**group, "groupname": "webshop-developers", "backend": "ldap", "policies": ["project-webshop-team"]}


def test_env_defaults_follow_config():
    args = TenantProjectArgs(name="search", log_level="debug")
    assert env_defaults(args)["LOG_LEVEL"] == "debug"
    assert set(env_defaults(args)) == {"APP_NAME", "ENVIRONMENT", "LOG_LEVEL", "DEBUG"}


def test_harbor_project_quota_and_robot(lab):
    project = inputs(one(lab, "webshop", "harbor:index/project:Project", "webshop-harbor-project"))
    assert project == {**project, "name": "webshop", "public": False, "storageQuota": 100, "vulnerabilityScanning": True}
    robot = inputs(one(lab, "payments", "harbor:index/robotAccount:RobotAccount", "payments-harbor-robot"))
    assert robot["level"] == "project"
    assert robot["permissions"] == [
        {
            "kind": "project",
            "namespace": "payments",
            "accesses": [
                {"resource": "repository", "action": "pull", "effect": "allow"},
                {"resource": "repository", "action": "push", "effect": "allow"},
            ],
        }
    ]


def test_app_project_source_repos_and_developer_role(lab):
    app_project = kube(one(lab, "payments", "kubernetes:argoproj.io/v1alpha1:AppProject", "payments-argocd-app-project"))
    assert app_project["metadata"]["namespace"] == "argocd"
    spec = app_project["spec"]
    assert spec["sourceRepos"] == [
        "https://bitbucket.lab.idp.internal/scm/pay/*",
        "harbor.lab.idp.internal/platform",
        "https://bitbucket.lab.idp.internal/scm/plat/gitops.git",  # values of the project's ApplicationSets
    ]
    assert spec["destinations"] == [{"server": "https://kubernetes.default.svc", "namespace": "payments-*"}]
    (role,) = spec["roles"]
    assert role["name"] == "developer" and role["groups"] == ["payments"]


def test_preview_application_set(lab):
    appset = kube(one(lab, "payments", "kubernetes:argoproj.io/v1alpha1:ApplicationSet", "payments-previews-application-set"))
    spec = appset["spec"]
    (generator,) = spec["generators"]
    bitbucket = generator["pullRequest"]["bitbucketServer"]
    assert bitbucket == {**bitbucket, "api": "https://bitbucket.lab.idp.internal/rest", "project": "PAY", "repo": "payments"}
    assert generator["pullRequest"]["filters"] == [{"branchMatch": BRANCH_PATTERN}]
    template = spec["template"]
    assert template["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    assert template["spec"]["project"] == "payments"
    assert template["spec"]["destination"]["namespace"] == "payments-pr-{{ .number }}"
    sync = template["spec"]["syncPolicy"]
    assert "CreateNamespace=true" in sync["syncOptions"]
    assert sync["managedNamespaceMetadata"]["labels"]["managed-by"] == "idp-platform"
    assert sync["managedNamespaceMetadata"]["labels"]["idp.platform/project"] == "payments"
    chart, values_repo = template["spec"]["sources"]
    assert values_repo == {"repoURL": "https://bitbucket.lab.idp.internal/scm/pay/payments.git", "targetRevision": "{{ .head_sha }}", "ref": "values"}
    overrides = chart["helm"]["valuesObject"]
    assert overrides["ingress"]["host"] == '{{ index (splitList "/" .branch) 1 }}-pr-{{ .number }}.lab.idp.internal'
    assert overrides["ingress"]["tls"] == {"enabled": True, "clusterIssuer": "platform-ca"}
    assert spec["syncPolicy"] == {"preserveResourcesOnDeletion": False}


@pytest.mark.parametrize(
    "branch, previewed",
    [
        ("preview/api/fix-login", True),
        ("preview/web-ui/new-cart/part-2", True),
        ("preview/API/x", False),
        ("preview/api", False),
        ("feature/api/x", False),
        ("preview/-api/x", False),
    ],
)
def test_only_preview_branches_get_a_preview(branch, previewed):
    assert bool(re.match(BRANCH_PATTERN, branch)) is previewed


def test_preview_namespace_policy(lab):
    policy = kube(one(lab, "payments", "kubernetes:kyverno.io/v1:ClusterPolicy", "payments-previews-namespace-policy"))
    rules = {rule["name"]: rule for rule in policy["spec"]["rules"]}
    assert set(rules) == {"preview-quota", "preview-limits", "preview-ingress", "preview-pull-secret"}
    for rule in rules.values():
        assert rule["match"] == {"any": [{"resources": {"kinds": ["Namespace"], "names": ["payments-pr-*"]}}]}
        assert rule["generate"]["synchronize"] is True
    assert rules["preview-quota"]["generate"]["data"]["spec"]["hard"]["persistentvolumeclaims"] == "0"
    assert rules["preview-pull-secret"]["generate"]["clone"] == {"namespace": "payments-staging", "name": "payments-harbor-pull"}


def test_vault_role_binds_the_eso_account(lab):
    role = inputs(one(lab, "payments", "vault:kubernetes/authBackendRole:AuthBackendRole", "payments-staging-vault-role"))
    assert role["roleName"] == "project-payments-staging"
    assert role["boundServiceAccountNames"] == [ESO_SERVICE_ACCOUNT]
    assert role["boundServiceAccountNamespaces"] == ["payments-staging"]
    assert role["tokenPolicies"] == ["project-payments-eso"]


def test_project_application_sets_read_only_the_projects_folders(lab):
    appset = kube(one(lab, "webshop", "kubernetes:argoproj.io/v1alpha1:ApplicationSet", "webshop-delivery-environments"))
    assert appset["metadata"] == {**appset["metadata"], "name": "webshop-apps", "namespace": "argocd"}
    spec = appset["spec"]
    (generator,) = spec["generators"]
    assert generator["git"]["repoURL"] == "https://bitbucket.lab.idp.internal/scm/plat/gitops.git"
    assert generator["git"]["directories"] == [{"path": "apps/webshop/*/staging"}, {"path": "apps/webshop/*/production"}]
    # A removed folder removes the Application, and its finalizer what it deployed.
    assert spec["syncPolicy"] == {"preserveResourcesOnDeletion": False}
    template = spec["template"]
    assert template["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    assert template["metadata"]["name"] == "webshop-{{ index .path.segments 2 }}-{{ .path.basename }}"
    app = template["spec"]
    assert app["project"] == "webshop" and app["destination"]["namespace"] == "webshop-{{ .path.basename }}"
    chart, values = app["sources"]
    assert chart == {**chart, "repoURL": "harbor.lab.idp.internal/platform", "chart": "platform-app"}
    assert chart["helm"]["valueFiles"] == ["$values/{{ .path.path }}/values.yaml"]
    assert values == {"repoURL": generator["git"]["repoURL"], "targetRevision": "main", "ref": "values"}
    assert "CreateNamespace=true" not in app["syncPolicy"]["syncOptions"], "environment namespaces are the project's"
    previews = kube(one(lab, "webshop", "kubernetes:argoproj.io/v1alpha1:ApplicationSet", "webshop-delivery-previews"))
    assert previews["spec"]["generators"][0]["git"]["directories"] == [{"path": "apps/webshop/*/pr-*"}]
    assert "CreateNamespace=true" in previews["spec"]["template"]["spec"]["syncPolicy"]["syncOptions"]


def test_team_group_is_a_developer_of_its_harbor_project(lab):
    member = inputs(one(lab, "webshop", "harbor:index/projectMemberGroup:ProjectMemberGroup", "webshop-harbor-team"))
    assert member["role"] == "developer" and member["type"] == "ldap"
    assert member["groupName"] == "webshop-developers"
    assert member["ldapGroupDn"] == "CN=webshop-developers,OU=Groups,DC=lab,DC=idp,DC=internal"


def test_ci_role_is_bound_to_the_projects_repositories(lab):
    role = inputs(one(lab, "webshop", "vault:jwt/authBackendRole:AuthBackendRole", "webshop-ci-role"))
    assert role["backend"] == "bitbucket" and role["roleName"] == "project-webshop-ci"
    assert role["boundClaims"] == {"repositoryUuid": "{0b5c6ad3-6a2e-4b1f-9d3e-5b8f6c2a7e10}"}
    assert role["boundAudiences"] == ["ari:cloud:bitbucket::workspace/4f1c2b7e-9a3d-4e6f-8b2a-1c5d7e9f0a3b"]
    assert role["tokenPolicies"] == ["project-webshop-ci"] and role["tokenTtl"] == 900
    # payments lists no repository: no CI role for it
    assert not of_project(lab, "payments", "vault:jwt/authBackendRole:AuthBackendRole")
