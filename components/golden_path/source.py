"""Reading a team's YAML file and reporting problems at their line.

Teams edit `platform.yaml`, `score.yaml` or `values.yaml` by hand; the reader and the error
flattener are the ones the environment file uses (`components/source.py`), so both kinds of file
report problems the same way: `platform.yaml:12: ingress.hots: unknown key (did you mean 'host'?)`.
"""

from __future__ import annotations

from components.source import (  # noqa: F401  (the golden path's names for the shared reader)
    InputError as SpecError,
    Loc,
    Source,
    error_lines,
    flatten,
    format_loc,
    keys_at,
    load,
    parse_path,
    plain,
    suggestion,
    validate,
)
