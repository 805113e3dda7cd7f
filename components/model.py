"""Shared building blocks for the typed models that components take and stacks validate.

Every component's `XArgs` derives from `Model`, so the environment file is checked by the very
models the components receive: camelCase keys in YAML, snake_case attributes in Python, unknown
keys rejected, values frozen once validated.

Cross-field checks raise `path_errors(...)`: a pydantic error that carries sub-paths, so the
flattened message names the exact key (`idp:vms.nodes[3].ip: ...`) rather than the model that
holds it.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Iterable

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

PATH_ERROR = "idp_path"


class Model(BaseModel):
    """Base of every config and component-args model: strict keys, frozen, camelCase in YAML."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        validate_default=True,
    )


def path_errors(errors: Iterable[tuple[str, str]]) -> PydanticCustomError:
    """An error for several (sub-path, message) pairs found by one cross-field check.

    A sub-path is relative to the model being validated, written in YAML keys: `nodes[2].ip`.
    """
    pairs = list(errors)
    return PydanticCustomError(
        PATH_ERROR,
        "{summary}",
        {"summary": "; ".join(f"{p}: {m}" for p, m in pairs), "errors": pairs},
    )


def raise_path_errors(errors: list[tuple[str, str]]) -> None:
    if errors:
        raise path_errors(errors)


_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
)


def _k8s_name(value: str) -> str:
    if len(value) > 63 or not _DNS1123_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a DNS-1123 label (lower-case letters, digits and '-', "
            "starting and ending with a letter or digit, at most 63 characters)"
        )
    return value


def _fqdn(value: str) -> str:
    if len(value) > 253 or not _DNS1123_SUBDOMAIN.match(value):
        raise ValueError(f"{value!r} is not a valid DNS name (lower-case, dot-separated DNS-1123 labels)")
    return value


def _semver(value: str) -> str:
    if not _SEMVER.match(value):
        raise ValueError(f"{value!r} is not a semantic version such as 1.2.3 or v1.2.3")
    return value


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a network in CIDR form such as 10.0.0.0/24 ({exc})") from None


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address") from None


def _ip_range(value: str) -> str:
    """A MetalLB-style address block: CIDR or 'first-last'."""
    if "-" in value:
        first, _, last = value.partition("-")
        a, b = _ip(first.strip()), _ip(last.strip())
        if ipaddress.ip_address(a) > ipaddress.ip_address(b):
            raise ValueError(f"{value!r}: the first address is after the last")
        return f"{a}-{b}"
    return _cidr(value)


K8sName = Annotated[str, AfterValidator(_k8s_name)]
"""A DNS-1123 label: namespace, node and project names."""
Fqdn = Annotated[str, AfterValidator(_fqdn)]
Semver = Annotated[str, AfterValidator(_semver)]
Cidr = Annotated[str, AfterValidator(_cidr)]
IpAddress = Annotated[str, AfterValidator(_ip)]
IpRange = Annotated[str, AfterValidator(_ip_range)]
Port = Annotated[int, Field(ge=1, le=65535)]

_QUANTITY = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?\d+))?$")


def _quantity(value: str) -> str:
    if not _QUANTITY.match(value):
        raise ValueError(f"{value!r} is not a Kubernetes quantity such as 500m, 2, 512Mi or 10Gi")
    return value


Quantity = Annotated[str, AfterValidator(_quantity)]
"""A Kubernetes resource quantity (`500m`, `2`, `512Mi`)."""


def range_addresses(block: str) -> tuple[ipaddress.IPv4Address, ipaddress.IPv4Address]:
    """First and last address of a CIDR or 'a-b' block (both ends included)."""
    if "-" in block:
        first, _, last = block.partition("-")
        return ipaddress.ip_address(first), ipaddress.ip_address(last)  # type: ignore[return-value]
    net = ipaddress.ip_network(block)
    return net.network_address, net.broadcast_address  # type: ignore[return-value]


class Resources(Model):
    """CPU/memory requests and limits for a workload; every platform workload sets them."""

    requests_cpu: Quantity = "100m"
    requests_memory: Quantity = "128Mi"
    limits_cpu: Quantity | None = None
    limits_memory: Quantity = "512Mi"

    def to_k8s(self) -> dict:
        limits = {"memory": self.limits_memory}
        if self.limits_cpu:
            limits["cpu"] = self.limits_cpu
        return {"requests": {"cpu": self.requests_cpu, "memory": self.requests_memory}, "limits": limits}
