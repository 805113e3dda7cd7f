"""EnvironmentTags: the vSphere tags every idp VM carries (environment, project, managed-by).

Tag categories are global in vCenter, so several environments sharing one vCenter must not each
create them: `create_categories: false` looks existing ones up instead.
"""

from __future__ import annotations

import pulumi
import pulumi_vsphere as vsphere

from components.model import K8sName, Model

CATEGORIES = ("idp-environment", "idp-project", "idp-managed-by")


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
        values = {"idp-environment": args.environment, "idp-project": args.project, "idp-managed-by": args.managed_by}
        tag_ids = []
        for category_name, tag_name in values.items():
            category_id = self._category(name, category_name, args.create_categories)
            tag = vsphere.Tag(
                f"{name}-{category_name}",
                name=tag_name,
                category_id=category_id,
                description=f"{category_name}={tag_name}",
                opts=pulumi.ResourceOptions(parent=self),
            )
            tag_ids.append(tag.id)
        self.tag_ids = pulumi.Output.all(*tag_ids)
        self.register_outputs({"tagIds": self.tag_ids})

    def _category(self, name: str, category_name: str, create: bool) -> pulumi.Output[str]:
        if not create:
            return vsphere.get_tag_category_output(
                name=category_name, opts=pulumi.InvokeOutputOptions(parent=self)
            ).id
        return vsphere.TagCategory(
            f"{name}-{category_name}-category",
            name=category_name,
            cardinality="SINGLE",
            associable_types=["VirtualMachine"],
            description="managed by idp",
            opts=pulumi.ResourceOptions(parent=self),
        ).id
