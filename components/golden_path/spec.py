"""The `platform.yaml` model: what an application team writes to get a running service.

One file describes the application without Kubernetes vocabulary; `values.py` turns it into
values of the shared `platform-app` chart. The model is strict (a misspelt key is an error),
camelCase in YAML, and exported as JSON Schema (`idpctl app schema`) so editors complete and
check it through a `# yaml-language-server: $schema=...` header. Defaults live here, nowhere else.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

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

# Environment variables the chart sets itself; a team may not shadow them.
BUILTIN_ENV = {"APP_NAME", "ENVIRONMENT"}
DATABASE_ENV = {"DATABASE_URL", "PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"}
RABBITMQ_ENV = {"AMQP_URL", "RABBITMQ_HOST", "RABBITMQ_PORT", "RABBITMQ_USERNAME", "RABBITMQ_PASSWORD"}
# Plain `env` is committed to Git; names like these must come from a Secret instead.
SECRET_LIKE = re.compile(r"(^|_)(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_KEY|CREDENTIALS?)($|_)", re.IGNORECASE)


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
        ports = sorted(self.ports)
        if self.ingress and self.ingress.port not in self.ports:
            errors.append(("ingress.port", f"{self.ingress.port!r} is not one of ports {ports}"))
        if self.monitoring and self.monitoring.enabled and self.monitoring.port not in self.ports:
            errors.append(("monitoring.port", f"{self.monitoring.port!r} is not one of ports {ports}"))
        for kind in ("liveness", "readiness", "startup"):
            probe: Probe = getattr(self.probes, kind)
            if probe.enabled and probe.port not in self.ports:
                errors.append((f"probes.{kind}.port", f"{probe.port!r} is not one of ports {ports}"))
        scalers = [("autoscaling", self.autoscaling)] + [
            (f"environments.{env}.autoscaling", getattr(self.environments, env).autoscaling)
            for env in ("staging", "production", "preview")
        ]
        for path, scaling in scalers:
            if scaling and scaling.min_replicas > scaling.max_replicas:
                errors.append((f"{path}.minReplicas", "must not be greater than maxReplicas"))
        reserved = BUILTIN_ENV | (DATABASE_ENV if self.has_database else set()) | (
            RABBITMQ_ENV if self.has_rabbitmq else set()
        )
        for name in sorted(set(self.env) & reserved):
            errors.append((f"env.{name}", "is set by the platform (database, broker or identity); pick another name"))
        env_maps = [("env", self.env)] + [
            (f"environments.{env}.env", getattr(self.environments, env).env) for env in ("staging", "production", "preview")
        ]
        for path, env_map in env_maps:
            for name in sorted(k for k in env_map if SECRET_LIKE.search(k)):
                errors.append((
                    f"{path}.{name}",
                    f"looks like a secret and env is plain text in Git: put it in Vault {self.project}/env "
                    f"(it arrives through the {self.project}-env Secret) or reference a Secret under secrets.keys",
                ))
        for name in sorted(set(self.secrets.keys) & (reserved | set(self.env))):
            errors.append((f"secrets.keys.{name}", "is already set (by env or by the platform)"))
        repository = self.image.repository
        if repository and not self.image.registry and not repository.startswith(f"{self.project}/"):
            # Harbor robot accounts are per project: a push outside it is denied.
            errors.append(("image.repository", f"must start with {self.project}/ (the project's Harbor project)"))
        seen: dict[str, str] = {}
        for vol_id, volume in self.storage.items():
            if volume.mount_path == "/tmp":
                errors.append((f"storage.{vol_id}.mountPath", "/tmp is reserved: the platform mounts a writable /tmp"))
            elif volume.mount_path in seen:
                errors.append((f"storage.{vol_id}.mountPath", f"already used by storage.{seen[volume.mount_path]}"))
            seen.setdefault(volume.mount_path, vol_id)
        raise_path_errors(errors)
        return self


def json_schema() -> dict:
    """The JSON Schema editors use for platform.yaml (`idpctl app schema`)."""
    schema = PlatformSpec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "platform.yaml"
    return schema
