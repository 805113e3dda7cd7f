"""Validation of emitted documents against the real upstream schemas.

Custom resources are checked against the CRDs in `../shared/schemas/crds` (or `$IDP_SCHEMA_DIR/crds`)
(the few kinds that set lacks are listed in `NO_PUBLISHED_SCHEMA` and reported as unchecked), core kinds with `kubernetes-validate` (strict), Talos patch documents against the Talos
machine-config JSON schema. CRD schemas are applied the way the API server's strict field
validation does: a field the schema does not declare is an error unless the schema preserves
unknown fields.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from pathlib import Path
from typing import Any, Iterable

import jsonschema
import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
REPO_ROOT = Path(__file__).resolve().parent.parent
KUBERNETES_VERSION = "1.35.0"
"""Kubernetes version core kinds are validated against (kubernetes-validate ships its schemas)."""


class SchemasMissing(RuntimeError):
    """The shared schema directory is absent; tests skip with this message."""


def schema_dir() -> Path:
    """`$IDP_SCHEMA_DIR`, else `../shared/schemas` beside the repository."""
    configured = os.environ.get("IDP_SCHEMA_DIR")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared" / "schemas"
    if not (path / "crds").is_dir():
        raise SchemasMissing(
            f"upstream schemas not found at {path} (set IDP_SCHEMA_DIR or provide ../shared/schemas)"
        )
    return path


def _strict(schema: Any) -> Any:
    """Apply the API server's strict field validation: undeclared fields are errors; nullable allows null."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items()}
    if out.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if "properties" in out and "additionalProperties" not in out and not out.get(
        "x-kubernetes-preserve-unknown-fields"
    ):
        out["additionalProperties"] = False
    if out.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
    return out


_METADATA_SCHEMA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "maxLength": 253, "pattern": r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"},
        "namespace": {"type": "string", "maxLength": 63, "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "finalizers": {"type": "array", "items": {"type": "string"}},
        "generateName": {"type": "string"},
        "ownerReferences": {"type": "array"},
    },
    "additionalProperties": False,
}


NO_PUBLISHED_SCHEMA: dict[tuple[str, str], str] = {
    ("barmancloud.cnpg.io/v1", "ObjectStore"): "the Barman Cloud plugin's CRD is not in the schema set",
    ("talos.dev/v1alpha1", "ServiceAccount"): "Talos serves this CRD from machined; it is not in the schema set",
}
"""Custom-resource kinds the platform declares whose upstream CRD the schema set does not carry yet.

They are not validated (the repository keeps no copies of upstream schemas); `unchecked` names them
so a render says what it could not check. Drop an entry once the schema set carries the CRD.
"""


class SchemaRegistry:
    """CRD schemas by (apiVersion, kind), loaded once from the shared schema directory."""

    def __init__(self, crds: dict[tuple[str, str], dict], talos_schema: dict | None):
        self._crds = crds
        self._talos = talos_schema

    @classmethod
    @functools.cache
    def load(cls) -> "SchemaRegistry":
        root = schema_dir()
        crds: dict[tuple[str, str], dict] = {}
        paths = sorted((root / "crds").rglob("*.y*ml"))
        for path in paths:
            with path.open() as fh:
                for doc in yaml.load_all(fh, Loader=_LOADER):
                    if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                        continue
                    spec = doc["spec"]
                    for version in spec["versions"]:
                        if not version.get("served", True):
                            continue
                        schema = (version.get("schema") or {}).get("openAPIV3Schema")
                        if schema is None:
                            continue
                        strict = _strict(schema)
                        props = strict.setdefault("properties", {})
                        props["metadata"] = _METADATA_SCHEMA
                        # The API server accepts these on every object, declared by the CRD or not.
                        props.setdefault("apiVersion", {"type": "string"})
                        props.setdefault("kind", {"type": "string"})
                        api_version = f"{spec['group']}/{version['name']}"
                        crds[(api_version, spec["names"]["kind"])] = strict
        talos_path = root / "talos" / "config.schema.json"
        talos = json.loads(talos_path.read_text()) if talos_path.exists() else None
        return cls(crds, talos)

    def knows(self, api_version: str, kind: str) -> bool:
        return (api_version, kind) in self._crds

    def unchecked(self, objs: Iterable[dict]) -> list[str]:
        """Objects of kinds without a published schema here, each with the reason."""
        return [
            f"{o.get('kind')}/{(o.get('metadata') or {}).get('name', '?')}: not schema-checked: "
            + NO_PUBLISHED_SCHEMA[(o.get("apiVersion", ""), o.get("kind", ""))]
            for o in objs
            if (o.get("apiVersion", ""), o.get("kind", "")) in NO_PUBLISHED_SCHEMA and not self.knows(o["apiVersion"], o["kind"])
        ]

    def validate(self, obj: dict) -> list[str]:
        """Errors of one Kubernetes object (empty when valid), each naming the field path."""
        api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
        name = (obj.get("metadata") or {}).get("name", "?")
        where = f"{kind}/{name}"
        schema = self._crds.get((api_version, kind))
        if schema is None and (api_version, kind) in NO_PUBLISHED_SCHEMA:
            return []
        if schema is not None:
            validator = jsonschema.Draft7Validator(schema)
            return [
                f"{where}: {'.'.join(str(p) for p in err.absolute_path) or '<root>'}: {err.message}"
                for err in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))
            ]
        if "." in api_version.split("/")[0] and "/" in api_version:
            if not api_version.startswith(_CORE_GROUP_SUFFIXES):
                return [f"{where}: no schema known for {api_version} {kind} (add its CRD to the shared schemas)"]
        return _validate_core(obj, where)

    def validate_all(self, objs: Iterable[dict]) -> list[str]:
        errors: list[str] = []
        for obj in objs:
            errors.extend(self.validate(obj))
        return errors

    def validate_talos(self, document: dict) -> list[str]:
        """Errors of one Talos machine-config (patch) document against the Talos JSON schema."""
        if self._talos is None:
            raise SchemasMissing("Talos machine-config schema talos/config.schema.json is absent")
        schema = dict(self._talos)
        schema.pop("oneOf", None)
        schema["$ref"] = f"#/$defs/{self._talos_def(document)}"
        validator = jsonschema.Draft202012Validator(schema)
        return [
            f"{'.'.join(str(p) for p in err.absolute_path) or '<root>'}: {err.message}"
            for err in validator.iter_errors(document)
        ]


    def _talos_def(self, document: dict) -> str:
        """The schema definition a document is checked against: v1alpha1.Config or its multi-doc kind."""
        kind = document.get("kind")
        if kind is None:
            return "v1alpha1.Config"
        assert self._talos is not None
        for name, definition in self._talos["$defs"].items():
            kinds = ((definition.get("properties") or {}).get("kind") or {}).get("enum") or []
            if kind in kinds:
                return name
        raise ValueError(f"unknown Talos document kind {kind!r}")


_CORE_GROUP_SUFFIXES = (
    "apps/", "batch/", "policy/", "autoscaling/", "networking.k8s.io/", "rbac.authorization.k8s.io/",
    "storage.k8s.io/", "scheduling.k8s.io/", "coordination.k8s.io/", "admissionregistration.k8s.io/",
    "apiextensions.k8s.io/", "certificates.k8s.io/", "discovery.k8s.io/", "node.k8s.io/",
)


def _validate_core(obj: dict, where: str) -> list[str]:
    import kubernetes_validate

    try:
        kubernetes_validate.validate(copy.deepcopy(obj), KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        path = ".".join(str(p) for p in exc.path) or "<root>"
        return [f"{where}: {path}: {exc.message}"]
    except kubernetes_validate.SchemaNotFoundError as exc:
        return [f"{where}: no schema for {obj.get('apiVersion')} {obj.get('kind')}: {exc}"]
    return []
