#!/bin/sh
# Container start: bring the schema up to date, then serve.
set -e
flask db upgrade
exec gunicorn --config gunicorn.conf.py --bind "0.0.0.0:${PORT:-8000}" wsgi:app
