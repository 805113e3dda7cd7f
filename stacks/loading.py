"""Loading an environment: reading `Pulumi.<env>.yaml`, splitting its keys, reporting problems.

`stacks/config.py` says what an environment is (the typed models); this module gets a file or
the engine's config into those models. Every problem becomes one line, located in the file when
there is one (`Pulumi.lab.yaml:42: idp:vms.cluster.nodes[3].ip: ...`) and named by its key when
the values come from the engine (`config error: idp:vms.cluster.nodes[3].ip: ...`). The reader
and the flattener are the ones `platform.yaml` uses (`components/source.py`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from components.source import InputError, Loc, Source, flatten, format_loc, keys_at, load, suggestion
from stacks.config import NAMESPACE, REPLACED_SECRET_KEYS, SECRET_KEYS, EnvironmentConfig

ConfigError = InputError
"""Invalid environment configuration; `lines` are ready to print, one problem each."""

ENV_FILE = re.compile(r"^Pulumi\.(?P<env>[^.]+)\.ya?ml$")


@dataclass(frozen=True)
class SecretValue:
    """A secret config value as the program sees it: never printed, only passed on as a Pulumi secret."""

    key: str
    value: str | None
    """Plain text only inside the running program (real engine or a test); None when not decrypted."""


@dataclass(frozen=True)
class Environment:
    """A validated environment: its name, the typed sections and its secrets."""

    name: str
    config: EnvironmentConfig
    secrets: dict[str, SecretValue]

    def missing_secrets(self, layer: str) -> list[str]:
        return sorted(k for k, (_, layers) in SECRET_KEYS.items() if layer in layers and k not in self.secrets)


class _Reporter:
    """Turns (location in the file, message) into a line, with the file's line when there is one."""

    def __init__(self, source: Source | None):
        self.source = source

    def __call__(self, loc: Loc, message: str) -> str:
        if self.source is not None:
            return self.source.error(loc, message)
        return f"config error: {display(loc) or '<root>'}: {message}"


def display(loc: Loc) -> str:
    """A location in the environment file as users name it: `idp:vms.cluster`, not `config.idp:vms...`."""
    if len(loc) >= 2 and loc[0] == "config":
        return format_loc(loc[1:])
    return format_loc(loc)


def _file_loc(model_loc: Loc) -> Loc:
    """A location in EnvironmentConfig -> the same key in the file (`vms` lives at `config.idp:vms`)."""
    if not model_loc:
        return ("config",)
    head = "global" if model_loc[0] == "global_" else model_loc[0]
    return ("config", f"{NAMESPACE}:{head}", *model_loc[1:])


def split_config(
    config: dict[str, Any], secret_keys: set[str], report: _Reporter | None = None
) -> tuple[dict[str, Any], dict[str, SecretValue], list[str]]:
    """Separate the `idp:` sections (parsed JSON/YAML values) from the secret keys.

    `config` maps full keys (`idp:vms`) to values (strings as the engine passes them, or already
    parsed objects). Returns (sections, secrets, errors).
    """
    report = report or _Reporter(None)
    sections: dict[str, Any] = {}
    secrets: dict[str, SecretValue] = {}
    errors: list[str] = []
    for full_key, value in sorted(config.items()):
        namespace, _, key = str(full_key).partition(":")
        if namespace != NAMESPACE:
            continue
        loc = ("config", full_key)
        if key in SECRET_KEYS:
            if full_key not in secret_keys:
                errors.append(
                    report(loc, f"must be a secret: run `pulumi config set --secret {full_key} <value> "
                           "--config-file Pulumi.<env>.yaml`")
                )
            secrets[key] = SecretValue(full_key, value if isinstance(value, str) else None)
            continue
        if key in REPLACED_SECRET_KEYS:
            errors.append(report(loc, f"no longer used, replaced by {REPLACED_SECRET_KEYS[key]}"))
            continue
        if full_key in secret_keys:
            errors.append(report(loc, f"is a secret, but only {', '.join(sorted(SECRET_KEYS))} may be secrets"))
            continue
        if isinstance(value, str) and value[:1] in "{[":
            try:
                value = json.loads(value)
            except (json.JSONDecodeError, RecursionError) as exc:
                errors.append(report(loc, f"not valid JSON/YAML ({getattr(exc, 'msg', 'nested too deeply')})"))
                continue
        sections[key] = value
    return sections, secrets, errors


def load_environment(
    name: str, config: dict[str, Any], secret_keys: set[str], source: Source | None = None
) -> Environment:
    """Validate a whole environment; raise ConfigError listing every problem at once.

    With `source` (the parsed file) every line carries the file and line of the key.
    """
    report = _Reporter(source)
    errors: list[str] = []
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name) or len(name) > 20:
        errors.append(
            f"config error: environment name {name!r} is not a DNS-1123 label of at most 20 characters "
            "(stack names <env>-<layer> and namespaces are derived from it)"
        )
    sections, secrets, split_errors = split_config(config, secret_keys, report)
    errors += split_errors
    try:
        model = EnvironmentConfig.model_validate(sections)
    except ValidationError as exc:
        top = [*keys_at(EnvironmentConfig, ()), *SECRET_KEYS]
        for loc, message in flatten(exc, EnvironmentConfig):
            if len(loc) == 1 and message.startswith("unknown key"):
                # compared without the shared `idp:` prefix, which would make every key look close
                hint = suggestion(None, loc, top)
                message = "unknown key" + hint.replace(" (did you mean '", f" (did you mean '{NAMESPACE}:")
            errors.append(report(_file_loc(loc), message))
        raise ConfigError(errors) from None
    except RecursionError:
        raise ConfigError(errors + [report(("config",), "nested too deeply to validate")]) from None
    if errors:
        raise ConfigError(errors)
    return Environment(name=name, config=model, secrets=secrets)


def require_secrets(env: Environment, layer: str) -> None:
    """Under the real engine every secret a layer uses must be set before anything is registered."""
    missing = env.missing_secrets(layer)
    if missing:
        raise ConfigError(
            [
                f"config error: {NAMESPACE}:{key}: missing ({SECRET_KEYS[key][0]}); set it with "
                f"`pulumi config set --secret {NAMESPACE}:{key} <value> --config-file Pulumi.{env.name}.yaml`"
                for key in missing
            ]
        )


# ---------------------------------------------------------------------------------------------
# The file


def read_file(path: Path) -> tuple[Source, dict[str, Any]]:
    """The parsed file and its `config:` block; every problem is a located ConfigError line."""
    source = load(path, display)
    document = source.data
    if not isinstance(document.get("config", {}), dict):
        raise ConfigError([source.error(("config",), "expected a mapping of config keys (`idp:vms: ...`)")])
    config = document.get("config") or {}
    bad = [k for k in config if not isinstance(k, str)]
    if bad:
        raise ConfigError([source.error(("config",), f"config keys must be text, not {bad[0]!r}")])
    return source, config


def read_file_config(path: Path) -> dict[str, Any]:
    """The `config:` block of an environment file."""
    return read_file(path)[1]


def secure_keys(file_config: dict[str, Any]) -> set[str]:
    """Keys whose value is `{secure: ...}` ciphertext (never decrypted here)."""
    return {k for k, v in file_config.items() if isinstance(v, dict) and set(v) == {"secure"}}


def env_of_file(path: Path) -> str | None:
    """`Pulumi.lab.yaml` -> "lab"; None for a file not named like an environment file."""
    match = ENV_FILE.match(path.name)
    return match.group("env") if match else None


def check_env_matches(path: Path, env: str) -> None:
    """`--env prod` with `Pulumi.lab.yaml` would name the lab's resources `prod-*`: refuse it."""
    named = env_of_file(path)
    if named is not None and named != env:
        raise ConfigError(
            [
                f"{path}:1: <root>: is the environment file of {named!r}, not of --env {env!r}; "
                f"use --env {named}, or --allow-env-mismatch if the file really describes {env!r}"
            ]
        )


def validate_file(path: Path, env: str) -> Environment:
    """Validate a whole environment file without decrypting anything."""
    source, file_config = read_file(path)
    return load_environment(env, file_config, secure_keys(file_config), source)
