"""Layer 4, `<env>-projects` (runner 2): one TenantProject per entry of `idp:projects`.

Adding an entry creates the project; removing it removes everything it had (stateful parts are
protected and need the runbook's explicit step).
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.tenant.project import TenantProject
from stacks import references
from stacks.program import read_environment


def main(env_name: str) -> None:
    env = read_environment(env_name, "projects")

    async def program() -> None:
        cluster = await references.read(env.config.organization, env_name, "cluster")
        platform = await references.read(env.config.organization, env_name, "platform")
        provider = k8s.Provider(f"{env_name}-kubernetes", kubeconfig=cluster.kubeconfig, enable_server_side_apply=True)
        opts = pulumi.ResourceOptions(providers=[provider])
        projects = {p.name: TenantProject(p.name, p, opts=opts) for p in env.config.projects}
        pulumi.export(
            "projects",
            {
                name: {"namespaces": project.namespaces, "domain": platform.domain}
                for name, project in projects.items()
            },
        )

    pulumi.run(program)
