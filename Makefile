# CloudMentor@Scale. `make run` serves the platform; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
export HOST ?= 127.0.0.1
export PORT ?= 8000

.PHONY: run setup install test test-fast test-all lint typecheck layers pytest pytest-postgres browser audit bench lock clean messages

$(VENV)/.installed: pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e . 2>/dev/null || $(PY) -m pip install --quiet --no-deps -e .
	@touch $@

install: $(VENV)/.installed

setup: install
	$(MANAGE) compile_translations
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput -v0
	@# The demo content (published passwords, TOTP key) never goes on a production site (TR-6).
	@if [ "$${CLOUDMENTOR_ENV:-development}" = production ]; then echo "Production: no demo content is loaded."; else $(MANAGE) demo_load; fi

run: setup
	@echo ""
	@echo "  CloudMentor@Scale is starting on http://$(HOST):$(PORT)/  (English: http://$(HOST):$(PORT)/en/)"
	@echo "  Demo member: demo / demo-member-password   (log in at http://$(HOST):$(PORT)/accounts/login/)"
	@echo "  Staff area: http://$(HOST):$(PORT)/staff/  demo login: staff / demo-staff-password + TOTP code"
	@echo "    (authenticator secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ, or: oathtool --totp -b GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ)"
	@echo "  Emails are printed here (console backend); a process that dies is restarted at once."
	@echo "  Ctrl-C stops the web server, the task worker and the scheduler. Routine log lines: var/log/."
	@echo ""
	@# supervisord runs the Procfile's processes and restarts any that dies (scripts/supervise.py).
	$(PY) scripts/supervise.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy cloudmentor

layers: install
	$(VENV)/bin/lint-imports

pytest: install
	$(MANAGE) compile_translations >/dev/null
	$(VENV)/bin/pytest -m "not browser" -n 2 --dist loadgroup

# Also runs the two-node test (tests/twonodes: nginx, Redis, two nodes on this PostgreSQL).
pytest-postgres: install
	scripts/install-system-deps.sh nginx redis
	scripts/with-postgres.sh $(VENV)/bin/pytest -m "not browser" -n 2 --dist loadgroup

# The two-node browser journey (tests/twonodes) needs PostgreSQL: it runs in the second line (its own
# Playwright, so its own pytest); the third runs the journeys the issues ask for on both databases
# (SSO and SCIM, ID-1/ID-2; the exam).
browser: install
	scripts/install-system-deps.sh chromium nginx redis
	$(MANAGE) compile_translations >/dev/null
	$(VENV)/bin/pytest -m browser -p no:xdist --ignore=tests/twonodes
	scripts/with-postgres.sh $(VENV)/bin/pytest -m browser -p no:xdist tests/twonodes
	scripts/with-postgres.sh $(VENV)/bin/pytest -m browser -p no:xdist tests/browser/test_sso_journey.py tests/browser/test_exam_journey.py

# Issue 11's checks from outside, every form fuzzed, the cookie key matrix: "N checks, N passed"
# (tools/audit.py, tests/audit/; docs/contributing.md "make audit").
audit: install
	$(MANAGE) compile_translations >/dev/null
	$(PY) tools/audit.py

ifeq ($(CI),true)
test: test-all
else
test: lint typecheck layers pytest
endif

test-all: lint typecheck layers pytest pytest-postgres browser

# The mixed workload's load generator (locust) lives in its own venv: it pulls gevent and
# Flask, which must never be imported into a Django or pytest process.
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed: bench/requirements.txt
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -r bench/requirements.txt
	@touch $@

bench: install $(BENCH_VENV)/.installed
	scripts/install-system-deps.sh wrk
	$(PY) bench/run.py

lock:
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

messages:
	for app in cloudmentor/*/locale; do (cd $$(dirname $$app) && ../../$(PY) ../../manage.py makemessages -l en --no-obsolete --ignore "tests/*"); done

clean:
	rm -rf $(VENV) .venv-bench staticfiles .pytest_cache .mypy_cache .ruff_cache
