"""Typed stack references: the outputs one layer hands the next, across the two runners.

`read(...)` resolves every output a layer needs before the layer registers anything. A missing
stack or output stops the program with a message naming the stack, the output and the command
that produces it (the failure the old JSON artifact between runners could not explain).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import pulumi
from pydantic import BaseModel, ConfigDict, ValidationError

from components.talos.args import NodeRef

Layer = Literal["vms", "cluster", "platform", "projects"]


class Outputs(BaseModel):
    """Base of a layer's outputs: plain values validated; secret values kept as Pulumi secrets."""

    model_config = ConfigDict(extra="ignore", frozen=True, arbitrary_types_allowed=True)
    SECRETS: ClassVar[tuple[str, ...]] = ()
    """Output names that are secrets; their values become `pulumi.Output.secret(...)`."""


class VmsOutputs(Outputs):
    SECRETS = ("clientConfiguration", "machineSecrets", "machineConfigurations", "talosconfig")
    clusterName: str
    endpoint: str
    nodes: list[NodeRef]
    talosVersion: str
    kubernetesVersion: str
    clientConfiguration: Any
    machineSecrets: Any
    machineConfigurations: Any
    talosconfig: Any


class ClusterOutputs(Outputs):
    SECRETS = ("kubeconfig", "talosconfig")
    endpoint: str
    kubernetesVersion: str
    kubeconfig: Any
    # Absent when the cluster layer adopted an existing cluster (idp:cluster.existingKubeconfigFile).
    talosVersion: str | None = None
    talosconfig: Any = None


class PlatformOutputs(Outputs):
    SECRETS = ("vaultAddress", "vaultToken", "harborPassword")
    domain: str
    urls: dict[str, str]
    # Read by the projects layer; optional here so a platform without Vault or Harbor still
    # reads, and `stacks/projects.py` names exactly the missing output and how to produce it.
    vaultAddress: Any = None
    vaultToken: Any = None
    harborUrl: str | None = None
    harborUsername: str | None = None
    harborPassword: Any = None
    # The platform root CA (public PEM): for clients of platform URLs (`idpctl ca` writes it to a file).
    rootCaCertificate: str | None = None


MODELS: dict[str, type[Outputs]] = {"vms": VmsOutputs, "cluster": ClusterOutputs, "platform": PlatformOutputs}


def stack_name(organization: str, env: str, layer: Layer) -> str:
    """Fully qualified name; DIY backends use the organization `organization`."""
    return f"{organization}/idp/{env}-{layer}"


def produce_command(env: str, layer: str) -> str:
    return f"pulumi up --stack {env}-{layer} --config-file Pulumi.{env}.yaml"


async def read(organization: str, env: str, layer: Layer, parent: pulumi.Resource | None = None) -> Any:
    """Read and validate a layer's outputs; raise RunError naming what is missing and how to produce it."""
    model = MODELS[layer]
    full = stack_name(organization, env, layer)
    ref = pulumi.StackReference(f"{env}-{layer}-reference", stack_name=full, opts=pulumi.ResourceOptions(parent=parent))
    values: dict[str, Any] = {}
    missing: list[str] = []
    for field in model.model_fields:
        try:
            details = await ref.get_output_details(field)
        except Exception as exc:  # the engine reports an unknown stack as a failed read
            raise pulumi.RunError(
                f"stack reference {full}: cannot read the stack ({exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else 'not found'}); "
                f"create it first with `{produce_command(env, layer)}`"
            ) from None
        if details.secret_value is not None:
            values[field] = pulumi.Output.secret(details.secret_value)
        elif details.value is not None:
            values[field] = pulumi.Output.secret(details.value) if field in model.SECRETS else details.value
        elif model.model_fields[field].is_required():
            missing.append(field)
    if missing:
        raise pulumi.RunError(
            f"stack reference {full}: missing output(s) {', '.join(missing)}; "
            f"run `{produce_command(env, layer)}` to produce them"
        )
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False))
        raise pulumi.RunError(
            f"stack reference {full}: outputs do not have the expected shape ({problems}); "
            f"re-run `{produce_command(env, layer)}` with this version of the program"
        ) from None


async def read_optional(
    organization: str, env: str, layer: Layer, names: tuple[str, ...], parent: pulumi.Resource | None = None
) -> dict[str, Any]:
    """Outputs of a later layer that an earlier one uses when they exist (day-2 settings); {} otherwise.

    The cluster layer runs before the platform layer, so on a new environment these are absent and
    the next run picks them up. A `StackReference` to a stack that does not exist stops the whole
    update (`unknown stack`), so this reads through the engine's built-in invoke
    `pulumi:pulumi:readStackOutputs` instead, whose failure the program can catch.
    """
    full = stack_name(organization, env, layer)
    try:
        result = await pulumi.runtime.invoke_async(READ_STACK_OUTPUTS, {"name": full})
    except Exception as exc:  # no such stack yet, or no backend: nothing to apply yet
        pulumi.log.info(f"{full}: not readable yet ({str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__})")
        return {}
    outputs = (result or {}).get("outputs") or {}
    return {name: outputs[name] for name in names if outputs.get(name) is not None}


READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"
"""The engine's built-in invoke behind stack references."""
