# Production image: pinned dependencies, compiled translations, non-root user.
# On start it runs the migrations (unless RUN_MIGRATIONS=0), then gunicorn on
# wsgi:app. See README ("Deploy", "Configure") and docker-compose.yml.
# Bookworm's postgresql-client is 15: keep the PostgreSQL server at 15 too, so
# `flask backup create` (pg_dump) works from inside the container.
FROM python:3.11-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SURVEYAPP_ENV=production \
    FLASK_APP=wsgi.py \
    PORT=8000 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus \
    COMPLAINTS_MODEL_PATH=/app/models/seed

RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY wsgi.py gunicorn.conf.py babel.cfg ./
COPY surveyapp ./surveyapp
COPY migrations ./migrations
COPY scripts ./scripts
COPY docker/entrypoint.sh /entrypoint.sh
RUN pybabel compile -d surveyapp/translations \
    && python scripts/train_seed_model.py /app/models/seed \
    && useradd --create-home --uid 10001 surveyapp \
    && mkdir -p /app/instance /app/backups \
    && chown -R surveyapp /app/instance /app/models /app/backups

USER surveyapp
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz')"
ENTRYPOINT ["/entrypoint.sh"]
CMD ["serve"]
