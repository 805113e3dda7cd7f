"""The two Pulumi SDK runtime details the program and the offline render depend on, in one place.

- Which config keys are secret: the engine passes them in `PULUMI_CONFIG_SECRET_KEYS`, a test or
  the render through `pulumi.runtime.config.set_all_config(..., secret_keys)`.
- The secret envelope: under mocks a secret input arrives as a dict carrying the SDK's signature
  key and a `value`, which is how the render knows what to mask.

Both are read through the SDK's public functions (`config.is_config_secret`, `rpc.is_rpc_secret`,
`rpc.wrap_rpc_secret`) rather than its private names, and `tests/test_sdk.py` fails if the SDK
changes what they mean, so an SDK upgrade that breaks either shows up there and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pulumi.runtime import config as runtime_config
from pulumi.runtime import rpc


def secret_config_keys(keys: Iterable[str]) -> set[str]:
    """Those of `keys` the engine (or the render) marked secret, plus the engine's own list."""
    return set(runtime_config.get_config_secret_keys_env()) | {k for k in keys if runtime_config.is_config_secret(k)}


def is_secret_envelope(value: Any) -> bool:
    """True for a value the program marked secret, as mock providers receive it."""
    return rpc.is_rpc_secret(value)


def secret_envelope(value: Any) -> dict:
    """`value` wrapped the way the SDK hands a secret to mock providers (for upstream exports in tests)."""
    return rpc.wrap_rpc_secret(value)
