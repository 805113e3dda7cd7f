"""platform.yaml -> values of the `platform-app` base chart.

One chart serves every application (the seed's "double templating" lesson: no per-app charts),
so this module only writes values; everything Kubernetes-shaped lives in the chart's templates.
Keys the team did not choose are left out, so the chart's defaults (and its secure settings)
stay the single source of them.
"""

from __future__ import annotations

from typing import Any

from components.golden_path.environments import Env, derive_host
from components.golden_path.spec import CanaryStep, PlatformSpec, Probe
from components.model import Resources


def resources(res: Resources) -> dict[str, Any]:
    return res.to_k8s()


def _probe(probe: Probe) -> dict[str, Any]:
    return {
        "enabled": probe.enabled,
        "type": probe.type,
        "path": probe.path,
        "port": probe.port,
        "initialDelaySeconds": probe.initial_delay_seconds,
        "periodSeconds": probe.period_seconds,
        "timeoutSeconds": probe.timeout_seconds,
        "failureThreshold": probe.failure_threshold,
    }


def _canary_steps(steps: list[CanaryStep]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for step in steps:
        out.append({"setWeight": step.weight})
        if step.pause == "manual":
            out.append({"pause": {}})  # an empty pause waits for `kubectl argo rollouts promote`
        elif step.pause:
            out.append({"pause": {"duration": step.pause}})
    return out


def to_values(spec: PlatformSpec, env: Env, pr: int | None = None, domain: str = "") -> dict[str, Any]:
    """Chart values for one environment of the application (image tag and registry set later)."""
    overrides = getattr(spec.environments, env)
    values: dict[str, Any] = {
        "app": {"name": spec.name, "team": spec.team, "project": spec.project},
        "image": {"repository": spec.image.repository or f"{spec.project}/{spec.name}"},
        "replicas": overrides.replicas if overrides.replicas is not None else spec.replicas,
        "service": {"ports": _ports(spec)},
        "resources": resources(overrides.resources or spec.resources),
        "probes": {kind: _probe(getattr(spec.probes, kind)) for kind in ("liveness", "readiness", "startup")},
        "reloader": {"enabled": spec.reloader},
        "secrets": {
            "project": {"enabled": spec.secrets.project_secret},
            "extra": {name: {"name": name} for name in spec.secrets.extra},
        },
    }
    if spec.image.registry:
        values["image"]["registry"] = spec.image.registry
    if spec.command:
        values["command"] = list(spec.command)
    if spec.args:
        values["args"] = list(spec.args)
    env_vars = {**spec.env, **overrides.env}
    if env_vars:
        values["env"] = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in env_vars.items()}
    if spec.secrets.keys:
        values["secretEnv"] = {k: {"secretName": ref.secret, "key": ref.key} for k, ref in spec.secrets.keys.items()}
    values["strategy"] = _strategy(spec)
    scaling = overrides.autoscaling or spec.autoscaling
    if scaling:
        values["autoscaling"] = {
            "enabled": True,
            "minReplicas": scaling.min_replicas,
            "maxReplicas": scaling.max_replicas,
            "targetCPUUtilizationPercentage": scaling.cpu,
            "targetMemoryUtilizationPercentage": scaling.memory,
        }
    if spec.ingress:
        host = overrides.host or derive_host(spec.ingress.host, env, pr, name=spec.name, domain=domain)
        # Canary needs an IngressRoute: Rollouts moves weights through a TraefikService.
        kind = "IngressRoute" if spec.rollout.strategy == "canary" else "Ingress"
        values["ingress"] = {
            "enabled": True,
            "kind": kind,
            "host": host,
            "path": spec.ingress.path,
            "port": spec.ingress.port,
            "tls": {"enabled": spec.ingress.tls},
        }
    if spec.storage:
        values["persistence"] = {
            vol_id: {
                "type": "pvc",
                "size": vol.size,
                "mountPath": vol.mount_path,
                "accessMode": vol.access_mode,
                "backup": vol.backup,
            }
            for vol_id, vol in spec.storage.items()
        }
    if spec.has_database:
        db = spec.database
        assert db is not None
        values["database"] = {
            "enabled": True,
            "instances": db.instances,
            "name": db.name,
            "owner": db.name,
            "storage": {"size": db.size},
            "resources": resources(db.resources),
            "backup": {"enabled": db.backup, "schedule": db.backup_schedule},
        }
    if spec.has_rabbitmq:
        mq = spec.rabbitmq
        assert mq is not None
        values["rabbitmq"] = {"enabled": True, "replicas": mq.replicas, "storage": {"size": mq.size}}
    if spec.monitoring and spec.monitoring.enabled:
        mon = spec.monitoring
        values["monitoring"] = {
            "enabled": True,
            "port": mon.port,
            "path": mon.path,
            "interval": mon.interval,
            "rules": {
                name: {
                    "expr": rule.expr,
                    "for": rule.for_,
                    "severity": rule.severity,
                    "summary": rule.summary,
                    **({"description": rule.description} if rule.description else {}),
                }
                for name, rule in mon.alerts.items()
            },
        }
    return values


def _ports(spec: PlatformSpec) -> dict[str, Any]:
    ports: dict[str, Any] = {}
    for name, port in spec.ports.items():
        ports[name] = {"port": port.port, "protocol": port.protocol}
        if port.container_port:
            ports[name]["containerPort"] = port.container_port
    if "http" not in ports:
        ports["http"] = None  # drop the chart's default port (Helm deletes keys set to null)
    return ports


def _strategy(spec: PlatformSpec) -> dict[str, Any]:
    rollout = spec.rollout
    if rollout.strategy == "canary":
        return {"type": "canary", "canary": {"steps": _canary_steps(rollout.steps)}}
    if rollout.strategy == "blueGreen":
        return {"type": "blueGreen", "blueGreen": {"autoPromotion": rollout.auto_promotion}}
    return {"type": "rolling"}
