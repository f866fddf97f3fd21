"""Pytest fixtures that run a real redis-server on loopback for the tests of shared state.

One server runs for the whole session, on a free port and in a temporary directory, with
persistence off. `make test` installs Debian's redis-server when it is missing; without it the
tests that need Redis are skipped.
"""

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

REDIS_SERVER = "/usr/bin/redis-server"
START_TIMEOUT_SECONDS = 10


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """Start redis-server for the session and return its URL."""
    executable = shutil.which("redis-server") or REDIS_SERVER
    if not shutil.which(executable):
        pytest.skip("redis-server is not installed; `make test` installs it (Debian redis-server)")

    directory = tmp_path_factory.mktemp("redis")
    port = free_port()
    command = [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(directory)]
    process = subprocess.Popen(  # noqa: S603 (a fixed command)
        command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    url = f"redis://127.0.0.1:{port}/0"
    connection = redis.Redis.from_url(url, socket_timeout=1)
    try:
        started_by = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                connection.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > started_by:
                    raise RuntimeError(f"redis-server did not start on port {port}") from None
                time.sleep(0.05)
        yield url
    finally:
        connection.close()
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def redis_cache(redis_url, settings) -> Iterator[str]:
    """Make Django's default cache the test Redis, under a key prefix of this test alone."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
        }
    }
    yield redis_url
    from django.core.cache import cache

    cache.clear()
