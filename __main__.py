"""Pulumi entry point: the stack name `<env>-<layer>` selects which layer program runs.

All four layers share one project and one environment file (`--config-file Pulumi.<env>.yaml`);
the layer's module in `stacks/` reads its section, builds its components and exports its outputs.
"""

import importlib

import pulumi

from stacks.program import parse_stack_name

env_name, layer = parse_stack_name(pulumi.get_stack())
importlib.import_module(f"stacks.{layer}").main(env_name)
