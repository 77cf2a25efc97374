# The two commands of the README:
#   make run    set up and start sfai on this host (offline, no API key needed)
#   make test   set up everything (system packages included) and run the whole suite
# .ci/run calls `make test` and nothing else.

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
PYTEST_ARGS ?= -n 2
# System packages the tests drive for real.
SYSTEM_PACKAGES := nginx-light openssl procps iproute2 certbot pebble openssh-server openssh-client git curl

.PHONY: run test setup system-deps lint typecheck unit docs bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/.installed

run: setup
	$(BIN)/sfai

system-deps:
	@missing=""; \
	for bin in nginx:nginx-light openssl:openssl ps:procps ss:iproute2 certbot:certbot pebble:pebble sshd:openssh-server ssh-keygen:openssh-client git:git curl:curl; do \
	  command -v $${bin%%:*} >/dev/null 2>&1 || [ -x /usr/sbin/$${bin%%:*} ] || missing="$$missing $${bin#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "missing system packages:$$missing — install them with: sudo apt-get install$$missing" >&2; exit 1; \
	  fi; \
	fi

lint: setup
	$(BIN)/ruff check sfai sfai_agent tests bench
	$(BIN)/ruff format --check sfai sfai_agent

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest $(PYTEST_ARGS)

test: setup system-deps lint typecheck
	$(BIN)/pytest $(PYTEST_ARGS)

docs: setup
	$(BIN)/python -m sfai_agent.tools.docs > docs/tools.md
	$(BIN)/python -m sfai.core.config_doc docs/configuration.md

bench: setup system-deps
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
