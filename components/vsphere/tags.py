"""EnvironmentTags: the vSphere tags every idp VM carries (environment, project, managed-by).

Tag categories and the shared `idp`/`pulumi` tags are global in vCenter: the first environment
creates them (`create_categories: true`, the default); further environments on the same vCenter
set it to false and look them up. The environment tag is always this environment's own.
"""

from __future__ import annotations

import pulumi
import pulumi_vsphere as vsphere

from components.model import K8sName, Model


class EnvironmentTagsArgs(Model):
    environment: K8sName
    project: str = "idp"
    managed_by: str = "pulumi"
    create_categories: bool = True


class EnvironmentTags(pulumi.ComponentResource):
    """One tag per category for this environment; VMs attach all three."""

    tag_ids: pulumi.Output[list[str]]
    """IDs of the environment, project and managed-by tags."""

    def __init__(self, name: str, args: EnvironmentTagsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("idp:vsphere:EnvironmentTags", name, {}, opts)
        self._name, self._create = name, args.create_categories
        tag_ids = [
            self._tag("idp-environment", args.environment, always_create=True),
            self._tag("idp-project", args.project),
            self._tag("idp-managed-by", args.managed_by),
        ]
        self.tag_ids = pulumi.Output.all(*tag_ids)
        self.register_outputs({"tagIds": self.tag_ids})

    def _tag(self, category_name: str, tag_name: str, always_create: bool = False) -> pulumi.Output[str]:
        invoke = pulumi.InvokeOutputOptions(parent=self)
        if self._create:
            category_id = vsphere.TagCategory(
                f"{self._name}-{category_name}-category",
                name=category_name,
                cardinality="SINGLE",
                associable_types=["VirtualMachine"],
                description="managed by idp",
                opts=pulumi.ResourceOptions(parent=self),
            ).id
        else:
            category_id = vsphere.get_tag_category_output(name=category_name, opts=invoke).id
        if self._create or always_create:
            return vsphere.Tag(
                f"{self._name}-{category_name}",
                name=tag_name,
                category_id=category_id,
                description=f"{category_name}={tag_name}",
                opts=pulumi.ResourceOptions(parent=self),
            ).id
        return vsphere.get_tag_output(name=tag_name, category_id=category_id, opts=invoke).id
