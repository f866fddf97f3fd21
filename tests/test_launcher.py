"""`make run`'s launcher refuses a half-set configuration before starting anything."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent


def run_launcher(**variables) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SENDCLOUD_")}
    env.pop("SECRET_KEY", None)
    env.update(variables)
    return subprocess.run(
        [sys.executable, "-m", "config.launcher"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variables", "missing"),
    [
        ({"SENDCLOUD_PUBLIC_KEY": "public"}, "SENDCLOUD_SECRET_KEY"),
        ({"SENDCLOUD_SECRET_KEY": "secret"}, "SENDCLOUD_PUBLIC_KEY"),
    ],
)
def test_one_key_alone_names_missing_key(variables, missing):
    result = run_launcher(**variables, PORT="1")

    assert result.returncode != 0
    assert f"{missing} is missing" in result.stderr
    assert "Dashboard:" not in result.stdout
    assert "simulator" not in result.stdout


def test_live_mode_without_secret_key_stops(tmp_path):
    result = run_launcher(SENDCLOUD_PUBLIC_KEY="public", SENDCLOUD_SECRET_KEY="secret", PORT="1")

    assert result.returncode != 0
    assert "SECRET_KEY is missing" in result.stderr
    assert "secret" not in result.stdout


def test_invalid_port_is_rejected():
    result = run_launcher(PORT="eighty")

    assert result.returncode != 0
    assert "PORT must be a port number" in result.stderr
