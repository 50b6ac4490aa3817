# 码上提 — the two commands: `make run` and `make test`.
PORT ?= 8000
QRCODES ?= qrcodes
VENV := .venv/bin

.PHONY: run seed test bench lint

# The port served is also the port the demo posters' QR codes point at (FEEDBACK_PORT is the
# default base URL's port), so `PORT=8080 make run` prints posters for 8080.
run seed: export FEEDBACK_PORT = $(PORT)

run: seed
	@$(VENV)/feedback serve --port $(PORT)

# Everything `run` does before serving; safe to repeat (no duplicate stations).
seed:
	@scripts/setup.sh run
	@$(VENV)/feedback init
	@$(VENV)/feedback demo
	@$(VENV)/feedback posters --out $(QRCODES)

# The suite runs on every CPU (pytest-xdist): most of its time is browsers and real gunicorn
# servers starting and waiting, which overlap well. PYTEST_ARGS=-n0 runs it in one process.
test:
	@scripts/setup.sh test
	@$(VENV)/python -m pytest -n auto $(PYTEST_ARGS)

bench:
	@scripts/setup.sh test
	@$(VENV)/python bench/run.py

lint:
	@scripts/setup.sh test
	@$(VENV)/ruff check .
	@$(VENV)/ruff format --check .
