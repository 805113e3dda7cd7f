"""Which capabilities a set of Vault policies grants on a path, by Vault's documented ACL rules.

No Vault server runs offline, so the end-to-end test evaluates the rendered policies with the
rules of https://developer.hashicorp.com/vault/docs/concepts/policies#priority-matching:
- a rule path is exact, or ends in `*` (prefix glob), and `+` stands for exactly one segment;
- rules of all the token's policies on the same path are merged; among matching paths the most
  specific one decides (first wildcard later wins; ending in `*` loses to not; fewer `+` wins;
  longer wins; lexicographically larger wins);
- `deny` on the deciding path removes every capability.
Policies are read from HCL (`path "<p>" { capabilities = [...] }`) or JSON documents.
"""

from __future__ import annotations

import json
import re

_HCL_BLOCK = re.compile(r'path\s+"([^"]+)"\s*\{(.*?)\n\}', re.DOTALL)


def parse(policy: str) -> dict[str, set[str]]:
    text = policy.strip()
    if text.startswith("{"):
        return {p: set(rule.get("capabilities", [])) for p, rule in json.loads(text)["path"].items()}
    rules: dict[str, set[str]] = {}
    for path, body in _HCL_BLOCK.findall(policy):
        caps = re.search(r"capabilities\s*=\s*\[([^\]]*)\]", body)
        rules.setdefault(path, set()).update(re.findall(r'"([^"]+)"', caps.group(1)) if caps else [])
    return rules


def _matches(rule: str, path: str) -> bool:
    glob = rule.endswith("*")
    body = rule[:-1] if glob else rule
    pattern = "".join("[^/]+" if part == "+" else re.escape(part) for part in re.split(r"(\+)", body))
    return re.fullmatch(pattern + (".*" if glob else ""), path, flags=re.DOTALL) is not None


def _priority(rule: str) -> tuple:
    wildcards = [i for i, c in enumerate(rule) if c in "+*"]
    first = wildcards[0] if wildcards else len(rule) + 1
    return (first, not rule.endswith("*"), -rule.count("+"), len(rule), rule)


def capabilities(policies: list[str], path: str) -> set[str]:
    merged: dict[str, set[str]] = {}
    for policy in policies:
        for rule, caps in parse(policy).items():
            merged.setdefault(rule, set()).update(caps)
    matching = [rule for rule in merged if _matches(rule, path)]
    if not matching:
        return set()
    caps = merged[max(matching, key=_priority)]
    return set() if "deny" in caps else caps


def allows(policies: list[str], path: str, capability: str) -> bool:
    return capability in capabilities(policies, path)
