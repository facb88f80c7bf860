"""gunicorn settings; every value can be overridden with GUNICORN_CMD_ARGS."""

import gc
import multiprocessing
import os

workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
worker_class = "sync" if threads == 1 else "gthread"
# Load the app (and jieba's dictionary) once before forking, so workers share it.
preload_app = True
# ... which the app factory does when COMPLAINTS_PRELOAD is on (issue 6).
os.environ.setdefault("COMPLAINTS_PRELOAD", "1")
timeout = 30
# A web request's statement ends well before the worker timeout above: a
# long lock (a migration, another process) gives the citizen the 503 page
# that keeps every answer instead of a killed worker (config.py). Set here,
# not in config.py, so that commands (migrations, index runs) have none.
os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT_S", "15")
graceful_timeout = 20
keepalive = 5
accesslog = None
errorlog = "-"
# A worker is replaced after this many requests, a bound on any slow leak;
# rarely enough that a replacement (fork, new database connection, cold
# caches) stays out of the way at the closing-hour peak (benchmarks/README.md).
# GUNICORN_CMD_ARGS="--max-requests N" overrides it.
max_requests = 50000
max_requests_jitter = 5000


def when_ready(server):
    """In the master, after preload_app, before any worker forks."""
    app = server.app.wsgi()
    if hasattr(app, "jinja_env"):
        # Jinja compiles a template on first use, in every new worker and in
        # every worker max_requests restarts; compiled here, they inherit them.
        for name in app.jinja_env.list_templates():
            app.jinja_env.get_template(name)
    # The preloaded app and complaint model are long-lived: frozen before the
    # workers fork, the workers' collections never scan them (nor touch their
    # pages, which stay shared). Python's gc.freeze() documentation.
    gc.collect()
    gc.freeze()


def child_exit(server, worker):
    # Prometheus multiprocess mode (PROMETHEUS_MULTIPROC_DIR set): drop a dead
    # worker's live gauges; its counters and histograms stay in the totals.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
