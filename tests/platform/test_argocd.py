"""Item 6: Argo CD with Dex/LDAP (bind password only as a Secret reference), RBAC, TLS ingress, the
Git credentials before the first sync, the `platform` AppProject and the root ApplicationSet."""

from __future__ import annotations

import pytest
import yaml

from idpctl import runtime
from idpctl.runtime import is_secret_envelope
from stacks.loading import ConfigError, load_environment
from tests.platform.helpers import APPLICATION, chart_registration, chart_values, lab_config, obj, objects, one, waits_for

CANARY = "canary-ldap-bind-0b7c4e"
GIT_CANARY = "canary-git-token-5d21aa"
SECRET = "kubernetes:core/v1:Secret"


def _dex(values: dict) -> dict:
    return yaml.safe_load(values["configs"]["cm"]["dex.config"])


def test_dex_ldap_bind_password_is_a_secret_reference(lab):
    values = chart_values(lab, "argocd")
    (connector,) = _dex(values)["connectors"]
    assert connector["type"] == "ldap"
    config = connector["config"]
    assert config["bindPW"] == "$argocd-ldap:bindPW"
    assert config["bindDN"] == "CN=svc-dex-ldap,OU=Service Accounts,DC=lab,DC=idp,DC=internal"
    assert config["host"] == "dc01.lab.idp.internal:636" and config["insecureNoSSL"] is False
    # Argo CD resolves $<secret>:<key> only in Secrets labelled part-of argocd.
    secret = obj(lab, "Secret", "argocd-ldap", "argocd")
    assert secret["metadata"]["labels"]["app.kubernetes.io/part-of"] == "argocd"
    assert set(secret["stringData"]) == {"bindPW"}
    assert is_secret_envelope(one(lab, SECRET, "argocd-ldap-secret").inputs["stringData"])


def test_user_and_group_search_against_active_directory(lab):
    config = _dex(chart_values(lab, "argocd"))["connectors"][0]["config"]
    assert config["userSearch"]["baseDN"] == "OU=Users,DC=lab,DC=idp,DC=internal"
    assert config["userSearch"]["username"] == "sAMAccountName"
    assert config["userSearch"]["filter"] == "(objectClass=person)"
    group = config["groupSearch"]
    assert group["baseDN"] == "OU=Groups,DC=lab,DC=idp,DC=internal"
    assert group["filter"] == "(objectClass=group)"
    assert group["userMatchers"] == [{"userAttr": "DN", "groupAttr": "member"}]
    assert group["nameAttr"] == "cn", "groups must arrive as ArgoAdmin, not as DNs, for the RBAC lines"


def test_rbac_maps_ad_groups_and_denies_everyone_else(lab):
    rbac = chart_values(lab, "argocd")["configs"]["rbac"]
    lines = [line.strip() for line in rbac["policy.csv"].splitlines() if line.strip()]
    assert lines == ["g, ArgoAdmin, role:admin", "g, ArgoReadOnly, role:readonly"]
    assert rbac["policy.default"] == ""
    assert rbac["scopes"] == "[groups]"
    cm = chart_values(lab, "argocd")["configs"]["cm"]
    assert cm["admin.enabled"] is False and cm["users.anonymous.enabled"] is False


def test_canary_passwords_never_leave_secret_envelopes():
    config, secret_keys, _ = runtime.config_for_run(lab_config())
    config["idp:ldapDexBindPassword"] = CANARY
    config["idp:gitopsRepoPassword"] = GIT_CANARY
    upstream: dict = {}
    for layer in ("vms", "cluster", "platform"):
        upstream[layer] = runtime.run_layer(layer, "lab", config, secret_keys, upstream=upstream)
    platform = upstream["platform"]
    masked = repr([runtime.mask(r.inputs) for r in platform.resources]) + repr(platform.masked_exports())
    assert CANARY not in masked and GIT_CANARY not in masked
    # ...and they do reach the Secrets Argo CD reads.
    ldap = one(platform, SECRET, "argocd-ldap-secret").inputs["stringData"]
    assert runtime.unwrap(ldap) == {"bindPW": CANARY}
    repo = runtime.unwrap(one(platform, SECRET, "argocd-repo-secret").inputs["stringData"])
    assert repo["password"] == GIT_CANARY


def test_server_ingress_has_tls_from_platform_ca(lab):
    values = chart_values(lab, "argocd")
    ingress = values["server"]["ingress"]
    assert ingress["enabled"] is True and ingress["tls"] is True
    assert ingress["ingressClassName"] == "traefik"
    assert ingress["hostname"] == "argocd.lab.idp.internal" == values["global"]["domain"]
    assert ingress["annotations"]["traefik.ingress.kubernetes.io/router.tls"] == "true"
    # `tls: true` makes the chart reference Secret argocd-server-tls: cert-manager fills it.
    cert = obj(lab, "Certificate", "argocd-server-tls", "argocd")
    assert cert["spec"]["secretName"] == "argocd-server-tls"
    assert cert["spec"]["dnsNames"] == ["argocd.lab.idp.internal"]
    assert cert["spec"]["issuerRef"]["name"] == "platform-ca"
    assert values["configs"]["params"]["server.insecure"] is True  # Traefik terminates TLS


def test_git_credentials_exist_before_argocd_and_the_root_applicationset(lab):
    repo = obj(lab, "Secret", "gitops-repo", "argocd")
    assert repo["metadata"]["labels"]["argocd.argoproj.io/secret-type"] == "repository"
    assert set(repo["stringData"]) == {"name", "type", "url", "username", "password"}
    raw = one(lab, SECRET, "argocd-repo-secret")
    assert runtime.unwrap(raw.inputs["stringData"])["url"] == "https://bitbucket.lab.idp.internal/scm/plat/gitops.git"
    release = chart_registration(lab, "argocd")
    appset = one(lab, "kubernetes:argoproj.io/v1alpha1:ApplicationSet", "argocd-root-applicationset")
    assert waits_for(lab, release, raw), "the repo server finds the credentials on its first start"
    assert waits_for(lab, release, one(lab, SECRET, "argocd-ldap-secret")), "Dex finds its bind password"
    assert waits_for(lab, appset, raw) and waits_for(lab, appset, release)


def test_root_applicationset_adds_an_application_per_platform_directory(lab):
    appset = obj(lab, "ApplicationSet", "root", "argocd")
    (generator,) = appset["spec"]["generators"]
    assert generator["git"]["repoURL"] == "https://bitbucket.lab.idp.internal/scm/plat/gitops.git"
    assert generator["git"]["directories"] == [{"path": "platform/*"}]
    template = appset["spec"]["template"]
    assert template["metadata"]["name"] == "{{ .path.basename }}"
    assert template["spec"]["source"]["path"] == "{{ .path.path }}"
    assert template["spec"]["project"] == "platform"
    assert appset["spec"]["goTemplate"] is True


def test_platform_project_exists_and_admits_what_argocd_delivers(lab):
    project = obj(lab, "AppProject", "platform", "argocd")
    repos = set(project["spec"]["sourceRepos"])
    applications = [r for r in lab.resources if r.type == APPLICATION]
    assert applications, "the lab delivers some services through Argo CD"
    project_reg = one(lab, "kubernetes:argoproj.io/v1alpha1:AppProject", "argocd-platform-project")
    for app in applications:
        spec = app.inputs["spec"]
        assert spec["project"] == "platform"
        assert spec["source"]["repoURL"] in repos, spec["source"]["repoURL"]
        assert waits_for(lab, app, project_reg), app.name
        assert int(app.inputs["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) >= 0


def test_every_argocd_workload_has_requests_and_limits(lab):
    values = chart_values(lab, "argocd")
    for key in ("controller", "server", "repoServer", "applicationSet", "dex", "redis", "notifications", "redisSecretInit"):
        resources = values[key]["resources"]
        assert resources["requests"]["cpu"] and resources["requests"]["memory"], key
        assert resources["limits"]["memory"], key


def test_argocd_cannot_deliver_itself():
    config = lab_config()
    config["idp:platform"]["argocd"]["delivery"] = "argocd"
    with pytest.raises(ConfigError) as caught:
        load_environment("lab", config, set())
    assert any(line.startswith("config error: idp:platform.argocd.delivery: ") for line in caught.value.lines), caught.value.lines


def test_without_gitops_repository_there_is_no_root_applicationset():
    from tests.platform.helpers import render_platform

    config = lab_config()
    del config["idp:platform"]["argocd"]["gitops"]
    result = render_platform(config)
    assert not objects(result, "ApplicationSet")
    assert not [o for o in objects(result, "Secret", "argocd") if o["metadata"]["name"] == "gitops-repo"]
    assert objects(result, "AppProject")


def test_oci_chart_repositories_are_declared_for_argocd(lab):
    # Argo CD reads a Helm chart from an OCI registry only through a repository declared enableOCI.
    oci_sources = {
        app.inputs["spec"]["source"]["repoURL"]
        for app in lab.resources
        if app.type == APPLICATION and not app.inputs["spec"]["source"]["repoURL"].startswith("https://")
    }
    assert "ghcr.io/renovatebot/charts" in oci_sources
    declared = {}
    for reg in lab.resources:
        if reg.type == SECRET and reg.inputs["metadata"]["labels"].get("argocd.argoproj.io/secret-type") == "repository":
            data = runtime.unwrap(reg.inputs["stringData"])
            declared[data["url"]] = data
    for url in oci_sources:
        assert declared[url]["type"] == "helm" and declared[url]["enableOCI"] == "true", url
        assert "password" not in declared[url]


@pytest.mark.parametrize("pattern", ["apps/*", "*", "a*/*", "[a]pps/*/*", "apps"])
def test_root_applicationset_may_not_reach_tenant_folders(pattern):
    from components.platform.argocd import GitOpsRepo

    with pytest.raises(Exception, match="tenant projects' folders"):
        GitOpsRepo(url="https://git.example/gitops.git", username="u", directories=pattern)


@pytest.mark.parametrize("pattern", ["platform/*", "clusters/*/apps"])
def test_root_applicationset_patterns_outside_tenant_folders_are_fine(pattern):
    from components.platform.argocd import GitOpsRepo

    assert GitOpsRepo(url="https://git.example/gitops.git", username="u", directories=pattern).directories == pattern
