# surveyapp: `make run` serves the demo (`DEMO=0 make run`: an empty site),
# `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_RESPONSES ?= 3000
# DEMO=0 serves an empty site for a real city (README: a city's first hour).
DEMO ?= 1
export FLASK_APP := wsgi.py

.PHONY: install install-dev translations models migrate demo run test test-pg browser lint bench clean

# `make run` installs what the site needs; `make test` adds the test tools.
$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: requirements-dev.txt $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

install-dev: $(BIN)/.installed-dev

translations: install
	$(BIN)/pybabel compile --statistics -d surveyapp/translations 2>&1 | tail -n 2

# The demo complaint classifier (seed data; ~2 s): built when missing or stale,
# used through COMPLAINTS_MODEL_PATH unless another model was activated.
SEED_MODEL := instance/models/seed
$(SEED_MODEL): scripts/train_seed_model.py surveyapp/analysis/text/data/seed_complaints.csv surveyapp/analysis/text/classifier.py | install
	$(BIN)/python scripts/train_seed_model.py $@

models: $(SEED_MODEL)

migrate: install translations
	mkdir -p instance
	$(BIN)/flask db upgrade

demo: migrate models
ifneq ($(DEMO),0)
	$(BIN)/flask seed-demo --if-empty --responses $(DEMO_RESPONSES)
	$(BIN)/flask complaints classify-pending
endif

# The web workers only store responses; `flask complaints work` beside them
# records, classifies and routes the complaints, as in docker-compose.yml.
run: demo
	$(BIN)/flask complaints work & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT; \
	$(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) wsgi:app

# Chromium for the browser test comes from Debian's package; without it (or
# without root) the browser test skips and says why.
browser:
	@if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei) >/dev/null 2>&1 \
	  || echo "could not install chromium: the browser tests will be skipped"; \
	else echo "chromium not installed: the browser tests will be skipped"; fi

test: install-dev translations browser
	$(BIN)/python -m pytest

# The suite on PostgreSQL (the server on 127.0.0.1:5432, database test).
test-pg: install-dev translations
	TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test $(BIN)/python -m pytest

# Speed and quality figures, written to benchmarks/results/*.json.
bench: install-dev translations models
	$(BIN)/python benchmarks/indices.py
	$(BIN)/python benchmarks/fraud.py
	$(BIN)/python benchmarks/complaints.py
	$(BIN)/python benchmarks/quotas.py
	$(BIN)/python benchmarks/load.py

lint: install-dev
	$(BIN)/ruff check surveyapp tests benchmarks
	$(BIN)/ruff format --check surveyapp tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts
