"""Shared building blocks for the typed models that components take and stacks validate.

Every component's `XArgs` derives from `Model`, so the environment file is checked by the very
models the components receive: camelCase keys in YAML, snake_case attributes in Python, unknown
keys rejected, values frozen once validated.

Cross-field checks raise `path_errors(...)`: a pydantic error that carries sub-paths, so the
flattened message names the exact key (`idp:vms.nodes[3].ip: ...`) rather than the model that
holds it.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import re
import zoneinfo
from decimal import Decimal
from typing import Annotated, Iterable
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, PlainValidator, WithJsonSchema, model_validator
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
_SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
)


def _text(value: object, what: str) -> str:
    """Values that must be text; YAML turns `on`, `1.10` or `2024-01-01` into other types."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not {what} (write it as text, quoted if YAML reads it as a number or date)")
    return value


def _k8s_name(value: str) -> str:
    if len(value) > 63 or not _DNS1123_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a DNS-1123 label (lower-case letters, digits and '-', "
            "starting and ending with a letter or digit, at most 63 characters)"
        )
    return value


def _fqdn(value: str) -> str:
    labels = value.split(".")
    if len(value) > 253 or not all(_DNS1123_LABEL.match(label) for label in labels):
        raise ValueError(f"{value!r} is not a valid DNS name (lower-case, dot-separated DNS-1123 labels)")
    long = [label for label in labels if len(label) > 63]
    if long:
        raise ValueError(f"{value!r}: the label {long[0][:20]}... is {len(long[0])} characters; DNS allows at most 63")
    return value


def _semver(value: str) -> str:
    if not _SEMVER.match(value):
        raise ValueError(f"{value!r} is not a semantic version such as 1.2.3 or v1.2.3")
    return value


# ---- addresses: the platform's networks are IPv4 only -----------------------------------------


def _ipv4(value: object) -> ipaddress.IPv4Address:
    if isinstance(value, ipaddress.IPv4Address):
        return value
    text = _text(value, "an IPv4 address such as 192.168.10.11")
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an IPv4 address such as 192.168.10.11") from None
    if not isinstance(address, ipaddress.IPv4Address):
        raise ValueError(f"{text} is an IPv6 address; the platform's networks are IPv4 only (families cannot be mixed)")
    return address


def _ipv4_network(value: object) -> ipaddress.IPv4Network:
    if isinstance(value, ipaddress.IPv4Network):
        return value
    text = _text(value, "a network in CIDR form such as 10.0.0.0/24")
    if "/" not in text:
        raise ValueError(f"{text!r} is not a network in CIDR form such as 10.0.0.0/24 (the /prefix is missing)")
    try:
        network = ipaddress.ip_network(text.strip(), strict=True)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a network in CIDR form such as 10.0.0.0/24 ({exc})") from None
    if not isinstance(network, ipaddress.IPv4Network):
        raise ValueError(f"{text} is an IPv6 network; the platform's networks are IPv4 only (families cannot be mixed)")
    return network


Ipv4Address = Annotated[
    ipaddress.IPv4Address,
    PlainValidator(_ipv4),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "format": "ipv4"}),
]
"""An IPv4 address, typed: compare and test membership without parsing again; `str()` at the
edges (Pulumi inputs, YAML documents)."""
Ipv4Network = Annotated[
    ipaddress.IPv4Network,
    PlainValidator(_ipv4_network),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "format": "ipv4-network"}),
]
"""An IPv4 network in CIDR form with no host bits set (`192.168.10.0/24`)."""


class AddressRange(str):
    """A MetalLB address block as written (`10.0.0.0/29` or `10.0.0.10-10.0.0.20`), which is
    also text for the chart, with its first and last addresses (both included) already parsed."""

    first: ipaddress.IPv4Address
    last: ipaddress.IPv4Address

    def __new__(cls, text: str, first: ipaddress.IPv4Address, last: ipaddress.IPv4Address) -> "AddressRange":
        block = super().__new__(cls, text)
        block.first, block.last = first, last
        return block

    def __contains__(self, address: object) -> bool:  # type: ignore[override]
        return isinstance(address, ipaddress.IPv4Address) and self.first <= address <= self.last

    def overlaps(self, other: "AddressRange") -> bool:
        return self.first <= other.last and other.first <= self.last


def _ip_range(value: object) -> AddressRange:
    """A MetalLB-style address block: CIDR or 'first-last'."""
    text = _text(value, "an address block such as 10.0.0.0/29 or 10.0.0.10-10.0.0.20")
    if "-" in text:
        first_text, _, last_text = text.partition("-")
        first, last = _ipv4(first_text.strip()), _ipv4(last_text.strip())
        if first > last:
            raise ValueError(f"{text!r}: the first address is after the last")
        return AddressRange(f"{first}-{last}", first, last)
    network = _ipv4_network(text)
    return AddressRange(str(network), network.network_address, network.broadcast_address)


K8sName = Annotated[str, AfterValidator(_k8s_name)]
"""A DNS-1123 label: namespace, node and project names."""
Fqdn = Annotated[str, AfterValidator(_fqdn)]
"""A DNS name: lower-case labels of at most 63 characters, 253 in all."""
Semver = Annotated[str, AfterValidator(_semver)]
Cidr = Annotated[str, AfterValidator(lambda v: str(_ipv4_network(v)))]
"""An IPv4 network as text (prefer `Ipv4Network` for new fields)."""
IpAddress = Annotated[str, AfterValidator(lambda v: str(_ipv4(v)))]
"""An IPv4 address as text (prefer `Ipv4Address` for new fields)."""
IpRange = Annotated[AddressRange, PlainValidator(_ip_range), WithJsonSchema({"type": "string"})]
"""A MetalLB address block; text for the chart, with `.first`, `.last` and `in` for checks."""
Port = Annotated[int, Field(ge=1, le=65535)]
Replicas = Annotated[int, Field(ge=1, le=20)]
"""Pods of one workload; more than 20 on this platform is a typo."""


def range_addresses(block: str) -> tuple[ipaddress.IPv4Address, ipaddress.IPv4Address]:
    """First and last address of a CIDR or 'a-b' block (both ends included)."""
    if isinstance(block, AddressRange):
        return block.first, block.last
    parsed = _ip_range(block)
    return parsed.first, parsed.last


# ---- quantities -------------------------------------------------------------------------------

_QUANTITY = re.compile(r"^(?P<number>\d+(\.\d*)?|\.\d+)(?P<suffix>[KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$")
_SUFFIX = {
    "": Decimal(1), "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"),
    "k": Decimal(10) ** 3, "M": Decimal(10) ** 6, "G": Decimal(10) ** 9, "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15, "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20, "Gi": Decimal(2) ** 30, "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50, "Ei": Decimal(2) ** 60,
}


def quantity_value(value: str) -> Decimal:
    """A Kubernetes quantity as a number (`500m` -> 0.5, `1Gi` -> 1073741824)."""
    match = _QUANTITY.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a Kubernetes quantity such as 500m, 2, 512Mi or 10Gi")
    suffix = match["suffix"] or ""
    if suffix[:1] in ("e", "E"):
        return Decimal(match["number"]) * Decimal(10) ** int(suffix[1:])
    return Decimal(match["number"]) * _SUFFIX[suffix]


def _quantity(value: object) -> str:
    """Text of a non-negative quantity; a bare YAML number (`cpu: 2`) is taken as written."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = _text(value, "a Kubernetes quantity such as 500m, 2, 512Mi or 10Gi")
    quantity_value(text)
    return text


def _positive(text: str) -> str:
    if quantity_value(text) <= 0:
        raise ValueError(f"{text!r} must be more than zero")
    return text


Quantity = Annotated[str, BeforeValidator(_quantity)]
"""A Kubernetes resource quantity, zero or more (`0`, `500m`, `2`, `512Mi`)."""
PositiveQuantity = Annotated[str, BeforeValidator(_quantity), AfterValidator(_positive)]
"""A quantity above zero: what a container requests or is limited to."""


def not_above(pairs: Iterable[tuple[str, str, str, str]]) -> list[tuple[str, str]]:
    """(path, message) for each (low key, low quantity, high key, high quantity) where low > high."""
    return [
        (low_key, f"{low} is above {high_key} {high}")
        for low_key, low, high_key, high in pairs
        if quantity_value(low) > quantity_value(high)
    ]


# ---- time -------------------------------------------------------------------------------------

_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def duration_seconds(value: str) -> float:
    """A Go duration (`1h30m`, `500ms`) in seconds."""
    if not _DURATION.match(value):
        raise ValueError(f"{value!r} is not a duration such as 30s, 5m or 1h30m")
    return sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(value))


def _duration(value: object) -> str:
    text = _text(value, "a duration such as 30s, 5m or 1h30m")
    seconds = duration_seconds(text)
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    if seconds > 366 * 24 * 3600:
        raise ValueError(f"{text!r} is longer than a year; write it in hours if that is really meant")
    return text


Duration = Annotated[str, AfterValidator(_duration), WithJsonSchema({"type": "string", "pattern": _DURATION.pattern})]
"""A positive Go/Kubernetes duration of at most a year (`30s`, `5m`, `1h30m`, `720h`)."""
Hours = Annotated[str, Field(pattern=r"^\d+h$"), AfterValidator(_duration)]
"""A duration in whole hours (`720h`), as the Talos provider's renewal settings and Vault token TTLs take it."""

_CRON_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}),
    ("day of week", 0, 7, {d: i for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split())}),
)
_CRON_SECONDS: tuple[str, int, int, dict[str, int]] = ("second", 0, 59, {})
_CRON_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


def _cron_field(text: str, name: str, low: int, high: int, names: dict[str, int]) -> str | None:
    """None when the field is valid, else what is wrong with it."""
    for part in text.split(","):
        body, _, step = part.partition("/")
        if step and (not step.isdigit() or not 1 <= int(step) <= high):
            return f"step {step!r} of the {name} field must be 1-{high}"
        if body in ("*", "?"):
            if body == "?" and name not in ("day of month", "day of week"):
                return f"'?' is allowed only in the day fields, not in the {name} field"
            continue
        ends = body.split("-")
        if len(ends) > 2 or not all(ends):
            return f"{part!r} is not a value, range or step of the {name} field"
        values = []
        for end in ends:
            number = names.get(end.upper()) if not end.isdigit() else int(end)
            if number is None or not low <= number <= high:
                return f"{end!r} is outside the {name} field ({low}-{high})"
            values.append(number)
        if len(values) == 2 and values[0] > values[1]:
            return f"the range {body!r} of the {name} field runs backwards"
    return None


def _cron(value: object, seconds: bool) -> str:
    text = _text(value, "a cron expression such as '0 1 * * *'").strip()
    if not seconds and text in _CRON_MACROS:
        return text
    fields = text.split()
    spec = ((_CRON_SECONDS,) if seconds else ()) + _CRON_FIELDS
    if len(fields) != len(spec):
        example = "'0 0 3 * * *' (second minute hour day month weekday)" if seconds else "'0 1 * * *' (minute hour day month weekday)"
        raise ValueError(f"{text!r} has {len(fields)} fields; expected {len(spec)}, such as {example}")
    for field_text, (name, low, high, names) in zip(fields, spec):
        problem = _cron_field(field_text, name, low, high, names)
        if problem:
            raise ValueError(f"{text!r}: {problem}")
    return text


Cron = Annotated[str, AfterValidator(lambda v: _cron(v, seconds=False)), WithJsonSchema({"type": "string", "pattern": r"^(@\w+|(\S+\s+){4}\S+)$"})]
"""A five-field cron schedule (Kubernetes CronJob): minute hour day-of-month month day-of-week."""
Cron6 = Annotated[str, AfterValidator(lambda v: _cron(v, seconds=True)), WithJsonSchema({"type": "string", "pattern": r"^(\S+\s+){5}\S+$"})]
"""A six-field cron schedule with seconds first (Harbor, CloudNativePG backups)."""


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _time_zone(value: object) -> str:
    text = _text(value, "an IANA time zone such as UTC or Europe/Zurich")
    zones = _time_zones()
    if zones and text not in zones:
        close = difflib.get_close_matches(text, sorted(zones), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"{text!r} is not an IANA time zone such as UTC or Europe/Zurich{hint}")
    return text


TimeZone = Annotated[str, AfterValidator(_time_zone)]
"""An IANA time zone name (`UTC`, `Europe/Zurich`), as CronJob `timeZone` takes it."""


# ---- URLs -------------------------------------------------------------------------------------


def _url(value: object, schemes: tuple[str, ...]) -> str:
    text = _text(value, f"a URL such as {schemes[0]}://host.example.internal/")
    if any(c.isspace() for c in text):
        raise ValueError(f"{text!r} contains white space")
    parts = urlsplit(text)
    if parts.scheme not in schemes:
        raise ValueError(f"{text!r} must start with {' or '.join(s + '://' for s in schemes)}")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValueError(f"{parts.scheme}://...@{parts.hostname}: credentials must not be written in a URL; they belong in a secret")
    host = parts.hostname or ""
    try:
        _ipv4(host)
    except ValueError:
        try:
            _fqdn(host)
        except ValueError:
            raise ValueError(f"{text!r}: {host!r} is not a DNS name or IPv4 address") from None
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{text!r}: the port must be a number from 1 to 65535") from None
    if port == 0:
        raise ValueError(f"{text!r}: the port must be a number from 1 to 65535")
    return text


HttpsUrl = Annotated[str, AfterValidator(lambda v: _url(v, ("https",)))]
"""An https URL: DNS name or IPv4 host, optional port 1-65535, no embedded credentials."""
HttpUrl = Annotated[str, AfterValidator(lambda v: _url(v, ("https", "http")))]
"""An http or https URL, otherwise as `HttpsUrl`."""


class Resources(Model):
    """CPU/memory requests and limits for a workload; every platform workload sets them."""

    requests_cpu: PositiveQuantity = "100m"
    requests_memory: PositiveQuantity = "128Mi"
    limits_cpu: PositiveQuantity | None = None
    limits_memory: PositiveQuantity = "512Mi"

    @model_validator(mode="after")
    def _requests_within_limits(self) -> "Resources":
        pairs = [("Memory", self.requests_memory, self.limits_memory)]
        if self.limits_cpu is not None:
            pairs.append(("Cpu", self.requests_cpu, self.limits_cpu))
        raise_path_errors(
            [
                (f"requests{kind}", f"{request} is above limits{kind} {limit}; a request can never exceed its limit")
                for kind, request, limit in pairs
                if quantity_value(request) > quantity_value(limit)
            ]
        )
        return self

    def to_k8s(self) -> dict:
        limits = {"memory": self.limits_memory}
        if self.limits_cpu:
            limits["cpu"] = self.limits_cpu
        return {"requests": {"cpu": self.requests_cpu, "memory": self.requests_memory}, "limits": limits}
