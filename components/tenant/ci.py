"""ProjectCi: the Vault identity of a project's pipelines (Bitbucket Pipelines OIDC -> Vault JWT).

One role `project-<project>-ci` on the platform's JWT mount, bound to the project's repositories
through the `repositoryUuid` claim of the step's OIDC token and to the platform's audience, with a
short-lived token carrying one policy `project-<project>-ci`:
- read its own KV mount (`<project>/data/*`: the Harbor robot, a Sonar token);
- sign with the platform's Transit key (`<transit>/sign/<key>` and `.../<hash algorithm>`), which
  is how `cosign sign --key hashivault://<key>` signs. Nothing else of Transit: not the key's
  configuration, export, backup or rotation, so no pipeline ever holds key material.

Both are children of the project, so removing the project removes them. Names follow the
`projects-provisioner` token's scope (`project-*` roles and policies only).
"""

from __future__ import annotations

import json

import pulumi
import pulumi_vault as vault

from components.tenant.args import SigningKey, TenantPlatform, TenantProjectArgs

REPOSITORY_CLAIM = "repositoryUuid"
"""Claim of a Bitbucket Pipelines OIDC token naming the repository the step runs in."""


def ci_name(project: str) -> str:
    """Name of the project's JWT role and of its policy."""
    return f"project-{project}-ci"


def ci_policy(project: str, key: SigningKey | None) -> dict:
    """The CI policy as a Vault JSON policy document (Vault accepts JSON as well as HCL)."""
    paths: dict[str, dict] = {
        f"{project}/data/*": {"capabilities": ["read"]},
        f"{project}/metadata/*": {"capabilities": ["read", "list"]},
    }
    if key is not None:
        # cosign's hashivault signer writes to sign/<key>/<hash algorithm>.
        paths[key.sign_path] = {"capabilities": ["update"]}
        paths[f"{key.sign_path}/*"] = {"capabilities": ["update"]}
    return {"path": paths}


class ProjectCi(pulumi.ComponentResource):
    """JWT role and policy `project-<project>-ci` for the project's Bitbucket Pipelines."""

    role: str
    """Role name the pipeline logs in with (`vault write auth/<mount>/login role=<role> jwt=...`)."""

    def __init__(
        self,
        name: str,
        args: TenantProjectArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        platform: TenantPlatform,
    ):
        super().__init__("idp:tenant:ProjectCi", name, {}, opts)
        assert platform.ci_auth_path and args.ci.repository_uuids, "checked by TenantProject"
        child = pulumi.ResourceOptions(parent=self)
        policy = vault.Policy(
            f"{name}-policy",
            name=ci_name(args.name),
            policy=json.dumps(ci_policy(args.name, platform.signing_key), indent=2),
            opts=child,
        )
        vault.jwt.AuthBackendRole(
            f"{name}-role",
            backend=platform.ci_auth_path,
            role_name=ci_name(args.name),
            role_type="jwt",
            user_claim="sub",
            bound_audiences=[platform.ci_audience] if platform.ci_audience else None,
            # Comma-separated values: any one of the project's repositories.
            bound_claims={REPOSITORY_CLAIM: ",".join(args.ci.repository_uuids)},
            token_policies=[policy.name],
            token_ttl=args.ci.token_ttl,
            token_max_ttl=args.ci.token_ttl,
            opts=child,
        )
        self.role = ci_name(args.name)
        self.register_outputs({"role": self.role})
