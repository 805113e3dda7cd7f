# Two set-up commands on a fresh machine:
#   make render   creates .venv from requirements.txt and renders the lab offline into out/
#   make test     the full check suite (builds the real-engine toolchain first when it can)
#   make portal   builds the developer portal of $(ENV) into site/
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
ENV ?= lab

.PHONY: venv render validate test test-fast toolchain clean portal portal-test

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

# The developer portal: docs/ plus the environment's generated pages, built with MkDocs Material.
portal: venv
	bash scripts/portal-assets.sh
	$(PY) -m idpctl docs --config-file Pulumi.$(ENV).yaml --env $(ENV) --out docs/environment
	$(PY) -m mkdocs build --quiet --site-dir site

# The portal as a reader sees it: built, served on 127.0.0.1 and loaded in headless Chromium.
portal-test: venv
	bash scripts/portal-browser.sh
	$(PY) -m pytest -q tests/docs

clean:
	rm -rf out site .pytest_cache
