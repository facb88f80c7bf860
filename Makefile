# surveyapp: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_RESPONSES ?= 3000
export FLASK_APP := wsgi.py

.PHONY: install translations migrate demo run test test-pg browser lint bench clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

translations: install
	$(BIN)/pybabel compile --statistics -d surveyapp/translations 2>&1 | tail -n 2

models: install
	$(BIN)/python scripts/train_seed_model.py instance/models/seed

migrate: install translations
	mkdir -p instance
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask seed-demo --if-empty --responses $(DEMO_RESPONSES)

run: demo
	$(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) wsgi:app

# Chromium for the browser test comes from Debian's package; without it (or
# without root) the browser test skips and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1; } || \
	  echo "chromium not installed: the browser test will be skipped"

test: install translations browser
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check surveyapp tests benchmarks
	$(BIN)/ruff format --check surveyapp tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts
