"""The restore runbooks' manifests are valid against the upstream schemas, and the commands they
give refer to what this repository really creates (stack outputs, object names, S3 paths)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
RUNBOOKS = {name: REPO / "docs" / "runbooks" / f"{name}.md" for name in ("longhorn-restore", "cnpg-restore", "etcd-recovery")}


def yaml_blocks(path: Path) -> list[dict]:
    docs = []
    for block in re.findall(r"```yaml\n(.*?)```", path.read_text(), flags=re.S):
        docs += [d for d in yaml.safe_load_all(block) if isinstance(d, dict)]
    return docs


@pytest.mark.parametrize("name", sorted(RUNBOOKS))
def test_runbook_manifests_are_schema_valid(name, schemas):
    objects = [d for d in yaml_blocks(RUNBOOKS[name]) if "apiVersion" in d]
    if name != "etcd-recovery":
        assert objects, "the runbook shows the manifests it applies"
    assert schemas.validate_all(objects) == []


def test_runbooks_name_the_real_stack_outputs_and_objects(lab_config):
    from tests.platform.helpers import render_platform

    platform = render_platform(lab_config)
    exports = set(platform.exports)
    text = "\n".join(p.read_text() for p in RUNBOOKS.values())
    for output in re.findall(r"pulumi stack output (\w+)", text):
        if "--stack $ENV-platform" in text and output not in ("kubeconfig", "talosconfig"):
            assert output in exports, f"{output} is not a platform stack output"
    assert "longhornUiPassword" in exports and "etcdBackupLocation" in exports
    # The S3 layout the runbooks list is the one the components write.
    assert "s3://idp-lab-backups/etcd/idp-lab/" in text and "s3://idp-lab-backups/cnpg/$NS/$DB" in text
    from idpctl.runtime import unwrap

    assert unwrap(platform.exports["etcdBackupLocation"]) == "s3://idp-lab-backups/etcd/idp-lab/"


def test_cnpg_runbook_uses_the_chart_value_and_ci_file():
    text = RUNBOOKS["cnpg-restore"].read_text()
    values = yaml.safe_load((REPO / "charts" / "platform-app" / "ci" / "restore-values.yaml").read_text())
    assert f"recoverFrom: {values['database']['recoverFrom']}" in text
    assert "charts/platform-app/ci/restore-values.yaml" in text
