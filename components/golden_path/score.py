"""score.yaml (Score workload spec, `score.dev/v1b1`) -> the platform.yaml model.

Teams that already describe workloads with Score keep their file; it is translated to the same
`PlatformSpec`, so one chart and one set of checks serve both doors. The golden path supports
one container and the resource types the platform provides:

    postgres -> CloudNativePG database     amqp  -> RabbitMQ broker
    volume   -> Longhorn volume            route -> ingress (host, path, port)
    dns      -> a host name (`params.host`) that a route may reference

Team and project are Score annotations `idp.platform/team` and `idp.platform/project`.
Variables may be literals or exactly one placeholder: `${metadata.name}` or
`${resources.<name>.<output>}` of a postgres/amqp/dns resource; secret outputs become references
to the operator-generated Secrets, never plain values.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import ValidationError, ConfigDict, Field

from components.golden_path import source as src
from components.golden_path.source import Loc, Source, SpecError
from components.golden_path.spec import DATABASE_ENV, RABBITMQ_ENV, PlatformSpec
from components.model import Model

TEAM_ANNOTATION = "idp.platform/team"
PROJECT_ANNOTATION = "idp.platform/project"
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")

# Outputs of the provisioned resources -> keys of the Secrets the operators write.
POSTGRES_OUTPUTS = {"host": "host", "port": "port", "name": "dbname", "database": "dbname",
                    "username": "username", "password": "password", "uri": "uri"}
AMQP_OUTPUTS = {"host": "host", "port": "port", "username": "username", "password": "password",
                "url": "connection_string", "uri": "connection_string"}


class ScoreModel(Model):
    """Score models are strict like ours; Score's own open-ended maps are typed as dicts."""

    model_config = ConfigDict(frozen=True)


class Metadata(ScoreModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    name: str
    annotations: dict[str, str] = {}


class HttpGet(ScoreModel):
    path: str = "/"
    port: int
    scheme: Literal["HTTP"] | None = None
    host: str | None = None
    http_headers: list[dict[str, str]] = []


class ScoreProbe(ScoreModel):
    http_get: HttpGet


class Container(ScoreModel):
    image: str
    command: list[str] = []
    args: list[str] = []
    variables: dict[str, str] = {}
    files: Any = None
    volumes: dict[str, dict[str, Any]] | list[dict[str, Any]] = {}
    resources: dict[Literal["requests", "limits"], dict[Literal["cpu", "memory"], str]] = {}
    liveness_probe: ScoreProbe | None = None
    readiness_probe: ScoreProbe | None = None


class ScorePort(ScoreModel):
    port: int = Field(ge=1, le=65535)
    protocol: Literal["TCP", "UDP"] = "TCP"
    target_port: int | None = Field(None, ge=1, le=65535)


class Service(ScoreModel):
    ports: dict[str, ScorePort] = {}


class Resource(ScoreModel):
    type: str
    class_: str | None = Field(None, alias="class")
    id: str | None = None
    metadata: dict[str, Any] = {}
    params: dict[str, Any] = {}


class Workload(ScoreModel):
    api_version: Literal["score.dev/v1b1"]
    metadata: Metadata
    containers: dict[str, Container] = Field(min_length=1)
    service: Service | None = None
    resources: dict[str, Resource] = {}


def is_score(data: Any) -> bool:
    return isinstance(data, dict) and str(data.get("apiVersion", "")).startswith("score.dev/")


def translate(source: Source) -> PlatformSpec:
    """Validate a Score file and return the equivalent PlatformSpec (errors name file and line)."""
    workload: Workload = src.validate(Workload, source)  # type: ignore[assignment]
    errors: list[str] = []
    spec = _Translator(workload, source, errors).platform()
    if errors:
        raise SpecError(errors)
    # The translated dict is checked by the same model as platform.yaml; each problem is reported
    # at the Score key it came from, naming the platform.yaml field it became.
    try:
        return PlatformSpec.model_validate(spec)
    except ValidationError as exc:
        container = next(iter(workload.containers))
        lines = []
        for loc, message in src.flatten(exc, PlatformSpec):
            origin = _score_origin(loc, container)
            lines.append(source.error(origin, f"{message} (as {src.format_loc(loc)} of the translated platform.yaml)"))
        raise SpecError(lines) from None


def _score_origin(loc: Loc, container: str) -> Loc:
    """The Score key a translated platform.yaml field comes from (its nearest ancestor in the file)."""
    head = loc[0] if loc else None
    where: dict[Any, Loc] = {
        "name": ("metadata", "name"),
        "team": ("metadata", "annotations", TEAM_ANNOTATION),
        "project": ("metadata", "annotations", PROJECT_ANNOTATION),
        "ports": ("service", "ports"),
        "ingress": ("resources",),
        "database": ("resources",),
        "rabbitmq": ("resources",),
        "storage": ("containers", container, "volumes"),
        "env": ("containers", container, "variables"),
        "secrets": ("containers", container, "variables"),
        "resources": ("containers", container, "resources"),
        "probes": ("containers", container),
        "image": ("containers", container, "image"),
        "command": ("containers", container, "command"),
        "args": ("containers", container, "args"),
    }
    return where.get(head, ("metadata",))


class _Translator:
    def __init__(self, workload: Workload, source: Source, errors: list[str]):
        self.w, self.source, self.errors = workload, source, errors
        self.name = workload.metadata.name

    def fail(self, loc: Loc, message: str) -> None:
        self.errors.append(self.source.error(loc, message))

    def platform(self) -> dict[str, Any]:
        annotations = self.w.metadata.annotations
        spec: dict[str, Any] = {"name": self.name}
        for key, annotation in (("team", TEAM_ANNOTATION), ("project", PROJECT_ANNOTATION)):
            if annotation in annotations:
                spec[key] = annotations[annotation]
            else:
                self.fail(("metadata", "annotations"), f"annotation {annotation!r} is required (the owning {key})")
        if len(self.w.containers) != 1:
            self.fail(("containers",), "the golden path runs exactly one container per workload")
            return spec
        (cname, container), = self.w.containers.items()
        cloc = ("containers", cname)
        if container.files:
            self.fail(cloc + ("files",), "files are not supported: bake them into the image or use variables")
        spec.update(self._image(container.image, cloc + ("image",)))
        if container.command:
            spec["command"] = container.command
        if container.args:
            spec["args"] = container.args
        spec["ports"] = self._ports()
        spec.update(self._resources(container))
        spec["probes"] = self._probes(container, spec["ports"], cloc)
        spec.update(self._provisioned(container, cloc, spec["ports"]))
        return spec

    def _image(self, image: str, loc: Loc) -> dict[str, Any]:
        if image == ".":
            return {}  # built from this repository: registry and repository take the defaults
        ref = image.split("@", 1)[0]
        last = ref.rsplit("/", 1)[-1]
        if ":" in last:
            ref = ref[: len(ref) - len(last)] + last.split(":", 1)[0]
        first, _, rest = ref.partition("/")
        if rest and ("." in first or ":" in first):
            return {"image": {"registry": first, "repository": rest}}
        self.fail(loc, f"{image!r} has no registry host; use '.' (built here) or '<registry>/<repository>'")
        return {}

    def _ports(self) -> dict[str, Any]:
        ports: dict[str, Any] = {}
        for name, port in (self.w.service.ports if self.w.service else {}).items():
            entry: dict[str, Any] = {"port": port.port, "protocol": port.protocol}
            if port.target_port and port.target_port != port.port:
                entry["containerPort"] = port.target_port
            ports[name] = entry
        return ports or {"http": {"port": 8080}}

    def _resources(self, container: Container) -> dict[str, Any]:
        res = container.resources
        out: dict[str, Any] = {}
        for part in ("requests", "limits"):
            for kind in ("cpu", "memory"):
                if kind in res.get(part, {}):
                    out[f"{part}{kind.capitalize()}"] = res[part][kind]
        return {"resources": out} if out else {}

    def _probes(self, container: Container, ports: dict[str, Any], cloc: Loc) -> dict[str, Any]:
        probes: dict[str, Any] = {}
        for kind, field in (("liveness", "livenessProbe"), ("readiness", "readinessProbe")):
            probe = getattr(container, f"{kind}_probe")
            if probe is None:
                # Score without a probe: keep the platform's default path but on the first port.
                probes[kind] = {"port": next(iter(ports))}
                continue
            port_name = self._port_name(probe.http_get.port, ports, cloc + (field, "httpGet", "port"))
            probes[kind] = {"type": "http", "path": probe.http_get.path, "port": port_name or next(iter(ports))}
        return probes

    def _port_name(self, number: int, ports: dict[str, Any], loc: Loc) -> str | None:
        for name, port in ports.items():
            if number in (port.get("containerPort", port["port"]), port["port"]):
                return name
        self.fail(loc, f"port {number} is not a service port (declare it under service.ports)")
        return None

    def _provisioned(self, container: Container, cloc: Loc, ports: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        resources = self.w.resources
        by_type: dict[str, list[str]] = {}
        for rname, res in resources.items():
            by_type.setdefault(res.type, []).append(rname)
            if res.type not in ("postgres", "amqp", "volume", "dns", "route"):
                self.fail(("resources", rname, "type"),
                          f"{res.type!r} is not provided by the platform (postgres, amqp, volume, dns, route)")
        for rtype in ("postgres", "amqp", "route"):
            if len(by_type.get(rtype, [])) > 1:
                self.fail(("resources", by_type[rtype][1]), f"only one {rtype} resource per workload")
        if by_type.get("postgres"):
            params = resources[by_type["postgres"][0]].params
            out["database"] = {k: v for k, v in params.items() if k in ("instances", "size", "backup")}
        if by_type.get("amqp"):
            params = resources[by_type["amqp"][0]].params
            out["rabbitmq"] = {k: v for k, v in params.items() if k in ("replicas", "size")}
        if by_type.get("route"):
            out["ingress"] = self._route(by_type["route"][0], ports)
        storage = self._volumes(container, cloc)
        if storage:
            out["storage"] = storage
        env, keys = self._variables(container, cloc)
        if env:
            out["env"] = env
        if keys:
            out["secrets"] = {"keys": keys}
        return out

    def _route(self, rname: str, ports: dict[str, Any]) -> dict[str, Any]:
        params = self.w.resources[rname].params
        loc = ("resources", rname, "params")
        host = self._resolve_host(str(params.get("host", "")), loc + ("host",))
        route: dict[str, Any] = {"host": host, "path": params.get("path", "/")}
        if "port" in params:
            route["port"] = self._port_name(int(params["port"]), ports, loc + ("port",)) or "http"
        else:
            route["port"] = next(iter(ports))
        return route

    def _resolve_host(self, value: str, loc: Loc) -> str:
        match = PLACEHOLDER.fullmatch(value)
        if not match:
            if not value:
                self.fail(loc, "route needs params.host (a host name or ${resources.<dns>.host})")
            return value
        parts = match.group(1).split(".")
        if len(parts) == 3 and parts[0] == "resources" and parts[2] == "host":
            dns = self.w.resources.get(parts[1])
            if dns and dns.type == "dns" and dns.params.get("host"):
                return str(dns.params["host"])
        self.fail(loc, f"{value!r} must name a dns resource with params.host")
        return ""

    def _volumes(self, container: Container, cloc: Loc) -> dict[str, Any]:
        mounts = container.volumes
        items = (
            [(target, spec) for target, spec in mounts.items()]
            if isinstance(mounts, dict)
            else [(spec.get("target", ""), spec) for spec in mounts]
        )
        storage: dict[str, Any] = {}
        for index, (target, mount) in enumerate(items):
            loc = cloc + ("volumes", target if isinstance(mounts, dict) else index)
            raw = str(mount.get("source", ""))
            ref = PLACEHOLDER.fullmatch(raw)
            # `${resources.data}` (current spec) or the bare resource name (older list form)
            rname = ref.group(1).split(".", 1)[1] if ref and ref.group(1).startswith("resources.") else raw
            res = self.w.resources.get(rname or "")
            if res is None or res.type != "volume":
                self.fail(loc + ("source",), "must name a volume resource: ${resources.<name>}")
                continue
            storage[rname] = {"mountPath": target, "size": res.params.get("size", "1Gi"),
                              "backup": bool(res.params.get("backup", False))}
        return storage

    def _variables(self, container: Container, cloc: Loc) -> tuple[dict[str, str], dict[str, Any]]:
        env: dict[str, str] = {}
        keys: dict[str, Any] = {}
        for var, value in container.variables.items():
            loc = cloc + ("variables", var)
            placeholders = PLACEHOLDER.findall(value)
            if not placeholders:
                env[var] = value
                continue
            if placeholders == ["metadata.name"]:
                env[var] = value.replace("${metadata.name}", self.name)
                continue
            match = PLACEHOLDER.fullmatch(value)
            parts = match.group(1).split(".") if match else []
            if len(parts) != 3 or parts[0] != "resources" or parts[1] not in self.w.resources:
                self.fail(loc, f"{value!r}: use a literal or exactly one ${{resources.<name>.<output>}}")
                continue
            rtype = self.w.resources[parts[1]].type
            output = parts[2]
            if var in DATABASE_ENV | RABBITMQ_ENV:
                continue  # the platform injects this variable from the same Secret already
            if rtype == "postgres" and output in POSTGRES_OUTPUTS:
                keys[var] = {"secret": f"{self.name}-db-app", "key": POSTGRES_OUTPUTS[output]}
            elif rtype == "amqp" and output in AMQP_OUTPUTS:
                keys[var] = {"secret": f"{self.name}-mq-default-user", "key": AMQP_OUTPUTS[output]}
            elif rtype == "dns" and output == "host":
                env[var] = str(self.w.resources[parts[1]].params.get("host", ""))
            else:
                self.fail(loc, f"{rtype} resource {parts[1]!r} has no output {output!r}")
        return env, keys
