"""gunicorn settings; every value can be overridden with GUNICORN_CMD_ARGS."""

import multiprocessing
import os

workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
worker_class = "sync" if threads == 1 else "gthread"
# Load the app (and the complaint model) once before forking, so workers share it.
preload_app = True
# ... which the app factory does when COMPLAINTS_PRELOAD is on (issue 6).
os.environ.setdefault("COMPLAINTS_PRELOAD", "1")
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = None
errorlog = "-"
max_requests = 5000
max_requests_jitter = 500


def child_exit(server, worker):
    # Prometheus multiprocess mode (PROMETHEUS_MULTIPROC_DIR set): drop a dead
    # worker's live gauges; its counters and histograms stay in the totals.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
