"""Scale in the database: a city's three years of responses in PostgreSQL
(5,000,000 by default) beside the embedded SQLite (1,000,000), through the
real migrations; the office pages' p50/p95, an index run for a quarter, the
quarter's responses export (time and peak memory) and exports of growing
size (constant memory). Writes benchmarks/results/scale.json.

usage: .venv/bin/python benchmarks/scale.py [--pg-size 5000000]
       [--sqlite-size 1000000] [--requests 20] [--no-pg] [--no-sqlite] [--keep]

Each database is measured in a process of its own. The PostgreSQL database
is the benchmark's own (scale_bench), dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import BIN, ROOT, pg_available, pg_database

RESULTS = ROOT / "benchmarks" / "results" / "scale.json"
PG_NAME = "scale_bench"
QUARTER = "2026-Q3"
QUARTER_DAYS = ("2026-07-01", "2026-09-30")
# Exports of growing size for the constant-memory figure: (name, from, to).
EXPORT_SIZES = [
    ("month", "2026-09-01", "2026-09-30"),
    ("quarter", *QUARTER_DAYS),
    ("year", "2025-10-01", "2026-09-30"),
]


def pages(hall_id: int, hall_code: str) -> list[tuple[str, str]]:
    """The pages measured: (name, url). A page this branch does not have
    (404) is skipped, so pages still being built elsewhere (/open/) can be
    listed here already."""
    return [
        ("office summary", "/office/"),
        (
            "office summary, a quarter",
            f"/office/?from={QUARTER_DAYS[0]}&to={QUARTER_DAYS[1]}",
        ),
        ("responses, first page", "/office/responses"),
        ("responses, last page", "/office/responses?last=1"),
        ("responses, a hall's first page", f"/office/responses?hall={hall_id}"),
        ("responses, a hall's last page", f"/office/responses?hall={hall_id}&last=1"),
        ("responses, rating 1", "/office/responses?rating=1"),
        ("a hall's summary", f"/office/?hall={hall_id}"),
        ("a hall's page (organisation)", f"/office/organisation/hall/{hall_id}"),
        ("cases, first page", "/office/cases"),
        ("cases, last page", "/office/cases?last=1"),
        ("cases, a hall", f"/office/cases?hall={hall_id}"),
        ("public record: every hall", "/open/"),
        ("public record: a hall", f"/open/halls/{hall_code}"),
        ("public record: halls.json", "/open/halls.json"),
        ("public record: halls.csv", "/open/halls.csv"),
    ]


def _env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SURVEYAPP_ENV="production",
        SECRET_KEY="benchmark-secret-key-0123456789",
        HASH_SALT="benchmark-hash-salt-0123456789",
        DATABASE_URL=url,
        FLASK_APP="wsgi.py",
        PUBLIC_BASE_URL="http://127.0.0.1",
    )
    return env


def _rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def forked(work):
    """Run `work()` in a forked child: (its result, seconds, peak RSS in MB
    above the child's RSS at the fork) -- each measurement's memory alone."""
    from surveyapp.extensions import db

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: fresh connections, never the parent's
        os.close(read)
        db.engine.dispose(close=False)
        base = _rss_kb()
        began = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - began
        with os.fdopen(write, "w") as out:
            json.dump({"result": result, "seconds": seconds, "base_kb": base}, out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as source:
        data = source.read()
    _pid, status, usage = os.wait4(pid, 0)
    if status != 0 or not data:
        raise RuntimeError(f"measurement failed (status {status})")
    report = json.loads(data)
    peak_mb = (usage.ru_maxrss - report["base_kb"]) / 1024
    return report["result"], report["seconds"], round(peak_mb, 1)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def time_pages(app, requests: int, hall_id: int, hall_code: str) -> dict:
    client = app.test_client()
    sign_in = client.post(
        "/office/login", data={"username": "bench", "password": "benchmark pass 123"}
    )
    assert sign_in.status_code == 302, sign_in.status_code
    figures = {}
    for name, url in pages(hall_id, hall_code):
        first = client.get(url)
        if first.status_code == 404:
            figures[name] = {"url": url, "skipped": "404 on this branch"}
            continue
        assert first.status_code == 200, (url, first.status_code)
        times = []
        for _ in range(requests):
            began = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200
        figures[name] = {
            "url": url,
            "requests": requests,
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(_percentile(times, 0.95), 1),
            "max_ms": round(max(times), 1),
        }
        print(
            f"  {name}: p50 {figures[name]['p50_ms']} ms, p95 {figures[name]['p95_ms']} ms"
        )
    return figures


def _export(date_from: str, date_to: str) -> dict:
    from datetime import date

    from surveyapp.services.responses.exports import response_sheet
    from surveyapp.services.responses.summaries import ResponseFilter
    from surveyapp.tables.writer import csv_chunks

    filters = ResponseFilter(
        date_from=date.fromisoformat(date_from), date_to=date.fromisoformat(date_to)
    )
    size = rows = 0
    with open(os.devnull, "wb") as sink:
        for chunk in csv_chunks(response_sheet(filters)):
            sink.write(chunk)
            size += len(chunk)
            rows += chunk.count(b"\n")
    return {"bytes": size, "rows": rows - 1}


def _index_run() -> dict:
    from surveyapp.services.indices.computing import compute_run

    run = compute_run(QUARTER, "hall", "fixed")
    return {"units": len(run.results), "responses": run.response_count}


def _app(url: str):
    os.environ.update(_env(url))  # the configuration reads them at import
    sys.path.insert(0, str(ROOT))
    from surveyapp import create_app

    return create_app(
        {
            "ENV_NAME": "production",
            "SQLALCHEMY_DATABASE_URI": url,
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )


def pages_again(url: str, requests: int) -> dict:
    from sqlalchemy import select

    app = _app(url)
    from surveyapp.extensions import db
    from surveyapp.models import Hall

    with app.app_context():
        hall = db.session.scalar(select(Hall).where(Hall.code == "HB020"))
        hall_id, hall_code = hall.id, hall.code
        db.session.remove()
        return time_pages(app, requests, hall_id, hall_code)


def measure_one(backend: str, url: str, size: int, requests: int) -> dict:
    """Migrate, seed and measure one database (runs in its own process)."""
    env = _env(url)
    began = time.perf_counter()
    subprocess.run(
        [str(BIN / "flask"), "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    migrate_s = time.perf_counter() - began
    from sqlalchemy import func, select

    app = _app(url)
    from scale_seed import load, seed_city

    from surveyapp.models import ComplaintCase, Hall
    from surveyapp.services.admin.users import create_user
    from surveyapp.services.responses import rollups

    result: dict = {
        "backend": backend,
        "responses": size,
        "migrate_s": round(migrate_s, 1),
    }
    with app.app_context():
        from surveyapp.extensions import db

        windows = seed_city()
        create_user("bench", "benchmark pass 123", "admin")
        print(f"{backend}: seeding {size:,} responses")
        began = time.perf_counter()
        seeding = load(size, windows)
        seeding["total_s"] = time.perf_counter() - began
        result["seed"] = {k: round(v, 1) for k, v in seeding.items()}
        result["cases"] = db.session.scalar(select(func.count(ComplaintCase.id)))
        result["halls"] = db.session.scalar(select(func.count(Hall.id)))
        print(f"  seeded in {seeding['total_s']:.0f} s: {result['seed']}")
        began = time.perf_counter()
        rollup_rows = rollups.refresh()
        result["rollup"] = {
            "rows": rollup_rows,
            "refresh_s": round(time.perf_counter() - began, 2),
        }
        hall = db.session.scalar(select(Hall).where(Hall.code == "HB020"))
        hall_id, hall_code = hall.id, hall.code
        db.session.remove()
        result["pages"] = time_pages(app, requests, hall_id, hall_code)
        db.session.remove()
        run, seconds, peak = forked(_index_run)
        result["index_run"] = {**run, "seconds": round(seconds, 1), "peak_rss_mb": peak}
        print(f"  index run {QUARTER}: {seconds:.1f} s, {peak} MB, {run}")
        exports = {}
        for name, date_from, date_to in EXPORT_SIZES:
            rows, seconds, peak = forked(lambda a=date_from, b=date_to: _export(a, b))
            exports[name] = {**rows, "seconds": round(seconds, 1), "peak_rss_mb": peak}
            print(f"  export {name}: {seconds:.1f} s, {peak} MB, {rows}")
        result["exports"] = exports
        result["index_run_vs_export"] = round(
            result["index_run"]["seconds"] / exports["quarter"]["seconds"], 2
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg-size", type=int, default=5_000_000)
    parser.add_argument("--sqlite-size", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--one", nargs=3, metavar=("BACKEND", "URL", "SIZE"))
    parser.add_argument(
        "--pages-again",
        nargs=2,
        metavar=("URL", "JSON"),
        help="time the pages again on a database seeded by an earlier run "
        "(kept with --keep) and replace them in that run's JSON",
    )
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.pages_again:
        url, previous = args.pages_again
        figures = json.loads(Path(previous).read_text())
        figures["pages"] = pages_again(url, args.requests)
        figures["pages_timed_again_at"] = time.strftime(
            "%Y-%m-%d %H:%M UTC", time.gmtime()
        )
        figures["load_when_pages_timed"] = round(os.getloadavg()[0], 1)
        Path(previous).write_text(json.dumps(figures))
        return
    if args.one:
        backend, url, size = args.one
        figures = measure_one(backend, url, int(size), args.requests)
        Path(args.out).write_text(json.dumps(figures))
        return
    # A run of one backend keeps the other's figures from the last run.
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["machine"] = (
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start"
    )
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_sqlite:
            runs.append(("sqlite", f"sqlite:///{tmp}/scale.db", args.sqlite_size))
        if not args.no_pg and pg_available():
            runs.append(("postgresql", pg_database(PG_NAME, create=True), args.pg_size))
        for backend, url, size in runs:
            out = Path(tmp) / f"{backend}.json"
            try:
                subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--one",
                        backend,
                        url,
                        str(size),
                        "--requests",
                        str(args.requests),
                        "--out",
                        str(out),
                    ],
                    check=True,
                    timeout=4 * 3600,
                )
                results[backend] = json.loads(out.read_text())
            finally:
                if backend == "postgresql" and not args.keep:
                    pg_database(PG_NAME, create=False)
    results["load_at_end"] = round(os.getloadavg()[0], 1)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
