#!/bin/sh
# Container start. `serve` (default): bring the schema up to date, then serve.
# `migrate`: only the schema. Anything else runs as given (e.g. `flask backup create`).
set -e

if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    # Per-worker metric files of a previous run must not add to this run's.
    rm -rf "${PROMETHEUS_MULTIPROC_DIR}"
    mkdir -p "${PROMETHEUS_MULTIPROC_DIR}"
fi

case "${1:-serve}" in
    serve)
        # Several instances share one database: let only one of them (or a
        # one-shot `migrate` service, as in docker-compose.yml) run migrations.
        if [ "${RUN_MIGRATIONS:-1}" != "0" ]; then
            flask db upgrade
        fi
        exec gunicorn --config gunicorn.conf.py --bind "0.0.0.0:${PORT:-8000}" wsgi:app
        ;;
    migrate)
        exec flask db upgrade
        ;;
    *)
        exec "$@"
        ;;
esac
