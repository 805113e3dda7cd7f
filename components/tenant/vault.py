"""ProjectVault: the project's Vault KV v2 mount `<project>/`, its defaults and its policies.

- mount `<project>/` (KV v2), protected when `idp:global.protect` is on: it holds the team's data;
- defaults at `<project>/env` (APP_NAME, ENVIRONMENT, LOG_LEVEL, DEBUG), written once at creation
  and never read back or rewritten, so values the team sets in Vault are not reset by `pulumi up`;
- the Harbor robot credentials at `<project>/harbor` (owned by Pulumi, restored on drift);
- policy `project-<project>-team` (read/write on `<project>/*` only), mapped to the team's LDAP group;
- policy `project-<project>-eso` (read-only on `<project>/data/*`), used by the namespaces' roles.

Names follow the platform's `projects-provisioner` token, which may manage only `project-*`
policies and roles (components/platform/vault_config.py).
"""

from __future__ import annotations

import json

import pulumi
import pulumi_vault as vault

from components.tenant.args import TenantPlatform, TenantProjectArgs
from components.tenant.labels import vault_policy_names


def team_policy(project: str) -> str:
    return f"""# Team of project {project}: read and write its own KV mount, nothing else.
path "{project}/*" {{
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}}
"""


def eso_policy(project: str) -> str:
    return f"""# External Secrets in the namespaces of project {project}: read-only on its own mount.
path "{project}/data/*" {{
  capabilities = ["read"]
}}
path "{project}/metadata/*" {{
  capabilities = ["read", "list"]
}}
"""


def env_defaults(args: TenantProjectArgs) -> dict[str, str]:
    """Initial `<project>/env`; every namespace's ExternalSecret overrides ENVIRONMENT with its own."""
    return {"APP_NAME": args.name, "ENVIRONMENT": "shared", "LOG_LEVEL": args.log_level, "DEBUG": "false"}


class ProjectVault(pulumi.ComponentResource):
    """KV v2 mount, defaults, team and ESO policies, LDAP group mapping, Harbor credentials."""

    path: str
    """Mount path of the project's KV v2 engine (`<project>`)."""
    eso_policy: pulumi.Output[str]
    """Name of the read-only policy the namespaces' Kubernetes auth roles carry."""
    team_policy: pulumi.Output[str]
    """Name of the policy the team's LDAP group gets."""

    def __init__(
        self,
        name: str,
        args: TenantProjectArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        platform: TenantPlatform,
        harbor_username: pulumi.Input[str] | None,
        harbor_password: pulumi.Input[str] | None,
    ):
        super().__init__("idp:tenant:ProjectVault", name, {}, opts)
        self.path = args.name
        child = pulumi.ResourceOptions(parent=self)
        mount = vault.Mount(
            f"{name}-kv",
            path=args.name,
            type="kv",
            options={"version": "2"},
            description=f"Secrets of tenant project {args.name}",
            opts=pulumi.ResourceOptions(parent=self, protect=platform.protect),
        )
        in_mount = pulumi.ResourceOptions(parent=self, depends_on=[mount])
        vault.kv.SecretV2(
            f"{name}-env-defaults",
            mount=mount.path,
            name="env",
            data_json=json.dumps(env_defaults(args)),
            # Written once: the team owns the values afterwards (no read-back, no rewrite).
            disable_read=True,
            opts=pulumi.ResourceOptions.merge(in_mount, pulumi.ResourceOptions(ignore_changes=["dataJson"])),
        )
        if harbor_username is not None:  # a platform with Harbor: the robot's credentials
            vault.kv.SecretV2(
                f"{name}-harbor-credentials",
                mount=mount.path,
                name="harbor",
                data_json=pulumi.Output.secret(
                    pulumi.Output.all(harbor_username, harbor_password).apply(
                        lambda creds: json.dumps(
                            {"registry": platform.harbor_host, "username": creds[0], "password": creds[1]}
                        )
                    )
                ),
                opts=in_mount,
            )
        team_name, eso_name = vault_policy_names(args.name)
        team = vault.Policy(f"{name}-policy-team", name=team_name, policy=team_policy(args.name), opts=child)
        eso = vault.Policy(f"{name}-policy-eso", name=eso_name, policy=eso_policy(args.name), opts=child)
        vault.ldap.AuthBackendGroup(
            f"{name}-ldap-group",
            backend=platform.vault_ldap_path,
            groupname=args.group,
            policies=[team.name],
            opts=child,
        )
        self.team_policy = team.name
        self.eso_policy = eso.name
        self.register_outputs({"path": self.path, "teamPolicy": self.team_policy, "esoPolicy": self.eso_policy})
