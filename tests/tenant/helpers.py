"""Small readers over a projects-layer render: a project's resources, inputs, HCL paths."""

from __future__ import annotations

import re
from typing import Any

from idpctl.runtime import LayerResult, Registration, mask


def ancestry(result: LayerResult, reg: Registration) -> list[Registration]:
    by_urn = {r.urn: r for r in result.resources}
    chain, parent = [], reg.parent
    while parent in by_urn:
        chain.append(by_urn[parent])
        parent = by_urn[parent].parent
    return chain


def project_of(result: LayerResult, reg: Registration) -> str | None:
    """Name of the TenantProject a resource belongs to (by parent chain), or None."""
    for node in [reg, *ancestry(result, reg)]:
        if node.type == "idp:tenant:Project":
            return node.name
    return None


def of_project(result: LayerResult, project: str, type_token: str | None = None) -> list[Registration]:
    return [
        r for r in result.resources
        if project_of(result, r) == project and (type_token is None or r.type == type_token)
    ]


def inputs(reg: Registration) -> dict[str, Any]:
    return mask(reg.inputs)


def hcl_paths(policy: str) -> dict[str, list[str]]:
    """`path "<p>" { capabilities = [...] }` blocks of a Vault policy: path -> capabilities."""
    blocks = re.findall(r'path\s+"([^"]+)"\s*\{\s*capabilities\s*=\s*\[([^\]]*)\]\s*\}', policy)
    return {path: re.findall(r'"([^"]+)"', caps) for path, caps in blocks}


def kube(reg: Registration) -> dict[str, Any]:
    """A Kubernetes resource's object (apiVersion, kind, metadata, spec...)."""
    return {k: v for k, v in inputs(reg).items() if not k.startswith("__")}
