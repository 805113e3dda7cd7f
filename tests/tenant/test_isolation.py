"""Isolation by construction: no part of one project can reach another project's secrets,
namespaces or images. Checked over the lab projects plus generated ones of different shapes."""

from __future__ import annotations

import json

import fnmatch

import pytest

from components.tenant.labels import ESO_SERVICE_ACCOUNT
from stacks.loading import ConfigError, load_environment
from tests.tenant.helpers import hcl_paths, inputs, kube, of_project

EXTRA_PROJECTS = [
    {"name": "billing", "environments": ["dev", "staging", "production"],
     "sourceRepos": ["https://bitbucket.lab.idp.internal/scm/bil/billing.git"]},
    {"name": "search", "environments": ["production"], "teamGroup": "Search Team",
     "preview": {"enabled": False}},
    {"name": "crm", "sourceRepos": ["https://bitbucket.lab.idp.internal/scm/crm/*"],
     "preview": {"repoUrl": "https://bitbucket.lab.idp.internal/scm/crm/crm-app.git"}},
]


@pytest.fixture(scope="module")
def many():
    from tests.conftest import load_lab_config
    from tests.tenant.conftest import render_projects

    config = load_lab_config()
    config["idp:projects"] = config["idp:projects"] + EXTRA_PROJECTS
    env = load_environment("lab", config, set())
    return render_projects(config), {p.name: p for p in env.config.projects}


def test_each_secret_store_role_is_bound_only_to_its_namespace_service_account(many):
    result, projects = many
    for name, project in projects.items():
        roles = [inputs(r) for r in of_project(result, name, "vault:kubernetes/authBackendRole:AuthBackendRole")]
        stores = [kube(r) for r in of_project(result, name, "kubernetes:external-secrets.io/v1:SecretStore")]
        assert sorted(r["boundServiceAccountNamespaces"][0] for r in roles) == sorted(project.namespaces)
        roles_by_name = {r["roleName"]: r for r in roles}
        assert len(roles_by_name) == len(project.namespaces)
        for role in roles:
            # exactly one account in exactly one namespace; no wildcards, no namespace selector
            assert role["boundServiceAccountNames"] == [ESO_SERVICE_ACCOUNT]
            assert len(role["boundServiceAccountNamespaces"]) == 1
            assert role["boundServiceAccountNamespaces"][0] in project.namespaces
            assert "*" not in role["boundServiceAccountNamespaces"][0]
            assert "boundServiceAccountNamespaceSelector" not in role
            assert role["tokenPolicies"] == [f"project-{name}-eso"]
        for store in stores:
            namespace = store["metadata"]["namespace"]
            auth = store["spec"]["provider"]["vault"]["auth"]["kubernetes"]
            role = roles_by_name[auth["role"]]
            assert role["boundServiceAccountNamespaces"] == [namespace]
            assert auth["serviceAccountRef"]["name"] == ESO_SERVICE_ACCOUNT
            assert "namespace" not in auth["serviceAccountRef"]  # its own namespace
            assert store["spec"]["provider"]["vault"]["path"] == name


def test_each_vault_policy_grants_only_its_project_mount(many):
    result, projects = many
    policies = [inputs(r) for r in result.resources if r.type == "vault:index/policy:Policy"]
    with_ci = [n for n, p in projects.items() if p.ci.repository_uuids]
    assert len(policies) == 2 * len(projects) + len(with_ci)
    for name in projects:
        own = [inputs(r) for r in of_project(result, name, "vault:index/policy:Policy")]
        expected = {f"project-{name}-team", f"project-{name}-eso"} | ({f"project-{name}-ci"} if name in with_ci else set())
        assert {p["name"] for p in own} == expected
        for policy in own:
            if policy["name"].endswith("-ci"):  # JSON policy document
                paths = {path: rule["capabilities"] for path, rule in json.loads(policy["policy"])["path"].items()}
            else:
                paths = hcl_paths(policy["policy"])
                # the parser saw every block
                assert len(paths) == policy["policy"].count("path ")
            assert paths, policy["policy"]
            for path, capabilities in paths.items():
                # Its own mount, or signing with the platform key (never reading it).
                if path.startswith("transit/"):
                    assert path in ("transit/sign/cosign", "transit/sign/cosign/*") and capabilities == ["update"], path
                else:
                    assert path.startswith(f"{name}/"), (policy["name"], path)
                assert "+" not in path and "sudo" not in capabilities
            if policy["name"].endswith("-eso"):
                assert all(set(caps) <= {"read", "list"} for caps in paths.values())
        group = inputs(of_project(result, name, "vault:ldap/authBackendGroup:AuthBackendGroup")[0])
        assert group["policies"] == [f"project-{name}-team"]


def test_each_app_project_targets_only_its_own_namespaces(many):
    result, projects = many
    for name, project in projects.items():
        (app_project,) = [kube(r) for r in of_project(result, name, "kubernetes:argoproj.io/v1alpha1:AppProject")]
        spec = app_project["spec"]
        patterns = [d["namespace"] for d in spec["destinations"]]
        assert patterns == [f"{name}-*"]
        assert all(d["server"] == "https://kubernetes.default.svc" for d in spec["destinations"])
        for other_name, other in projects.items():
            if other_name == name:
                continue
            for namespace in [*other.namespaces, f"{other_name}-pr-17"]:
                assert not any(fnmatch.fnmatchcase(namespace, p) for p in patterns), (name, namespace)
        previews = [{"group": "", "kind": "Namespace", "name": f"{name}-pr-*"}]
        assert spec["clusterResourceWhitelist"] == (previews if project.previews_enabled else [])
        for role in spec["roles"]:
            for line in role["policies"]:
                subject, obj = line.split(", ")[1], line.split(", ")[4]
                assert subject == f"proj:{name}:{role['name']}" and obj.startswith(f"{name}/"), line
        for appset in of_project(result, name, "kubernetes:argoproj.io/v1alpha1:ApplicationSet"):
            template = kube(appset)["spec"]["template"]["spec"]
            spec = kube(appset)["spec"]
            assert template["project"] == name
            git = [g["git"] for g in spec["generators"] if "git" in g]
            if git:
                # The project's folders only; the folder name completes `<project>-`.
                assert all(d["path"].startswith(f"apps/{name}/") for g in git for d in g["directories"])
                assert template["destination"]["namespace"] == f"{name}-{{{{ .path.basename }}}}"
            else:
                assert template["destination"]["namespace"].startswith(f"{name}-pr-")


def test_robot_accounts_are_scoped_to_their_project(many):
    result, projects = many
    robots = [r for r in result.resources if r.type == "harbor:index/robotAccount:RobotAccount"]
    assert len(robots) == len(projects)
    for name in projects:
        (robot,) = [inputs(r) for r in of_project(result, name, "harbor:index/robotAccount:RobotAccount")]
        assert robot["level"] == "project"
        for permission in robot["permissions"]:
            assert permission["kind"] == "project" and permission["namespace"] == name
            assert {(a["resource"], a["action"]) for a in permission["accesses"]} <= {("repository", "pull"), ("repository", "push")}


def test_preview_policies_touch_only_their_projects_namespaces(many):
    result, projects = many
    for name, project in projects.items():
        policies = [kube(r) for r in of_project(result, name, "kubernetes:kyverno.io/v1:ClusterPolicy")]
        assert len(policies) == (1 if project.previews_enabled else 0)
        for policy in policies:
            for rule in policy["spec"]["rules"]:
                (match,) = rule["match"]["any"]
                assert match["resources"]["names"] == [f"{name}-pr-*"]
                clone = rule["generate"].get("clone")
                if clone:
                    assert clone["namespace"] in project.namespaces


def _projects_config(lab_config, projects):
    config = dict(lab_config)
    config["idp:projects"] = projects
    return config


def test_a_name_inside_another_projects_fence_is_refused(lab_config):
    config = _projects_config(lab_config, [{"name": "pay"}, {"name": "pay-ments"}])
    with pytest.raises(ConfigError) as caught:
        load_environment("lab", config, set())
    assert any(
        line.startswith("config error: idp:projects[1].name: pay-ments starts with pay-") for line in caught.value.lines
    ), caught.value.lines


def test_two_projects_cannot_share_a_team_group(lab_config):
    config = _projects_config(lab_config, [{"name": "alpha", "teamGroup": "Devs"}, {"name": "beta", "teamGroup": "devs"}])
    with pytest.raises(ConfigError, match=r"idp:projects\[1\]\.teamGroup: group devs already owns projects\[0\]"):
        load_environment("lab", config, set())
