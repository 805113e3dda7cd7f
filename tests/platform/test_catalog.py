"""The platform service catalog: complete, ordered, and in step with the platform config model.

What used to be kept by hand (namespaces, the bootstrap set, the Argo CD-delivered checks) is
derived from the catalog, so these tests guard the catalog itself: a component that is not in it,
a config field without a service, or a service listed before a service it needs.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pulumi
import pytest

import components.platform as platform_package
from components.platform.catalog import BOOTSTRAP, CATALOG, INGRESS_SERVICES, PLATFORM_NAMESPACES
from components.platform.chart import PlatformChart
from components.platform.service import PlatformService
from stacks.config import PlatformConfig

DELIVERY_ONLY = {PlatformChart}
"""Components that deliver a service rather than being one."""


def _platform_components() -> set[type]:
    found = set()
    for module_info in pkgutil.iter_modules(platform_package.__path__):
        module = importlib.import_module(f"components.platform.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, pulumi.ComponentResource) and cls is not PlatformService:
                found.add(cls)
    return found


def test_every_platform_component_is_a_catalog_service():
    missing = {cls.__name__ for cls in _platform_components() - DELIVERY_ONLY - set(CATALOG)}
    assert not missing, f"platform components not in components/platform/catalog.py: {sorted(missing)}"
    assert all(issubclass(service, PlatformService) for service in CATALOG)


def test_the_test_would_see_a_component_outside_the_catalog():
    # The scan finds real components: every catalog service and the delivery component.
    assert _platform_components() == set(CATALOG) | DELIVERY_ONLY


def test_each_catalog_service_has_its_config_field_of_its_args_type():
    fields = PlatformConfig.model_fields
    assert {s.key for s in CATALOG} == set(fields), "every catalog service has one config field, and no other field exists"
    for service in CATALOG:
        assert fields[service.key].annotation is service.args_type, service.key
        assert service.__init__.__qualname__.startswith(service.__name__), f"{service.key} does not define its constructor"


@pytest.mark.parametrize("index", range(len(CATALOG)), ids=[s.key for s in CATALOG])
def test_a_service_comes_after_every_service_it_can_need(index):
    service = CATALOG[index]
    earlier = {s.key for s in CATALOG[:index]}
    args = service.args_type.model_validate({"addresses": ["10.0.0.1-10.0.0.2"]} if service.key == "metallb" else {})
    needs = set(service.requires(args)) | set(service.needs) | ({"cert_manager", "traefik"} if service.ingress else set())
    assert needs <= earlier, f"{service.key} needs {sorted(needs - earlier)}, listed after it"


def test_keys_names_and_namespaces_are_unique():
    keys = [s.key for s in CATALOG]
    assert len(set(keys)) == len(keys)
    namespaces = [s.namespace for s in CATALOG if s.namespace]
    assert len(set(namespaces)) == len(namespaces)
    releases = [s.release for s in CATALOG if s.release]
    assert len(set(releases)) == len(releases)


def test_derived_sets_follow_the_design():
    # The design's bootstrap set (Longhorn joins when it is written): Argo CD needs them first.
    assert set(BOOTSTRAP) == {"metallb", "cert_manager", "traefik", "argocd", "vault", "external_secrets"}
    assert set(INGRESS_SERVICES) == {"argocd", "argo_rollouts", "harbor", "vault"}
    for service in CATALOG:
        if service.namespace:
            assert service.namespace in PLATFORM_NAMESPACES
    assert {"kube-system", "default"} & set(PLATFORM_NAMESPACES) == {"kube-system"}


def test_provides_entries_are_kinds_or_named_objects():
    for service in CATALOG:
        for entry in service.provides:
            kind_or_group, _, name = entry.partition("/")
            assert name, f"{service.key}: {entry!r} is not <group>/<Kind> or <kind>/<name>"
            if "." in kind_or_group:
                assert name[0].isupper(), f"{service.key}: custom-resource kind {entry!r} must be <group>/<Kind>"
            else:
                assert kind_or_group.islower(), f"{service.key}: named object {entry!r} must be <kind>/<name>"
