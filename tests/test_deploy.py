"""Deployment: the compose example, nginx, the Dockerfile, and the image's steps
run as plain commands (CI has no container engine)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from surveyapp import create_app
from surveyapp.config import DEV_SALT, DEV_SECRET, Config

yaml = pytest.importorskip("yaml", reason="PyYAML is in requirements-dev.txt")

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
APP_SERVICES = ("app1", "app2")
ENV_REFERENCE = re.compile(r"^\$\{[A-Z_]+(:\?[^}]*)?\}$")
SECRETS = {"SECRET_KEY": "k" * 40, "HASH_SALT": "s" * 40}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _env(compose: dict, service: str) -> dict:
    return compose["services"][service]["environment"]


def test_compose_has_postgres_redis_two_apps_behind_nginx(compose):
    services = compose["services"]
    assert {"db", "redis", "nginx", *APP_SERVICES} <= set(services)
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    for name in APP_SERVICES:
        assert services[name]["build"] == "."
        assert _env(compose, name)["SURVEYAPP_ENV"] == "production"
    assert set(APP_SERVICES) <= set(services["nginx"]["depends_on"])
    assert any("nginx.conf" in volume for volume in services["nginx"]["volumes"])


def test_a_worker_classifies_complaints_beside_the_web_instances(compose):
    worker = compose["services"]["worker"]
    assert worker["command"] == ["flask", "complaints", "work"]
    # The same image and settings as the web instances, which leave it the work.
    assert _env(compose, "worker") == _env(compose, APP_SERVICES[0])
    for name in APP_SERVICES:
        assert "command" not in compose["services"][name]


def test_make_run_starts_the_same_complaints_worker():
    """One pipeline: `make run` runs the worker beside gunicorn, as compose does."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile[makefile.index("\nrun:") :].split("\n\n")[0]
    assert "flask complaints work &" in recipe and "gunicorn" in recipe


def test_app_instances_share_postgres_and_redis(compose):
    envs = [_env(compose, name) for name in APP_SERVICES]
    urls = {env["DATABASE_URL"] for env in envs}
    assert len(urls) == 1 and urls.pop().startswith("postgresql://")
    limits = {env["RATELIMIT_STORAGE_URI"] for env in envs}
    assert len(limits) == 1 and limits.pop().startswith("redis://redis:")
    for env in envs:
        assert int(env["TRUSTED_PROXIES"]) == 1  # nginx
        assert int(env["MAX_CONTENT_LENGTH"]) == Config.MAX_CONTENT_LENGTH


def test_secrets_come_from_the_environment_never_literals(compose):
    for name in APP_SERVICES:
        env = _env(compose, name)
        for key in ("SECRET_KEY", "HASH_SALT"):
            assert ENV_REFERENCE.match(env[key]), (name, key, env[key])
        assert "${POSTGRES_PASSWORD" in env["DATABASE_URL"]
    db_password = _env(compose, "db")["POSTGRES_PASSWORD"]
    assert ENV_REFERENCE.match(db_password)


def test_nginx_proxies_with_request_id_gzip_and_the_body_limit():
    conf = (ROOT / "docker" / "nginx.conf").read_text(encoding="utf-8")
    for name in APP_SERVICES:
        assert f"server {name}:8000" in conf
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf
    assert "proxy_set_header X-Request-ID $req_id;" in conf
    assert re.search(r"^\s*gzip on;", conf, re.M)
    size = re.search(r"client_max_body_size (\d+)k;", conf)
    assert size and int(size.group(1)) * 1024 == Config.MAX_CONTENT_LENGTH
    # File uploads get their own limit on their own paths.
    upload = re.search(
        r"location ~ \^/\(firm[^{]*\{\s*client_max_body_size (\d+)m;", conf
    )
    assert upload and int(upload.group(1)) * 1024**2 == Config.FIRM_UPLOAD_MAX_BYTES
    assert "location = /metrics { return 404; }" in conf
    assert "$remote_addr" not in conf and "$http_user_agent" not in conf


def test_dockerfile_builds_a_non_root_image_that_migrates_on_start():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    assert "pybabel compile" in dockerfile
    assert "/healthz" in dockerfile
    assert "scripts/train_seed_model.py" in dockerfile
    entrypoint = (ROOT / "docker" / "entrypoint.sh").read_text(encoding="utf-8")
    assert "flask db upgrade" in entrypoint and "exec gunicorn" in entrypoint
    assert os.access(ROOT / "docker" / "entrypoint.sh", os.X_OK)


@pytest.mark.parametrize("key", ["SECRET_KEY", "HASH_SALT"])
@pytest.mark.parametrize("value", ["", None, "short", "default"])
def test_production_refuses_default_or_missing_secrets(key, value):
    config = {
        "ENV_NAME": "production",
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        **SECRETS,
    }
    defaults = {"SECRET_KEY": DEV_SECRET, "HASH_SALT": DEV_SALT}
    config[key] = defaults[key] if value == "default" else value
    with pytest.raises(RuntimeError, match=key):
        create_app(config)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _production_env(tmp_path: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECRET", "HASH"))}
    env.update(
        SURVEYAPP_ENV="production",
        FLASK_APP="wsgi.py",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.db'}",
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        WEB_CONCURRENCY="2",
        **extra,
    )
    env.pop("TEST_DATABASE_URL", None)
    return env


def _get(url: str, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_production_refuses_to_boot_gunicorn_with_default_secrets(tmp_path):
    env = _production_env(tmp_path)
    port = _free_port()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "SECRET_KEY must be set" in done.stderr


def test_image_steps_as_plain_commands(tmp_path):
    """Compile translations, upgrade an empty database, start gunicorn with the
    production config, and find it healthy and ready."""
    catalogs = tmp_path / "translations"
    shutil.copytree(ROOT / "surveyapp" / "translations", catalogs)
    subprocess.run(
        [str(BIN / "pybabel"), "compile", "-d", str(catalogs)],
        check=True,
        capture_output=True,
    )
    assert list(catalogs.glob("*/LC_MESSAGES/messages.mo"))

    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = _production_env(
        tmp_path,
        **SECRETS,
        METRICS_TOKEN="scrape-token-1",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    upgrade = subprocess.run(
        [str(BIN / "flask"), "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert upgrade.returncode == 0, upgrade.stderr[-2000:]

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                status, _ = _get(f"{base}/healthz")
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()[-2000:]
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
        assert status == 200
        status, body = _get(f"{base}/readyz")
        assert status == 200, body
        assert _get(f"{base}/metrics")[0] == 401
        for _ in range(4):  # spread over both workers
            _get(f"{base}/")
        status, body = _get(
            f"{base}/metrics", {"Authorization": "Bearer scrape-token-1"}
        )
        assert status == 200
        served = re.findall(
            r'surveyapp_http_request_duration_seconds_count\{endpoint="public.index"'
            r".*\} (\S+)",
            body,
        )
        assert sum(float(v) for v in served) == 4  # every worker's, aggregated
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            _, errors = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            _, errors = server.communicate()
    assert server.returncode == 0
    # The JSON request log went to stderr, one line per request.
    lines = [line for line in errors.splitlines() if line.startswith('{"ts"')]
    assert any('"endpoint": "public.index"' in line for line in lines)


def test_gunicorn_master_compiles_templates_and_freezes_before_forking(
    app, monkeypatch
):
    """when_ready runs in the master after preload_app: every worker then
    inherits compiled templates (no ~80 ms first page, also after a
    max_requests restart) and a frozen heap its collections never scan."""
    import gc
    import importlib.util
    from types import SimpleNamespace

    spec = importlib.util.spec_from_file_location(
        "gunicorn_conf", ROOT / "gunicorn.conf.py"
    )
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    frozen: list[int] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(1))
    app.jinja_env.cache.clear()
    server = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app))
    conf.when_ready(server)
    compiled = {name for (_, name) in app.jinja_env.cache.keys()}
    assert "public/questionnaire.html" in compiled
    assert compiled == set(app.jinja_env.list_templates())
    assert frozen == [1]
