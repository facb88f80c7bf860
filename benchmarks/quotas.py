"""Quota counting under concurrency: gunicorn workers, parallel citizens, one cell."""

# Run: .venv/bin/python benchmarks/quotas.py [--submissions 200] [--target 20]
#   -> benchmarks/results/quotas.json
# For each database (a temporary SQLite file in WAL mode, and PostgreSQL when
# 127.0.0.1:5432 answers) the script seeds a project with one quota cell of a
# small target, starts gunicorn with several workers on 127.0.0.1, prepares
# every citizen's form (screener passed while the cell is empty), then submits
# them all at once from a thread pool. It records overfill (count above target,
# must be 0), lost responses (submitted but not stored, must be 0) and
# throughput of the submission phase. Every loop is bounded.

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from harness import ROOT, Server, last_line, pg_available, pg_database

sys.path.insert(0, str(ROOT))
from surveyapp.services.questionnaires.default import DRIVER_KEYS  # noqa: E402


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _env(url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SURVEYAPP_ENV": "development",
        "SECRET_KEY": "benchmark-secret-key-0123456789",
        "HASH_SALT": "benchmark-salt-0123456789",
        "RATELIMIT_SUBMIT": "100000/minute",
        "LOG_REQUESTS": "0",
        # Instant machine submissions would be rejected as speeders and so never
        # reach the quota claim; this benchmark measures counting, not quality.
        "QUALITY_ON_SUBMIT": "0",
    }


def _seed(url: str, target: int) -> str:
    """Create the schema, the demo halls and a project; returns the QR path."""
    code = f"""
from datetime import timedelta
from surveyapp import create_app
from surveyapp.extensions import db
from surveyapp.models import Questionnaire
from surveyapp.models.sampling import QuotaCell
from surveyapp.services.admin.demo import seed_demo
from surveyapp.services.fieldwork.projects import create_firm, create_project, local_today
from surveyapp.services.organisation.qr import hall_codes
from surveyapp.services.questionnaires.versions import current_version
from tests.firm_factories import hall
app = create_app()
with app.app_context():
    db.drop_all(); db.create_all(); seed_demo(0)
    q = db.session.scalar(db.select(Questionnaire.id).where(Questionnaire.is_default))
    today = local_today()
    p = create_project("BENCH", "bench", current_version(q).id,
                       today - timedelta(days=1), today + timedelta(days=1),
                       firm_id=create_firm("BF", "Bench firm").id,
                       hall_ids=[hall().id], over_quota_policy="keep_marked")
    db.session.add(QuotaCell(project_id=p.id, hall_id=hall().id, category="nr",
                             target={target}))
    db.session.commit()
    print(hall_codes(hall(), "http://x")[1].url.removeprefix("http://x"))
"""
    return last_line(code, _env(url))


def _count(url: str) -> dict:
    code = """
import json
from sqlalchemy import func, select
from surveyapp import create_app
from surveyapp.extensions import db
from surveyapp.models import Response
from surveyapp.models.sampling import QuotaCell
app = create_app()
with app.app_context():
    cell = db.session.scalars(select(QuotaCell)).one()
    rows = db.session.execute(select(Response.quota_counted, Response.over_quota)).all()
    print(json.dumps({"completed": cell.completed, "target": cell.target,
                      "stored": len(rows), "counted": sum(r[0] for r in rows),
                      "over_quota": sum(r[1] for r in rows)}))
"""
    return json.loads(last_line(code, _env(url)))


def _field(name: str, html: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    return match.group(1) if match else ""


class Citizen:
    """One browser: its own cookies, its screener passed, its form ready."""

    def __init__(self, base: str, path: str):
        self.base, self.path = base, path
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), _NoRedirect
        )
        self.data: dict | None = None

    def _open(self, url: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data else None
        try:
            with self.opener.open(self.base + url, body, timeout=60) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def prepare(self, item_id: str) -> bool:
        _status, page = self._open(self.path)
        csrf = _field("csrf_token", page)
        status, form = self._open(
            self.path + "/screen", {"csrf_token": csrf, "service_item": item_id}
        )
        ticket = _field("ticket", form)
        if status != 200 or not ticket:
            return False
        answers = {"q_overall": "4", **{f"q_drivers_{k}": "4" for k in DRIVER_KEYS}}
        self.data = {
            "csrf_token": _field("csrf_token", form),
            "ticket": ticket,
            "screened": "1",
            "service_item": item_id,
            **answers,
        }
        return True

    def submit(self) -> int:
        return self._open(self.path, self.data)[0]


def run(
    name: str, url: str, submissions: int, target: int, workers: int, clients: int
) -> dict:
    path = _seed(url, target)
    server = Server(
        "wsgi:app", _env(url), options=("-w", str(workers), "--timeout", "120")
    )
    base = server.base
    try:
        item_id = _item_id(url)
        citizens = [Citizen(base, path) for _ in range(submissions)]
        with ThreadPoolExecutor(clients) as pool:
            prepared = list(pool.map(lambda c: c.prepare(item_id), citizens))
        ready = [c for c, ok in zip(citizens, prepared, strict=True) if ok]
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            statuses = list(pool.map(lambda c: c.submit(), ready))
        seconds = time.perf_counter() - started
    finally:
        server.stop()
    counts = _count(url)
    accepted = sum(1 for s in statuses if s == 303)
    return {
        "database": name,
        "gunicorn_workers": workers,
        "client_threads": clients,
        "target": target,
        "attempted": submissions,
        "prepared": len(ready),
        "accepted_303": accepted,
        "http_errors": {str(s): statuses.count(s) for s in set(statuses) if s != 303},
        **counts,
        "filled_exactly": counts["completed"] == target == counts["counted"],
        "overfill": max(counts["completed"] - target, counts["counted"] - target, 0),
        "lost_responses": len(ready) - counts["stored"],
        "seconds": round(seconds, 3),
        "submissions_per_second": round(len(ready) / seconds, 1) if seconds else None,
    }


def _item_id(url: str) -> str:
    code = (
        "from surveyapp import create_app\nfrom tests.firm_factories import item\n"
        "app = create_app()\nwith app.app_context(): print(item().id)"
    )
    return last_line(code, _env(url), timeout=120)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--target", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        results.append(
            run(
                "sqlite-wal",
                url,
                args.submissions,
                args.target,
                args.workers,
                args.clients,
            )
        )
    if pg_available():
        name = f"bench_quotas_{os.getpid()}"
        try:
            results.append(
                run(
                    "postgresql",
                    pg_database(name, create=True),
                    args.submissions,
                    args.target,
                    args.workers,
                    args.clients,
                )
            )
        finally:
            pg_database(name, create=False)
    else:
        print("PostgreSQL not reachable on 127.0.0.1:5432, skipped")
    out = ROOT / "benchmarks" / "results" / "quotas.json"
    out.write_text(
        json.dumps({"python": sys.version.split()[0], "runs": results}, indent=2) + "\n"
    )
    print(json.dumps(results, indent=2))
    return (
        0
        if all(r["overfill"] == 0 and r["lost_responses"] == 0 for r in results)
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())
