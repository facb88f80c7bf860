"""WSGI entry point for gunicorn: `gunicorn wsgi:app`."""

from surveyapp import create_app

app = create_app()
