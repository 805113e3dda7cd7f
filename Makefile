# Two set-up commands on a fresh machine:
#   make render   creates .venv from requirements.txt and renders the lab offline into out/
#   make test     the full check suite (builds the real-engine toolchain first when it can)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
ENV ?= lab

.PHONY: venv render validate test test-fast toolchain clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

validate: venv
	$(PY) -m idpctl validate --config-file Pulumi.$(ENV).yaml --env $(ENV)

render: venv
	$(PY) -m idpctl render --config-file Pulumi.$(ENV).yaml --env $(ENV) --layer all --out out

toolchain:
	bash scripts/toolchain.sh

test-fast: venv
	$(PY) -m pytest -q -m "not engine"

test: venv
	@if [ -f scripts/toolchain.sh ]; then bash scripts/toolchain.sh || echo "toolchain: incomplete, real-engine tests will skip"; fi
	$(PY) -m pytest -q

clean:
	rm -rf out .pytest_cache
