"""The platform's rendered Kyverno policies run by the real Kyverno CLI over rendered pods.

Shared by the end-to-end and the data-images tests: the policies are made to trust the test's
loopback registry and key (as the platform stack points them at Harbor and the Transit key), and
`kyverno apply` evaluates them with the namespace's labels, as admission would.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml


def trust_loopback(policy: dict, public_pem: str) -> dict:
    """`policy` verifying signatures with `public_pem`, anonymously (the loopback registry needs no credential)."""
    for rule in policy["spec"]["rules"]:
        for verify in rule.get("verifyImages") or []:
            verify.pop("imageRegistryCredentials", None)
            for attestor in verify.get("attestors", []):
                for entry in attestor["entries"]:
                    entry["keys"]["publicKeys"] = public_pem
    return policy


def kyverno_apply(kyverno: str, tmp: Path, policies: list[dict], namespace: dict, resources: list[dict]) -> tuple[dict[str, int], str]:
    """(pass/fail/warn/error/skip counts, CLI output) of `kyverno apply` over `namespace` and `resources`."""
    (tmp / "policies.yaml").write_text(yaml.safe_dump_all(policies))
    (tmp / "resources.yaml").write_text(yaml.safe_dump_all([namespace, *resources]))
    (tmp / "values.yaml").write_text(yaml.safe_dump({
        "apiVersion": "cli.kyverno.io/v1alpha1", "kind": "Value", "metadata": {"name": "namespaces"},
        "namespaceSelector": [{"name": namespace["metadata"]["name"], "labels": namespace["metadata"]["labels"]}],
    }))
    proc = subprocess.run(
        [kyverno, "apply", str(tmp / "policies.yaml"), "--resource", str(tmp / "resources.yaml"),
         "--values-file", str(tmp / "values.yaml"), "--remove-color"],
        capture_output=True, text=True, timeout=300,
    )
    output = proc.stdout + proc.stderr
    counts = re.search(r"pass: (\d+), fail: (\d+), warn: (\d+), error: (\d+), skip: (\d+)", output)
    assert counts, output
    return dict(zip(("pass", "fail", "warn", "error", "skip"), map(int, counts.groups()))), output
