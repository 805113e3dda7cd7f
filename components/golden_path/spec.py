"""The `platform.yaml` model: what an application team writes to get a running service.

One file describes the application without Kubernetes vocabulary; `values.py` turns it into
values of the shared `platform-app` chart. The model is strict (a misspelt key is an error),
camelCase in YAML, and exported as JSON Schema (`idpctl app schema`) so editors complete and
check it through a `# yaml-language-server: $schema=...` header. Defaults live here, nowhere else.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from components.golden_path.rules import (  # one rule set for platform.yaml and values.yaml
    DATABASE_ENV,  # noqa: F401  (imported from here by score.py)
    RABBITMQ_ENV,  # noqa: F401
    autoscaling_errors,
    env_errors,
    mount_errors,
    port_errors,
    repository_errors,
    reserved_env,
    secret_key_errors,
)
from components.model import Cron6, Duration, Fqdn, K8sName, Model, Port, Resources, raise_path_errors

Size = Annotated[str, StringConstraints(pattern=r"^[0-9]+(Mi|Gi|Ti)$")]
PortName = Annotated[str, StringConstraints(pattern=r"^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$")]
"""A Kubernetes port name: at most 15 lower-case characters."""
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
AbsPath = Annotated[str, StringConstraints(pattern=r"^/")]
PgIdentifier = Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]{0,62}$")]


def _app_name(value: str) -> str:
    if len(value) > 40:
        raise ValueError(f"{value!r} is longer than 40 characters (derived names such as <name>-pr-<N> must fit)")
    return value


AppName = Annotated[K8sName, AfterValidator(_app_name)]
"""At most 40 characters so `<name>-pr-<N>`, `<name>-db-app` and friends stay valid names."""
AlertName = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Za-z0-9]*$")]



class Image(Model):
    """Where the image lives; the tag is never written here: it is the commit SHA given at render."""

    registry: str | None = Field(None, pattern=r"^[a-z0-9.-]+(:[0-9]+)?$")
    """Registry host; defaults to the platform Harbor (`idpctl app render --registry`)."""
    repository: str | None = Field(None, pattern=r"^[a-z0-9]+([._/-][a-z0-9]+)*$")
    """Repository in the registry; defaults to `<project>/<name>`."""


class ServicePort(Model):
    """A port the application listens on. `http: 8080` is short for `http: {port: 8080}`."""

    port: Port
    container_port: Port | None = None
    """Port inside the container when it differs from the Service port."""
    protocol: Literal["TCP", "UDP"] = "TCP"

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value):
        return {"port": value} if isinstance(value, int) and not isinstance(value, bool) else value

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        # Editors must accept the short form too.
        return {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 65535}, handler(core_schema)]}


class Ingress(Model):
    """HTTPS exposure through Traefik; the certificate comes from the platform CA."""

    host: Fqdn
    """Production host name; staging and previews derive theirs (see docs/golden-path.md)."""
    path: AbsPath = "/"
    port: PortName = "http"
    tls: bool = True


class SecretKey(Model):
    """One key of a Secret in the namespace."""

    secret: K8sName
    key: str = Field(min_length=1)


class Secrets(Model):
    """Secrets arrive as environment variables; their values live in Vault, never in this file."""

    project_secret: bool = True
    """Load `<project>-env` (synced from Vault `<project>/env` by External Secrets)."""
    extra: list[K8sName] = []
    """Further Secrets loaded whole."""
    keys: dict[EnvName, SecretKey] = {}
    """Single variables from single Secret keys."""


class Database(Model):
    """PostgreSQL run by CloudNativePG; credentials arrive as DATABASE_URL and PG* variables."""

    enabled: bool = True
    instances: int = Field(2, ge=1, le=5)
    size: Size = "5Gi"
    backup: bool = False
    """Archive WAL and take nightly base backups to the project's object store."""
    backup_schedule: Cron6 = "0 0 2 * * *"
    name: PgIdentifier = "app"
    resources: Resources = Resources(requests_cpu="100m", requests_memory="256Mi", limits_memory="512Mi")


class RabbitMQ(Model):
    """A RabbitMQ broker; credentials arrive as AMQP_URL and RABBITMQ_* variables."""

    enabled: bool = True
    replicas: Literal[1, 3, 5] = 1
    size: Size = "5Gi"


class Volume(Model):
    """A Longhorn volume mounted into the container."""

    size: Size
    mount_path: AbsPath
    backup: bool = False
    """Join the Longhorn backup RecurringJob group."""
    access_mode: Literal["ReadWriteOnce", "ReadWriteMany"] = "ReadWriteOnce"


class Autoscaling(Model):
    min_replicas: int = Field(2, ge=1, le=100)
    max_replicas: int = Field(5, ge=1, le=100)
    cpu: int = Field(75, ge=1, le=100)
    """Target average CPU utilisation, percent of the request."""
    memory: int | None = Field(None, ge=1, le=100)


class Probe(Model):
    enabled: bool = True
    type: Literal["http", "tcp"] = "http"
    path: AbsPath = "/healthz"
    port: PortName = "http"
    initial_delay_seconds: int = Field(0, ge=0)
    period_seconds: int = Field(10, ge=1)
    timeout_seconds: int = Field(2, ge=1)
    failure_threshold: int = Field(3, ge=1)


class Probes(Model):
    liveness: Probe = Probe()
    readiness: Probe = Probe(path="/readyz", period_seconds=5)
    startup: Probe = Probe(enabled=False, period_seconds=5, failure_threshold=30)


class CanaryStep(Model):
    """Send `weight` percent of traffic to the new version, then pause (a duration or `manual`)."""

    weight: int = Field(ge=0, le=100)
    pause: Duration | Literal["manual"] | None = None


class Rollout(Model):
    strategy: Literal["rolling", "canary", "blueGreen"] = "rolling"
    steps: list[CanaryStep] = Field(
        default=[CanaryStep(weight=20, pause="2m"), CanaryStep(weight=50, pause="2m")], min_length=1
    )
    """Canary steps (strategy canary)."""
    auto_promotion: bool = False
    """Blue-green: promote without a manual `kubectl argo rollouts promote`."""


class AlertRule(Model):
    expr: str = Field(min_length=1)
    """PromQL (MetricsQL) expression that fires the alert."""
    for_: Duration = Field("5m", alias="for")
    severity: Literal["info", "warning", "critical"] = "warning"
    summary: str = Field(min_length=1)
    description: str = ""


class Monitoring(Model):
    enabled: bool = True
    port: PortName = "http"
    path: AbsPath = "/metrics"
    interval: Duration = "30s"
    alerts: dict[AlertName, AlertRule] = {}


class EnvironmentOverrides(Model):
    """What may differ between staging, production and previews."""

    host: Fqdn | None = None
    replicas: int | None = Field(None, ge=0)
    resources: Resources | None = None
    autoscaling: Autoscaling | None = None
    env: dict[EnvName, str | int | float | bool] = {}


class Environments(Model):
    staging: EnvironmentOverrides = EnvironmentOverrides()
    production: EnvironmentOverrides = EnvironmentOverrides()
    preview: EnvironmentOverrides = EnvironmentOverrides()


class PlatformSpec(Model):
    """platform.yaml: one application of one team in one tenant project."""

    name: AppName
    team: K8sName
    project: K8sName
    image: Image = Image()
    command: list[str] = []
    args: list[str] = []
    ports: dict[PortName, ServicePort] = Field(default={"http": ServicePort(port=8080)}, min_length=1)
    ingress: Ingress | None = None
    env: dict[EnvName, str | int | float | bool] = {}
    secrets: Secrets = Secrets()
    database: Database | None = None
    rabbitmq: RabbitMQ | None = None
    storage: dict[K8sName, Volume] = {}
    resources: Resources = Resources(requests_cpu="100m", requests_memory="128Mi", limits_memory="256Mi")
    replicas: int = Field(2, ge=0, le=100)
    autoscaling: Autoscaling | None = None
    probes: Probes = Probes()
    rollout: Rollout = Rollout()
    monitoring: Monitoring | None = None
    reloader: bool = True
    """Restart pods when their Secrets change (Stakater Reloader)."""
    environments: Environments = Environments()

    @property
    def has_database(self) -> bool:
        return self.database is not None and self.database.enabled

    @property
    def has_rabbitmq(self) -> bool:
        return self.rabbitmq is not None and self.rabbitmq.enabled

    @model_validator(mode="after")
    def _cross_field(self) -> "PlatformSpec":
        errors: list[tuple[str, str]] = []
        refs: list[tuple[str, object]] = []
        if self.ingress:
            refs.append(("ingress.port", self.ingress.port))
        if self.monitoring and self.monitoring.enabled:
            refs.append(("monitoring.port", self.monitoring.port))
        for kind in ("liveness", "readiness", "startup"):
            probe: Probe = getattr(self.probes, kind)
            if probe.enabled:
                refs.append((f"probes.{kind}.port", probe.port))
        errors += port_errors(refs, self.ports)
        overrides = [(f"environments.{env}", getattr(self.environments, env)) for env in ("staging", "production", "preview")]
        scalers = [("autoscaling", self.autoscaling)] + [(f"{path}.autoscaling", o.autoscaling) for path, o in overrides]
        errors += autoscaling_errors((path, s.min_replicas, s.max_replicas) for path, s in scalers if s)
        reserved = reserved_env(self.has_database, self.has_rabbitmq)
        errors += env_errors([("env", self.env)], reserved, self.project)
        errors += env_errors([(f"{path}.env", o.env) for path, o in overrides], set(), self.project)
        errors += secret_key_errors("secrets.keys", self.secrets.keys, reserved | set(self.env))
        errors += repository_errors("image.repository", self.image.repository, self.image.registry, self.project)
        errors += mount_errors((f"storage.{vol_id}.mountPath", volume.mount_path) for vol_id, volume in self.storage.items())
        raise_path_errors(errors)
        return self


def json_schema() -> dict:
    """The JSON Schema editors use for platform.yaml (`idpctl app schema`)."""
    schema = PlatformSpec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "platform.yaml"
    return schema
