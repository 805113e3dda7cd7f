"""The base chart bootstraps a database from a backup by one value (`database.recoverFrom`)."""

from __future__ import annotations

from tests.golden_path.conftest import CHART

PLUGIN = "barman-cloud.cloudnative-pg.io"


def _cluster(objects: list[dict]) -> dict:
    [cluster] = [o for o in objects if o["kind"] == "Cluster"]
    return cluster


def test_recover_from_bootstraps_from_the_object_store(helm_template, schemas):
    objects = helm_template(CHART / "ci" / "restore-values.yaml", release="orders")
    assert schemas.validate_all(objects) == []
    spec = _cluster(objects)["spec"]
    assert "initdb" not in spec["bootstrap"]
    assert spec["bootstrap"]["recovery"] == {"source": "orders-db", "database": "app", "owner": "app"}
    assert spec["externalClusters"] == [
        {"name": "orders-db", "plugin": {"name": PLUGIN, "parameters": {"barmanObjectName": "backups", "serverName": "orders-db"}}}
    ]
    # The restored cluster archives to a folder of its own, never over the backups it came from.
    [archiver] = spec["plugins"]
    assert archiver["isWALArchiver"] is True
    assert archiver["parameters"] == {"barmanObjectName": "backups", "serverName": "orders-db-from-orders-db"}


def test_without_recover_from_the_database_starts_empty(helm_template):
    objects = helm_template(CHART / "ci" / "full-values.yaml", release="orders")
    spec = _cluster(objects)["spec"]
    assert set(spec["bootstrap"]) == {"initdb"} and "externalClusters" not in spec
    assert "serverName" not in spec["plugins"][0]["parameters"]


def test_recover_from_without_an_object_store_fails_naming_the_keys(helm_fails, tmp_path):
    import yaml

    values = yaml.safe_load((CHART / "ci" / "restore-values.yaml").read_text())
    values["database"]["backup"]["objectStore"] = ""
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    assert "database.recoverFrom needs database.backup.objectStore" in helm_fails(path)
