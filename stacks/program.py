"""What every layer program does first: find its layer and environment, read and validate config.

Nothing here registers a resource, so a bad stack name or a bad environment file stops the
program before anything is created, with one line per problem and no traceback.
"""

from __future__ import annotations

import pulumi
from pulumi.runtime import config as runtime_config

from stacks.config import LAYERS
from stacks.loading import ConfigError, Environment, load_environment, require_secrets
from stacks.sdk import secret_config_keys


def parse_stack_name(stack: str) -> tuple[str, str]:
    """`lab-platform` -> ("lab", "platform"); anything else is an error listing the valid names."""
    env, sep, layer = stack.rpartition("-")
    if not sep or not env or layer not in LAYERS:
        valid = ", ".join(f"<env>-{layer}" for layer in LAYERS)
        raise pulumi.RunError(f"stack name {stack!r} does not name a layer: use one of {valid} (for example lab-vms)")
    return env, layer


def _raw_config() -> tuple[dict[str, object], set[str]]:
    """Every config key the engine (or the render) passed to the program, and which are secret."""
    values: dict[str, object] = dict(runtime_config.get_config_env())
    values.update(runtime_config.CONFIG.get())
    secret_keys = secret_config_keys(values)
    return values, secret_keys


def read_environment(env_name: str, layer: str) -> Environment:
    """Validate the whole environment file and the secrets this layer needs."""
    values, secret_keys = _raw_config()
    try:
        env = load_environment(env_name, values, secret_keys)
        require_secrets(env, layer)
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None
    return env


def secret(env: Environment, key: str) -> pulumi.Output[str]:
    """A secret config value as a Pulumi secret output (never a plain string)."""
    return pulumi.Output.secret(env.secrets[key].value or "")
