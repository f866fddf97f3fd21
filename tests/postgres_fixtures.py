"""A real PostgreSQL server for the tests that check the production database setup.

The `postgres_url` fixture makes sure Debian's PostgreSQL 15 runs, creates a throwaway role
(allowed to create the test databases that pytest-django makes) and database, and returns a
DATABASE_URL for them. As root it starts the system cluster with `pg_ctlcluster`, creating
one on a free port if there is none. Any other user gets a private cluster in a temporary
directory. Whatever the fixture started, it stops again at the end of the session.
"""

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_VERSION = "15"
PG_BIN = Path(f"/usr/lib/postgresql/{PG_VERSION}/bin")
CLUSTER = "main"
# Roles of test sessions; `_` is a LIKE wildcard, which matches itself as well.
ROLE_PREFIX = "dashboard_test_"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(*command: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


def system_cluster_port() -> tuple[int, bool] | None:
    """Return the port of the system cluster and whether it runs, or None if there is none."""
    listing = run("pg_lsclusters", "--no-header").stdout
    for line in listing.splitlines():
        fields = line.split()
        if fields[:2] == [PG_VERSION, CLUSTER]:
            return int(fields[2]), fields[3].startswith("online")
    return None


def as_postgres_user(*command: str) -> subprocess.CompletedProcess:
    return run("runuser", "-u", "postgres", "--", *command)


def psql_as_superuser(port: int, sql: str) -> str:
    command = ["psql", "-h", "/var/run/postgresql", "-p", str(port), "-d", "postgres"]
    return as_postgres_user(*command, "-v", "ON_ERROR_STOP=1", "-tA", "-c", sql).stdout


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if not (PG_BIN / "postgres").exists():
        pytest.skip(
            f"PostgreSQL {PG_VERSION} is not installed; `make test` installs it "
            "(Debian package postgresql)."
        )
    if os.geteuid() == 0:
        yield from _system_cluster()
    else:
        yield from _private_cluster()


def _system_cluster() -> Iterator[str]:
    started = False
    cluster = system_cluster_port()
    if cluster is None:
        run("pg_createcluster", PG_VERSION, CLUSTER, "--port", str(free_port()))
        cluster = system_cluster_port()
    port, online = cluster
    if not online:
        run("pg_ctlcluster", PG_VERSION, CLUSTER, "start")
        started = True

    role = ROLE_PREFIX + secrets.token_hex(4)
    password = secrets.token_urlsafe(18)
    psql_as_superuser(port, f"CREATE ROLE {role} LOGIN CREATEDB PASSWORD '{password}'")
    psql_as_superuser(port, f"CREATE DATABASE {role} OWNER {role}")
    try:
        yield f"postgres://{role}:{password}@127.0.0.1:{port}/{role}"
    finally:
        psql_as_superuser(port, f"DROP DATABASE IF EXISTS {role} WITH (FORCE)")
        psql_as_superuser(port, f"DROP DATABASE IF EXISTS test_{role} WITH (FORCE)")
        psql_as_superuser(port, f"DROP ROLE IF EXISTS {role}")
        # Another test session may have found the cluster running and still be using it.
        others = psql_as_superuser(
            port,
            f"SELECT count(*) FROM pg_roles WHERE rolname LIKE '{ROLE_PREFIX}%'",  # noqa: S608
        )
        if started and others.strip() == "0":
            run("pg_ctlcluster", PG_VERSION, CLUSTER, "stop")


def _private_cluster() -> Iterator[str]:
    directory = Path(tempfile.mkdtemp(prefix="dashboard-postgres-"))
    data = directory / "data"
    port = free_port()
    password = secrets.token_urlsafe(18)
    password_file = directory / "password"
    password_file.write_text(password)
    run(str(PG_BIN / "initdb"), "-D", str(data), "-U", "dashboard", "--auth=scram-sha-256",
        f"--pwfile={password_file}")  # fmt: skip
    options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1"
    run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l",
        str(directory / "log"), "start")  # fmt: skip
    try:
        yield f"postgres://dashboard:{password}@127.0.0.1:{port}/postgres"
    finally:
        run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop")
        shutil.rmtree(directory, ignore_errors=True)
