"""Reading an environment file (`Pulumi.<env>.yaml`) the way the engine would see it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from stacks.config import ConfigError, Environment, load_environment


def read_file_config(path: Path) -> dict[str, Any]:
    """The `config:` block; a missing file or malformed YAML is a ConfigError naming the file and line."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError([f"config error: {path}: cannot read ({exc.strerror})"]) from None
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError([f"config error: {where}: not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise ConfigError([f"config error: {path}: expected a mapping with a `config:` block"])
    return document.get("config") or {}


def secure_keys(file_config: dict[str, Any]) -> set[str]:
    """Keys whose value is `{secure: ...}` ciphertext (never decrypted here)."""
    return {k for k, v in file_config.items() if isinstance(v, dict) and set(v) == {"secure"}}


def validate_file(path: Path, env: str) -> Environment:
    """Validate a whole environment file without decrypting anything."""
    file_config = read_file_config(path)
    return load_environment(env, file_config, secure_keys(file_config))
