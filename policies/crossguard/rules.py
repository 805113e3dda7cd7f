"""The platform's CrossGuard rules, one validator per rule.

The same policy objects serve three callers: the policy pack (`__main__.py`) under the real
engine, `idpctl render` (which scans what a render declares), and the tests (`check(...)`). Each
violation message says how to fix the resource.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Mapping

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet", "Pod"}
STATEFUL_TYPES = {"talos:machine/secrets:Secrets"}


def _k8s_kind(args: ResourceValidationArgs) -> str | None:
    if not args.resource_type.startswith("kubernetes:"):
        return None
    return args.props.get("kind") or args.resource_type.rsplit(":", 1)[-1]


def _pod_spec(kind: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = props.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return ((spec.get("template") or {}).get("spec")) or {}


def _containers(kind: str, props: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    pod = _pod_spec(kind, props)
    return [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]


def helm_chart_version_pinned(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != "kubernetes:helm.sh/v3:Release":
        return
    version = str(args.props.get("version") or "")
    if not EXACT_VERSION.match(version):
        report_violation(f"Helm release {args.name}: chart version {version or '(none)'} is not exact; pin it (e.g. 1.2.3).")


def argocd_revision_pinned(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if _k8s_kind(args) != "Application" or not str(args.props.get("apiVersion", "")).startswith("argoproj.io/"):
        return
    source = (args.props.get("spec") or {}).get("source") or {}
    revision = str(source.get("targetRevision") or "")
    if source.get("chart") and not EXACT_VERSION.match(revision):
        report_violation(f"Application {args.name}: chart {source.get('chart')} targetRevision {revision or '(none)'} must be an exact version.")


def workload_resources_set(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    kind = _k8s_kind(args)
    if kind not in WORKLOAD_KINDS:
        return
    for container in _containers(kind, args.props):
        resources = container.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
        missing = [f"requests.{r}" for r in ("cpu", "memory") if r not in requests]
        missing += ["limits.memory"] if "memory" not in limits else []
        if missing:
            report_violation(
                f"{kind} {args.name}: container {container.get('name')} lacks {', '.join(missing)}; set explicit CPU/memory requests and a memory limit."
            )


def images_pinned(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    kind = _k8s_kind(args)
    if kind not in WORKLOAD_KINDS:
        return
    for container in _containers(kind, args.props):
        image = str(container.get("image") or "")
        tag = image.rsplit("/", 1)[-1].partition(":")[2] if "@" not in image else "digest"
        if not tag or tag == "latest":
            report_violation(f"{kind} {args.name}: image {image or '(none)'} is not pinned; use an exact tag or a digest.")


def ingress_tls(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    kind = _k8s_kind(args)
    spec = args.props.get("spec") or {}
    if kind == "Ingress" and not spec.get("tls"):
        report_violation(f"Ingress {args.name}: no spec.tls; every ingress serves HTTPS with a certificate from the platform CA.")
    if kind == "IngressRoute" and str(args.props.get("apiVersion", "")).startswith("traefik.io/") and not spec.get("tls"):
        report_violation(f"IngressRoute {args.name}: no spec.tls; every route serves HTTPS with a certificate from the platform CA.")


def namespace_pod_security(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if _k8s_kind(args) != "Namespace":
        return
    labels = ((args.props.get("metadata") or {}).get("labels")) or {}
    if labels.get("pod-security.kubernetes.io/enforce") not in ("restricted", "baseline", "privileged"):
        report_violation(
            f"Namespace {args.name}: no pod-security.kubernetes.io/enforce label; choose restricted unless the service needs more."
        )


def stateful_resources_protected(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type in STATEFUL_TYPES and not args.opts.protect:
        report_violation(f"{args.resource_type} {args.name}: stateful and not protected; set protect (idp:global.protect).")


def _policy(name: str, description: str, validate: Callable) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(name=name, description=description, validate=validate)


POLICIES = [
    _policy("helm-chart-version-pinned", "Helm releases pin an exact chart version.", helm_chart_version_pinned),
    _policy("argocd-revision-pinned", "Argo CD Applications pin an exact chart version.", argocd_revision_pinned),
    _policy("workload-resources-set", "Every container has CPU/memory requests and a memory limit.", workload_resources_set),
    _policy("images-pinned", "Every container image has an exact tag or digest.", images_pinned),
    _policy("ingress-tls", "Every Ingress and IngressRoute serves TLS.", ingress_tls),
    _policy("namespace-pod-security", "Every namespace declares its Pod Security level.", namespace_pod_security),
    _policy("stateful-resources-protected", "Stateful resources are protected from deletion.", stateful_resources_protected),
]


def check(resource_type: str, props: Mapping[str, Any], name: str = "test", protect: bool = False) -> list[tuple[str, str]]:
    """Run every rule on one resource; (policy name, message) per violation."""
    violations: list[tuple[str, str]] = []
    opts = PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    args = ResourceValidationArgs(resource_type, props, f"urn:{name}", name, opts, None)
    for policy in POLICIES:
        policy.validate(args, lambda message, urn=None, p=policy.name: violations.append((p, message)))
    return violations
