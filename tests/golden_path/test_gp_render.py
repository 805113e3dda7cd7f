"""`idpctl app render` and `promote`: every example renders to values + Application for every
environment, the outputs are valid (chart values schema, Argo CD Application CRD) and say what
the environment needs; problems end with exit code 2 and located lines.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from components.golden_path import chart, render
from idpctl.app_cmd import app

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
EXAMPLES = sorted(p for p in (REPO / "examples").glob("*/*.yaml") if p.name in ("platform.yaml", "score.yaml", "values.yaml"))
ENVS = [("staging", None), ("production", None), ("preview", 42)]
REGISTRY = "harbor.lab.idp.internal"
CHART_REPO = f"{REGISTRY}/platform"
TAG = "0123456789abcdef0123456789abcdef01234567"


def _render(path: Path, env: str, pr: int | None = None) -> render.Rendered:
    return render.render(path, env, image_tag=TAG, registry=REGISTRY, chart_repo=CHART_REPO,
                         domain="lab.idp.internal", pr=pr)


def test_examples_cover_the_three_doors() -> None:
    kinds = {render.file_kind(yaml.safe_load(p.read_text())) for p in EXAMPLES}
    assert kinds == {"platform", "score", "values"}
    assert (REPO / "examples" / "hello" / "platform.yaml") in EXAMPLES


@pytest.mark.parametrize("env,pr", ENVS, ids=[e for e, _ in ENVS])
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_example_renders_valid_application(path: Path, env: str, pr: int | None, schemas) -> None:
    result = _render(path, env, pr)
    assert chart.schema_errors(result.values) == []
    application = result.application
    assert schemas.validate(application) == []
    app_values = result.values["app"]
    spec = application["spec"]
    assert spec["project"] == app_values["project"]
    suffix = f"pr-{pr}" if env == "preview" else env
    assert spec["destination"]["namespace"] == f"{app_values['project']}-{suffix}"
    assert application["metadata"]["name"] == f"{app_values['project']}-{app_values['name']}-{suffix}"
    assert spec["source"] == {
        "repoURL": CHART_REPO,
        "chart": "platform-app",
        "targetRevision": yaml.safe_load((REPO / "charts/platform-app/Chart.yaml").read_text())["version"],
        "helm": {"releaseName": app_values["name"], "valuesObject": result.values},
    }
    assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert result.values["image"]["tag"] == TAG and result.values["image"]["registry"] == REGISTRY
    assert app_values["environment"] == env


def test_preview_follows_the_tenant_preview_contract() -> None:
    """Small, stateless and labelled like the project's ApplicationSet previews (same quota, policies)."""
    from components.tenant.previews import preview_host

    hello = REPO / "examples" / "hello" / "platform.yaml"
    production = _render(hello, "production").values
    preview = _render(hello, "preview", 7)
    values = preview.values
    assert production["strategy"]["type"] == "canary" and production["database"]["enabled"]
    assert values["replicas"] == 1
    assert values["autoscaling"] == {"enabled": False}
    assert values["podDisruptionBudget"] == {"enabled": False}
    assert values["reloader"] == {"enabled": False}
    assert values["strategy"] == {"type": "rolling"}
    assert values["database"] == {"enabled": False} and values["rabbitmq"] == {"enabled": False}
    assert values["persistence"] is None and values["secretEnv"] is None
    assert values["secrets"] == {"project": {"enabled": False}, "extra": None}
    assert values["monitoring"]["rules"] == {}
    assert values["ingress"]["host"] == preview_host("lab.idp.internal", "hello", "7") == "hello-pr-7.lab.idp.internal"
    assert chart.schema_errors(values) == []
    sync = preview.application["spec"]["syncPolicy"]
    assert "CreateNamespace=true" in sync["syncOptions"]
    labels = sync["managedNamespaceMetadata"]["labels"]
    assert labels["idp.platform/preview"] == "true" and labels["idp.platform/project"] == "webshop"
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_platform_harbor_images_use_the_project_pull_secret() -> None:
    from components.tenant.labels import pull_secret_name

    values = _render(REPO / "examples" / "hello" / "platform.yaml", "staging").values
    assert values["imagePullSecrets"] == [pull_secret_name("webshop")] == ["webshop-harbor-pull"]


def test_environment_overrides_and_hosts() -> None:
    hello = REPO / "examples" / "hello" / "platform.yaml"
    staging = _render(hello, "staging").values
    production = _render(hello, "production").values
    assert staging["ingress"]["host"] == "hello-staging.apps.lab.idp.internal"
    assert production["ingress"]["host"] == "hello.apps.lab.idp.internal"
    assert staging["replicas"] == 1 and staging["env"]["LOG_LEVEL"] == "debug"
    assert staging["autoscaling"]["maxReplicas"] == 2 and production["autoscaling"]["maxReplicas"] == 4
    assert production["env"]["LOG_LEVEL"] == "info"


def test_canary_translates_to_rollouts_steps_behind_an_ingressroute() -> None:
    values = _render(REPO / "examples" / "hello" / "platform.yaml", "production").values
    assert values["ingress"]["kind"] == "IngressRoute"
    assert values["strategy"]["canary"]["steps"] == [
        {"setWeight": 20}, {"pause": {"duration": "2m"}}, {"setWeight": 50}, {"pause": {}}
    ]


def test_score_outputs_become_secret_references_not_values() -> None:
    values = _render(REPO / "examples" / "orders-score" / "score.yaml", "production").values
    assert values["secretEnv"]["ORDERS_DB_PASSWORD"] == {"secretName": "orders-db-app", "key": "password"}
    assert values["secretEnv"]["EVENTS_URL"] == {"secretName": "orders-mq-default-user", "key": "connection_string"}
    assert values["env"]["SERVICE_NAME"] == "orders"
    assert values["database"]["enabled"] and values["database"]["backup"]["enabled"]
    assert values["rabbitmq"]["enabled"]
    assert values["persistence"]["data"] == {"type": "pvc", "size": "2Gi", "mountPath": "/var/lib/orders",
                                             "accessMode": "ReadWriteOnce", "backup": True}
    assert values["ingress"]["host"] == "orders.apps.lab.idp.internal" and values["ingress"]["port"] == "http"
    assert values["service"]["ports"]["http"] == {"port": 80, "protocol": "TCP", "containerPort": 8080}


def test_values_yaml_passes_through_with_environment_inputs() -> None:
    source = yaml.safe_load((REPO / "examples" / "billing-values" / "values.yaml").read_text())
    values = _render(REPO / "examples" / "billing-values" / "values.yaml", "staging").values
    assert values["strategy"] == source["strategy"]
    # Passed through, plus the one environment input a database gets: its image from the Harbor mirror.
    assert "imageName" not in source["database"]
    assert values["database"] == {**source["database"], "imageName": "harbor.lab.idp.internal/library/postgresql:17.8-standard-trixie"}
    assert values["ingress"]["host"] == "billing-staging.apps.lab.idp.internal"


def test_database_and_broker_images_come_from_the_harbor_mirror_unless_chosen() -> None:
    from components.golden_path import environments

    base = {"app": {"name": "a", "team": "t", "project": "webshop"}, "image": {"repository": "webshop/a"},
            "database": {"enabled": True}, "rabbitmq": {"enabled": True}}
    values = environments.apply(base, "staging", image_tag="abc1234", registry="harbor.example.test")
    assert values["database"]["imageName"] == "harbor.example.test/library/postgresql:17.8-standard-trixie"
    assert values["rabbitmq"]["image"] == "harbor.example.test/library/rabbitmq:4.2.6-management"
    chosen = {**base, "database": {"enabled": True, "imageName": "harbor.example.test/library/postgresql:16.9"},
              "rabbitmq": {"enabled": False}}
    values = environments.apply(chosen, "staging", image_tag="abc1234", registry="harbor.example.test")
    assert values["database"]["imageName"] == "harbor.example.test/library/postgresql:16.9"
    assert "image" not in values["rabbitmq"]


# --- the command line ---------------------------------------------------------------------


def _cli(*args: str):
    return CliRunner().invoke(app, list(args))


def test_cli_render_writes_values_and_application(tmp_path: Path, schemas) -> None:
    out = tmp_path / "staging"
    result = _cli("render", str(REPO / "examples/hello/platform.yaml"), "--env", "staging",
                  "--image-tag", TAG, "--out", str(out), "--domain", "lab.idp.internal")
    assert result.exit_code == 0, result.output
    values = yaml.safe_load((out / "values.yaml").read_text())
    application_text = (out / "application.yaml").read_text()
    assert application_text.startswith("# yaml-language-server: $schema=")
    application = yaml.safe_load(application_text)
    assert schemas.validate(application) == []
    assert application["spec"]["source"]["helm"]["valuesObject"] == values
    assert application["spec"]["source"]["repoURL"] == "harbor.lab.idp.internal/platform"


def test_cli_rejects_a_misspelt_key_with_exit_2_and_its_location(tmp_path: Path) -> None:
    path = tmp_path / "platform.yaml"
    path.write_text("name: hello\nteam: web\nproject: webshop\ningress:\n  host: a.b.c\n  tsl: true\n")
    result = _cli("render", str(path), "--env", "staging", "--image-tag", TAG, "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert result.output.strip() == f"{path}:6: ingress.tsl: unknown key (did you mean 'tls'?)"
    assert not (tmp_path / "o").exists()


def test_cli_rejects_a_misspelt_key_in_values_yaml(tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text("app:\n  name: hello\n  team: web\n  project: webshop\nimage:\n  repository: webshop/hello\nreplicaz: 2\n")
    result = _cli("validate", str(path))
    assert result.exit_code == 2
    assert result.output.strip() == f"{path}:7: replicaz: unknown key (did you mean 'replicas'?)"


@pytest.mark.parametrize("args,message", [
    (["--env", "preview"], "--pr N (the pull request number) is required with --env preview"),
    (["--env", "staging", "--pr", "3"], "--pr is only valid with --env preview"),
    (["--env", "staging", "--image-tag", "latest"], "--image-tag 'latest': expected an immutable tag"),
])
def test_cli_checks_render_inputs(tmp_path: Path, args: list[str], message: str) -> None:
    if "--image-tag" not in args:
        args = args + ["--image-tag", TAG]
    result = _cli("render", str(REPO / "examples/hello/platform.yaml"), "--out", str(tmp_path), *args)
    assert result.exit_code == 2 and message in result.output


def test_cli_schema_prints_the_platform_schema() -> None:
    result = _cli("schema")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["additionalProperties"] is False and {"name", "team", "project"} <= set(schema["required"])


def test_promote_carries_the_staging_image_tag_to_production(tmp_path: Path) -> None:
    hello = str(REPO / "examples/hello/platform.yaml")
    assert _cli("render", hello, "--env", "staging", "--image-tag", "aaa111", "--out", str(tmp_path / "staging")).exit_code == 0
    assert _cli("render", hello, "--env", "production", "--image-tag", "old000", "--out", str(tmp_path / "production")).exit_code == 0
    result = _cli("promote", hello, "--from", "staging", "--to", "production", "--root", str(tmp_path))
    assert result.exit_code == 0, result.output
    production = yaml.safe_load((tmp_path / "production" / "values.yaml").read_text())
    application = yaml.safe_load((tmp_path / "production" / "application.yaml").read_text())
    assert production["image"]["tag"] == "aaa111" and production["app"]["environment"] == "production"
    assert production["ingress"]["host"] == "hello.apps.lab.idp.internal"
    assert application["spec"]["destination"]["namespace"] == "webshop-production"


def test_promote_without_a_staging_render_says_what_to_do(tmp_path: Path) -> None:
    result = _cli("promote", str(REPO / "examples/hello/platform.yaml"), "--from", "staging", "--to", "production",
                  "--root", str(tmp_path))
    assert result.exit_code == 2 and "render that environment first" in result.output


def test_values_yaml_on_the_platform_harbor_gets_the_pull_secret_too() -> None:
    values = _render(REPO / "examples" / "billing-values" / "values.yaml", "production").values
    assert values["image"]["registry"] == REGISTRY and values["imagePullSecrets"] == ["payments-harbor-pull"]


def test_tenant_previews_pin_the_same_chart_as_the_render() -> None:
    """The project's preview ApplicationSet and idpctl must deploy the same chart version and repo."""
    from components.tenant.args import PlatformChart

    tenant_chart = PlatformChart()
    assert (tenant_chart.name, tenant_chart.version) == ("platform-app", chart.chart_version())
    assert CHART_REPO == f"{REGISTRY}/{tenant_chart.repository}"


def test_cli_render_never_overwrites_a_file_it_did_not_write(tmp_path: Path) -> None:
    """Rendering a team's values.yaml into its own directory would replace the team's file."""
    team_dir = tmp_path / "billing"
    team_dir.mkdir()
    source = team_dir / "values.yaml"
    source.write_bytes((REPO / "examples/billing-values/values.yaml").read_bytes())
    before = source.read_bytes()
    result = _cli("render", str(source), "--env", "staging", "--image-tag", TAG, "--out", str(team_dir))
    assert result.exit_code == 2, result.output
    assert "was not written by `idpctl app render`" in result.output
    assert source.read_bytes() == before and not (team_dir / "application.yaml").exists()
    out = tmp_path / "staging"
    for _ in range(2):  # a second render replaces its own output
        result = _cli("render", str(source), "--env", "staging", "--image-tag", TAG, "--out", str(out))
        assert result.exit_code == 0, result.output
