"""The production database: migrations, checks and the database-bound tests on PostgreSQL.

Each step runs in a subprocess with DATABASE_URL pointing at a real PostgreSQL server, so the
settings read it exactly as they do in production.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
# Test modules that touch the database: sessions, sign-in, single sign-on, the mirror model.
DATABASE_TEST_MODULES = [
    "tests/test_sign_in.py",
    "tests/test_sso.py",
    "tests/test_mirror.py",
    "tests/test_ticket_page.py",
]


def run_with_database(database_url: str, *command: str, settings: str = "config.settings"):
    env = {
        **{key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": settings,
        "SECRET_KEY": "postgres-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DASHBOARD_DEMO": "false",
    }
    return subprocess.run(
        command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300
    )


def manage(database_url: str, *arguments: str) -> subprocess.CompletedProcess:
    return run_with_database(database_url, sys.executable, "manage.py", *arguments)


@pytest.fixture(scope="module")
def migrated(postgres_url):
    result = manage(postgres_url, "migrate", "--no-input")
    assert result.returncode == 0, result.stdout + result.stderr
    return postgres_url


def test_settings_use_postgresql(migrated):
    result = manage(
        migrated,
        "shell",
        "--no-imports",
        "-c",
        "from django.db import connection; print(connection.vendor)",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "postgresql"


def test_migrations_leave_nothing_unapplied(migrated):
    result = manage(migrated, "migrate", "--check", "--no-input")

    assert result.returncode == 0, result.stdout + result.stderr


def test_database_checks_pass(migrated):
    result = manage(migrated, "check", "--database", "default", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr


def test_cache_table_is_created(migrated):
    result = manage(migrated, "createcachetable")

    assert result.returncode == 0, result.stdout + result.stderr


def test_database_tests_pass_on_postgresql(postgres_url):
    modules = [module for module in DATABASE_TEST_MODULES if (BASE_DIR / module).exists()]
    result = run_with_database(
        postgres_url,
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not browser",
        *modules,
        settings="tests.settings",
    )  # fmt: skip

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
