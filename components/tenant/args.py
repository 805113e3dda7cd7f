"""Typed arguments of a tenant project: one entry of `idp:projects` in the environment file."""

from __future__ import annotations

from pydantic import Field, model_validator

from components.model import K8sName, Model, raise_path_errors


class TenantProjectArgs(Model):
    """A team's project: its environments become namespaces `<project>-<env>`."""

    name: K8sName
    environments: list[K8sName] = Field(default_factory=lambda: ["staging", "production"], min_length=1)
    team_group: str | None = Field(None, description="AD group of the team; defaults to the project name")
    source_repos: list[str] = Field(default_factory=list, description="Git repositories Argo CD may deploy from")

    @property
    def group(self) -> str:
        return self.team_group or self.name

    @property
    def namespaces(self) -> list[str]:
        return [f"{self.name}-{env}" for env in self.environments]

    @model_validator(mode="after")
    def _namespace_names(self) -> "TenantProjectArgs":
        errors = []
        if len(set(self.environments)) != len(self.environments):
            errors.append(("environments", "environment names must be unique"))
        for i, ns in enumerate(self.namespaces):
            if len(ns) > 63:
                errors.append((f"environments[{i}]", f"namespace {ns} is longer than 63 characters"))
        raise_path_errors(errors)
        return self
