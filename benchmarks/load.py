"""Load benchmark: the questionnaire page and the full submission under 32
concurrent clients, on SQLite (WAL) and PostgreSQL, beside a minimal Flask
ceiling; writes benchmarks/results/load.json.

The city's shape (the default): the clients scan the QR codes of the demo
city's windows, one window each, and every form is a new citizen's phone
(cookies of its own, an address of its own behind the one trusted proxy, as
production runs behind nginx). `--one-window` puts every client on one window
from one address and browser, as a hall's Wi-Fi would under a stuffing
attack: each answer is judged a duplicate, and the window's rows of the day
grow by thousands a minute, which no real window sees.

usage: .venv/bin/python benchmarks/load.py [--seconds 5] [--rounds 3] [--clients 32] [--no-pg] [--one-window]

Every server listens on 127.0.0.1 only; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from harness import BIN, ROOT, Server, in_app, pg_available, pg_database

sys.path.insert(0, str(ROOT))
from surveyapp.services.questionnaires.default import DRIVER_KEYS  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "load.json"


def base_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SURVEYAPP_ENV="production",
        SECRET_KEY="benchmark-secret-key-0123456789",
        HASH_SALT="benchmark-hash-salt-0123456789",
        DATABASE_URL=database_url,
        CEILING_DATABASE_URL=database_url,
        FLASK_APP="wsgi.py",
        # Every client is 127.0.0.1 here; the per-address limit would stop a
        # load test, so it is lifted for the benchmark only.
        RATELIMIT_SUBMIT="1000000/minute",
        PUBLIC_BASE_URL="http://127.0.0.1",
        # The clients speak through one proxy, which names each citizen's
        # address in X-Forwarded-For (production behind nginx).
        TRUSTED_PROXIES="1",
    )
    return env


def prepare_database(env: dict[str, str]) -> list[str]:
    """Migrate, load the demo and return its windows' questionnaire paths
    (the first: a window of the city's main hall)."""
    flask = str(BIN / "flask")
    subprocess.run(
        [flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    subprocess.run(
        [flask, "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    code = (
        "from surveyapp import create_app\n"
        "from surveyapp.extensions import db\n"
        "from surveyapp.models import Hall\n"
        "from surveyapp.services.organisation.qr import hall_codes\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    main = db.session.query(Hall).filter_by(code='H450900').one()\n"
        "    halls = [main] + [h for h in db.session.query(Hall) if h is not main]\n"
        "    for hall in halls:\n"
        "        for entry in hall_codes(hall, 'http://x')[1:]:\n"
        "            print(entry.url.removeprefix('http://x'))\n"
    )
    return [line for line in in_app(code, env).split() if line.startswith("/s/")]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    refills: int = 0
    stored_keys: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, status: int, key: str | None = None) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if key:
                self.stored_keys.add(key)


class Client:
    """One virtual user with its own keep-alive connection and cookies."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.address = "127.0.0.1"  # the citizen's, as the proxy names it

    def request(self, method: str, path: str, body: dict | None = None):
        headers = {
            "User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/126 Mobile",
            "Accept-Language": "zh-CN",
            "X-Forwarded-For": self.address,
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, payload, response.getheader("Location")


def answers(n: int) -> dict:
    data = {
        "q_overall": str(5 - n % 5),
        "q_recommend": str(n % 11),
        "q_suggestion": "很好",
    }
    for i, key in enumerate(DRIVER_KEYS):
        data[f"q_drivers_{key}"] = str(1 + (n + i) % 5)
    if 5 - n % 5 <= 2:
        data["q_problems"] = ["waiting"]
        data["q_complaint"] = f"排队时间太长，窗口太少，第{n}次反映"
    return data


# Forms each client opens before the timed submissions, per second of the
# run: a client that runs out opens more in the timed phase, which the server
# then serves beside the POSTs (reported as forms_opened_while_timed).
PREFETCH_PER_SECOND = 40


def _form_fields(client: Client, path: str) -> dict[str, str] | None:
    """The form's hidden fields: its ticket (bound to this client's device
    cookie, the citizen form's CSRF check) and a CSRF token where a form has one."""
    _, page, _ = client.request("GET", path)
    html = page.decode()
    ticket = re.search(r'name="ticket" value="([^"]+)"', html)
    if not ticket:
        return None
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return {
        "ticket": ticket.group(1),
        **({"csrf_token": csrf.group(1)} if csrf else {}),
    }


COOKIES = "\x00cookies"
ADDRESS = "\x00address"
_citizens = iter(range(1, 10**9))
_citizens_lock = threading.Lock()


def _citizen_form(
    client: Client, path: str, own_address: bool
) -> dict[str, str] | None:
    """A form opened by a new citizen: a phone of its own (no cookies yet), so
    that every submission is one visit's rating (一事一评 would update a
    second one from the same phone instead of storing it), and with
    `own_address` an address of its own; the phone's cookies and address
    travel with the form to its POST."""
    client.cookies = {}
    if own_address:
        with _citizens_lock:
            n = next(_citizens)
        client.address = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
    fields = _form_fields(client, path)
    if fields is not None:
        fields[COOKIES] = dict(client.cookies)
        fields[ADDRESS] = client.address
    return fields


def run_scenario(
    port: int,
    kind: str,
    paths: list[str],
    seconds: float,
    clients: int,
    own_address: bool = True,
) -> Tally:
    """Each client loops for `seconds`. For submissions, every client first
    opens PREFETCH_PER_SECOND x seconds forms (fresh tickets bound to its cookie), untimed,
    so the timed phase measures the POST path alone, as the ceiling's insert."""
    tally = Tally()
    counter = iter(range(10**9))
    counter_lock = threading.Lock()
    start = threading.Barrier(clients)

    def worker(path: str) -> None:
        client = Client(port)
        forms: list[dict[str, str]] = []
        if kind == "post":
            for _ in range(int(PREFETCH_PER_SECOND * seconds)):
                fields = _citizen_form(client, path, own_address)
                if fields:
                    forms.append(fields)
        start.wait(timeout=600)
        stop_at = time.perf_counter() + seconds
        while time.perf_counter() < stop_at:
            try:
                if kind == "get":
                    t0 = time.perf_counter()
                    status, _, _ = client.request("GET", path)
                    tally.add(time.perf_counter() - t0, status)
                elif kind == "ceiling_insert":
                    t0 = time.perf_counter()
                    status, _, _ = client.request("POST", "/insert", {"q": "1"})
                    tally.add(time.perf_counter() - t0, status)
                else:
                    if not forms:
                        with tally.lock:
                            tally.refills += 1
                    fields = (
                        forms.pop()
                        if forms
                        else _citizen_form(client, path, own_address)
                    )
                    if fields is None:
                        continue
                    client.cookies = fields.pop(COOKIES)
                    client.address = fields.pop(ADDRESS)
                    with counter_lock:
                        n = next(counter)
                    body = {**fields, **answers(n)}
                    t0 = time.perf_counter()
                    status, _, location = client.request("POST", path, body)
                    key = (
                        location.rsplit("/", 1)[-1].split("?", 1)[0]
                        if status == 303 and location
                        else None
                    )
                    tally.add(time.perf_counter() - t0, status, key)
            except (OSError, http.client.HTTPException):
                with tally.lock:
                    tally.errors += 1
                client = Client(port)
                forms.clear()  # their tickets belonged to the old client's cookie

    threads = [
        threading.Thread(target=worker, args=(paths[i % len(paths)],))
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 660)
    return tally


def summarise(tally: Tally, seconds: float) -> dict:
    lat = sorted(tally.latencies)

    def pct(p: float) -> float | None:
        return (
            round(1000 * lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else None
        )

    ok = sum(v for k, v in tally.statuses.items() if 200 <= k < 400)
    return {
        "requests": len(lat),
        "ok": ok,
        "rps": round(ok / seconds, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": round(1000 * statistics.fmean(lat), 1) if lat else None,
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "connection_errors": tally.errors,
        **({"forms_opened_while_timed": tally.refills} if tally.refills else {}),
    }


def stored_public_ids(env: dict[str, str]) -> set[str]:
    code = (
        "from surveyapp import create_app\n"
        "from surveyapp.extensions import db\n"
        "from surveyapp.models import Response\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    for (k,) in db.session.query(Response.public_id):\n"
        "        print(k)\n"
    )
    return {
        line
        for line in in_app(code, env).split()
        if line and not line.startswith("demo-")
    }


def complaint_counts(env: dict[str, str]) -> tuple[int, int, int]:
    """(comments the run stored on responses that count, complaints recorded
    of them, still pending); the demo's own responses and the rejected ones
    (which open no complaint) are left out."""
    code = (
        "from sqlalchemy import func, select\n"
        "from surveyapp import create_app\n"
        "from surveyapp.extensions import db\n"
        "from surveyapp.models import Response\n"
        "from surveyapp.models.complaints import Complaint\n"
        "from surveyapp.services.responses.counting import response_counts\n"
        "app = create_app()\n"
        "run = Response.public_id.not_like('demo-%')\n"
        "of_run = select(func.count(Complaint.id)).join(Complaint.response).where(run)\n"
        "with app.app_context():\n"
        "    q = db.session.scalar\n"
        "    print(q(select(func.count(Response.id)).where(\n"
        "              run, Response.comment != '', response_counts())),\n"
        "          q(of_run), q(of_run.where(Complaint.routing == 'pending')))\n"
    )
    return tuple(int(x) for x in in_app(code, env).split()[-3:])


def worker_drained(env: dict[str, str], timeout: float = 60.0) -> dict:
    """Wait for the complaints worker to record and classify every stored
    comment (pending: recorded, not yet classified)."""
    started = time.perf_counter()
    while True:
        comments, recorded, pending = complaint_counts(env)
        done = recorded >= comments and pending == 0
        if done or time.perf_counter() - started > timeout:
            break
        time.sleep(1)
    return {
        "comments_stored": comments,
        "complaints_recorded": recorded,
        "left_pending": pending,
        "seconds_to_drain_after_run": round(time.perf_counter() - started, 1),
    }


def classification_lag(env: dict[str, str]) -> dict:
    """Seconds from a response's storing to its complaint's classification by
    the worker, over the run's complaints: how long a complaint waits before
    it reaches its department."""
    code = (
        "from sqlalchemy import select\n"
        "from surveyapp import create_app\n"
        "from surveyapp.extensions import db\n"
        "from surveyapp.models import Response\n"
        "from surveyapp.models.complaints import Complaint\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    rows = db.session.execute(select(Response.submitted_at,\n"
        "        Complaint.classified_at).join(Complaint.response).where(\n"
        "        Response.public_id.not_like('demo-%'),\n"
        "        Complaint.classified_at.is_not(None)))\n"
        "    for a, b in rows:\n"
        "        print((b - a).total_seconds())\n"
    )
    lags = sorted(float(x) for x in in_app(code, env).split())
    if not lags:
        return {"classified": 0}

    def pct(p: float) -> float:
        return round(lags[min(len(lags) - 1, int(p * len(lags)))], 2)

    return {
        "classified": len(lags),
        "p50_s": pct(0.5),
        "p95_s": pct(0.95),
        "max_s": round(lags[-1], 2),
    }


def merge(tallies: list[Tally]) -> Tally:
    merged = Tally()
    for tally in tallies:
        merged.latencies += tally.latencies
        for status, n in tally.statuses.items():
            merged.statuses[status] = merged.statuses.get(status, 0) + n
        merged.errors += tally.errors
        merged.refills += tally.refills
        merged.stored_keys |= tally.stored_keys
    return merged


def cpu_times() -> tuple[int, int]:
    """(all CPU time, the part the hypervisor gave to other machines: steal),
    in ticks since boot, from /proc/stat (Linux; zeros elsewhere)."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return sum(ticks[:8]), ticks[7] if len(ticks) > 7 else 0


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def bench_database(
    label: str,
    url: str,
    seconds: float,
    clients: int,
    rounds: int,
    one_window: bool = False,
) -> dict:
    """The app and its ceiling served side by side, their scenarios interleaved
    in `rounds` rounds of `seconds` each (app page, ceiling page, app
    submission, ceiling insert), so that this shared machine's drift over a
    run falls on both alike; figures pool the rounds, ratios are also given
    per round."""
    env = base_env(url)
    windows = prepare_database(env)
    paths = windows[:1] if one_window else windows
    # This machine is shared: its load beside the figures says how far to trust them.
    result: dict = {
        "database": label,
        "windows": len(paths),
        "load_average_at_start": os.getloadavg()[0],
    }
    cpu_at_start = cpu_times()
    worker = subprocess.Popen(
        [str(BIN / "flask"), "complaints", "work", "--interval", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Server("wsgi:app", env)
    ceiling = Server("ceiling_app:app", env, cwd=ROOT / "benchmarks")
    scenarios = {
        "questionnaire_get": (server, "get", paths),
        "ceiling_template": (ceiling, "get", ["/page"]),
        "submission_post": (server, "post", paths),
        "ceiling_insert": (ceiling, "ceiling_insert", ["/insert"]),
    }
    tallies: dict[str, list[Tally]] = {name: [] for name in scenarios}
    try:
        run_scenario(server.port, "get", paths, 2, 4)  # warm-up
        run_scenario(ceiling.port, "get", ["/page"], 2, 4)
        drains = []
        for _ in range(rounds):
            for name, (where, kind, target) in scenarios.items():
                tallies[name].append(
                    run_scenario(
                        where.port, kind, target, seconds, clients, not one_window
                    )
                )
                if kind == "post":
                    # The worker classifies this round's complaints before the
                    # ceiling runs: its CPU is the submissions' cost, not the
                    # ceiling's.
                    drains.append(worker_drained(env))
        result["complaints_worker"] = {
            **drains[-1],
            "seconds_to_drain_after_each_round": [
                d["seconds_to_drain_after_run"] for d in drains
            ],
        }
    finally:
        server.stop()
        ceiling.stop()
        worker.terminate()
        worker.wait(timeout=30)
    for name in scenarios:
        result[name] = summarise(merge(tallies[name]), seconds * rounds)
    result["complaints_worker"]["classification_lag"] = classification_lag(env)
    post = merge(tallies["submission_post"])
    stored = stored_public_ids(env)
    result["nothing_lost"] = {
        "answered_2xx_3xx": len(post.stored_keys),
        "stored_rows": len(stored),
        "answered_but_not_stored": len(post.stored_keys - stored),
        "stored_but_not_answered": len(stored - post.stored_keys),
    }

    def ratio(app: str, ceil: str) -> float:
        return round(result[app]["rps"] / max(result[ceil]["rps"], 1e-9), 3)

    def per_round(app: str, ceil: str) -> list[float]:
        return [
            round(summarise(a, 1)["ok"] / max(summarise(c, 1)["ok"], 1), 3)
            for a, c in zip(tallies[app], tallies[ceil], strict=True)
        ]

    result["load_average_at_end"] = os.getloadavg()[0]
    # A virtual machine's CPU taken by its neighbours on the host during the
    # run, which the load average does not show.
    total, steal = (b - a for a, b in zip(cpu_at_start, cpu_times(), strict=True))
    result["cpu_steal_share"] = round(steal / total, 3) if total else None
    result["page_vs_template_ceiling"] = ratio("questionnaire_get", "ceiling_template")
    result["submission_vs_insert_ceiling"] = ratio("submission_post", "ceiling_insert")
    result["per_round"] = {
        "page_vs_template_ceiling": per_round("questionnaire_get", "ceiling_template"),
        "submission_vs_insert_ceiling": per_round("submission_post", "ceiling_insert"),
        "submission_p99_ms": [
            summarise(t, seconds)["p99_ms"] for t in tallies["submission_post"]
        ],
    }
    # A round whose app or ceiling met a burst of other work on the machine
    # moves the pooled figure; the median round does not.
    result["submission_vs_insert_ceiling_median_round"] = statistics.median(
        result["per_round"]["submission_vs_insert_ceiling"]
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5, help="per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument(
        "--one-window",
        action="store_true",
        help="every client on one window from one address (a stuffing attack)",
    )
    args = parser.parse_args()
    model = ROOT / "instance" / "models" / "seed"
    if not model.exists():  # the worker would record but never classify
        sys.exit(f"no complaint classifier at {model}: run `make models` first")
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        runs.append(
            bench_database(
                "sqlite-wal",
                f"sqlite:///{tmp}/load.db",
                args.seconds,
                args.clients,
                args.rounds,
                args.one_window,
            )
        )
    if pg_available() and not args.no_pg:
        name = f"surveyapp_load_{os.getpid()}"
        try:
            url = pg_database(name, create=True)
            runs.append(
                bench_database(
                    "postgresql",
                    url,
                    args.seconds,
                    args.clients,
                    args.rounds,
                    args.one_window,
                )
            )
        finally:
            pg_database(name, create=False)
    report = {
        "shape": "one window, one address" if args.one_window else "the city",
        "clients": args.clients,
        "seconds_per_round": args.seconds,
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "workers": os.environ.get("WEB_CONCURRENCY", "2 x cpu"),
        "runs": runs,
    }
    results = RESULTS.with_name("load_one_window.json") if args.one_window else RESULTS
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
