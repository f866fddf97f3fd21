"""Two gunicorn processes that share one cache make one upstream call per ticket per TTL.

Each test starts the dashboard twice with gunicorn, on one SQLite file and one shared cache:
a real redis-server, or the database cache in that SQLite file. The simulator runs in the test
process. These tests take a few seconds each, so they carry the `slow` mark.
"""

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.redis_fixtures import free_port
from tickets.sendcloud.simulator import Latency

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parent.parent
USERNAME = "agent"
PASSWORD = "correct horse battery staple"
TTL_SECONDS = 3
START_TIMEOUT_SECONDS = 30
REQUEST_TIMEOUT = 15
CONCURRENT_REQUESTS = 50
TICKET_PATH = "/dsf/tickets/43"


def run_manage(env: dict, *arguments: str) -> None:
    subprocess.run(  # noqa: S603 (a fixed command)
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )


def wait_until_serving(url: str, process: subprocess.Popen) -> None:
    give_up_at = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < give_up_at:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn for {url} exited with {process.returncode}")
        try:
            if requests.get(url + "/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass  # Not listening yet, or still loading the application.
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not serve {url} within {START_TIMEOUT_SECONDS} s")


def sign_in(base_url: str) -> requests.Session:
    session = requests.Session()
    form = session.get(base_url + "/login/", timeout=REQUEST_TIMEOUT)
    match = re.search(r"name=\"csrfmiddlewaretoken\" value=\"([^\"]+)\"", form.text)
    assert match, f"no sign-in form at {base_url}: {form.status_code} {form.text[:300]}"
    token = match.group(1)
    response = session.post(
        base_url + "/login/",
        data={"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": base_url + "/login/"},
        timeout=REQUEST_TIMEOUT,
        allow_redirects=False,
    )
    assert response.status_code == 302, "signing in failed"
    return session


@pytest.fixture(params=["redis", "database"])
def dashboards(request, simulator, tmp_path) -> Iterator[list[str]]:
    """Start two gunicorn processes of the dashboard; return their base URLs."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "test-only-secret-key-for-two-processes-0123456789",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DASHBOARD_DEMO": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SENDCLOUD_API_URL": simulator.url,
        "SENDCLOUD_PUBLIC_KEY": simulator.public_key,
        "SENDCLOUD_SECRET_KEY": simulator.secret_key,
        "SENDCLOUD_TICKET_CACHE_SECONDS": str(TTL_SECONDS),
        "SENDCLOUD_REQUESTS_PER_MINUTE": "1000",
        "SENDCLOUD_DEADLINE": "5",
        "LOG_LEVEL": "WARNING",
        "WHITENOISE_USE_FINDERS": "true",
    }
    env.pop("REDIS_URL", None)
    if request.param == "redis":
        env["REDIS_URL"] = request.getfixturevalue("redis_url")
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    run_manage(env, "migrate", "--no-input")
    run_manage(env, "createcachetable")
    # The production settings serve static files from collectstatic's manifest, which a fresh
    # clone does not have yet.
    run_manage(env, "collectstatic", "--no-input", "--verbosity", "0")
    run_manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user({USERNAME!r}, password={PASSWORD!r})",
    )

    processes = []
    urls = []
    try:
        for _ in range(2):
            port = free_port()
            command = [sys.executable, "-m", "gunicorn", "config.wsgi"]
            command += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "16"]
            process = subprocess.Popen(  # noqa: S603 (a fixed command)
                command,
                cwd=PROJECT_ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            processes.append(process)
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, processes, strict=True):
            wait_until_serving(url, process)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_concurrent_misses_make_one_call(dashboards, simulator):
    sessions = [sign_in(url) for url in dashboards]
    # A slow answer keeps the first call in flight while the other requests arrive.
    simulator.state.inject(Latency(seconds=0.5), path=TICKET_PATH)

    def fetch(index: int) -> requests.Response:
        url = dashboards[index % 2] + "/tickets/43/"
        return sessions[index % 2].get(url, timeout=REQUEST_TIMEOUT)

    with ThreadPoolExecutor(max_workers=CONCURRENT_REQUESTS) as pool:
        responses = list(pool.map(fetch, range(CONCURRENT_REQUESTS)))

    assert [response.status_code for response in responses] == [200] * CONCURRENT_REQUESTS
    assert all("Sales invoice requested" in response.text for response in responses)
    assert simulator.state.count_requests(TICKET_PATH) == 1


def test_one_call_per_ticket_per_ttl(dashboards, simulator):
    sessions = [sign_in(url) for url in dashboards]
    started = time.monotonic()
    statuses = []

    # Polls from both processes for a little over two TTLs, about 20 a second.
    for index in range(200):
        if time.monotonic() - started > 2 * TTL_SECONDS + 0.5:
            break
        for process_index, session in enumerate(sessions):
            for ticket_id in (42, 43):
                url = f"{dashboards[process_index]}/tickets/{ticket_id}/"
                statuses.append(session.get(url, timeout=REQUEST_TIMEOUT).status_code)
        time.sleep(0.05 if index else 0)

    assert set(statuses) == {200}
    # The first call, then at most one per TTL that passed.
    for ticket_id in (42, 43):
        calls = simulator.state.count_requests(f"/dsf/tickets/{ticket_id}")
        assert 2 <= calls <= 3, f"ticket {ticket_id}: {calls} calls"
