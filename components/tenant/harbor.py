"""ProjectRegistry: the project's Harbor project and its CI robot account.

The Harbor project (private, scanned on push, storage quota from config) is protected when
`idp:global.protect` is on: it holds the team's images. The robot account is project-level and may
push and pull in this project only; its secret is a Pulumi secret, handed to `ProjectVault`, which
stores it at `<project>/harbor` for CI and for the namespaces' image pull secrets. The team's AD
group is a member of the project with the developer role (push, pull, scan; no member or policy
changes), so people see their images and scan results in Harbor's UI with their own login.
"""

from __future__ import annotations

import pulumi
import pulumiverse_harbor as harbor

from components.tenant.args import TenantPlatform, TenantProjectArgs

ROBOT_NAME = "ci"
ROBOT_ACCESSES = (("repository", "pull"), ("repository", "push"))
TEAM_ROLE = "developer"


class ProjectRegistry(pulumi.ComponentResource):
    """Harbor project `<project>` and robot account `robot$<project>+ci` (push/pull there only)."""

    project_name: str
    """Name of the Harbor project (the image path prefix `<harbor>/<project>/`)."""
    robot_name: pulumi.Output[str]
    """Full name of the robot account (registry user name)."""
    robot_secret: pulumi.Output[str]
    """Robot account secret (Pulumi secret)."""

    def __init__(
        self,
        name: str,
        args: TenantProjectArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        platform: TenantPlatform,
    ):
        super().__init__("idp:tenant:ProjectRegistry", name, {}, opts)
        project = harbor.Project(
            f"{name}-project",
            name=args.name,
            public=False,
            vulnerability_scanning=args.harbor.vulnerability_scanning,
            storage_quota=args.harbor.storage_quota_gb,
            force_destroy=False,
            opts=pulumi.ResourceOptions(parent=self, protect=platform.protect),
        )
        robot = harbor.RobotAccount(
            f"{name}-robot",
            name=ROBOT_NAME,
            level="project",
            description=f"CI of tenant project {args.name}: push and pull in {args.name} only",
            duration=-1,
            permissions=[
                harbor.RobotAccountPermissionArgs(
                    kind="project",
                    namespace=project.name,
                    accesses=[
                        harbor.RobotAccountPermissionAccessArgs(resource=resource, action=action, effect="allow")
                        for resource, action in ROBOT_ACCESSES
                    ],
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["secret"]),
        )
        if platform.ldap_group_base_dn:
            harbor.ProjectMemberGroup(
                f"{name}-team",
                project_id=project.id,
                type="ldap",
                role=TEAM_ROLE,
                group_name=args.group,
                ldap_group_dn=f"CN={args.group},{platform.ldap_group_base_dn}",
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.project_name = args.name
        self.robot_name = robot.full_name
        self.robot_secret = pulumi.Output.secret(robot.secret)
        self.register_outputs({"projectName": self.project_name, "robotName": self.robot_name, "robotSecret": self.robot_secret})
