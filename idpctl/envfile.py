"""Reading an environment file (`Pulumi.<env>.yaml`) the way the engine would see it.

The reader lives with the other loading code in `stacks/loading.py`; these names stay for the
commands and tests that import them from here.
"""

from __future__ import annotations

from stacks.loading import (  # noqa: F401
    check_env_matches,
    env_of_file,
    read_file,
    read_file_config,
    secure_keys,
    validate_file,
)
