"""Production settings, security headers, the CSP with nonces, cookies and gunicorn."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from config.env import env_networks, env_origins
from tests.security_fixtures import allow_portal

BASE_DIR = Path(__file__).resolve().parent.parent
PORTAL = "https://intranet.example.com"

# The production variables that the README's deployment section documents.
PRODUCTION_ENV = {
    "SECRET_KEY": "production-like-secret-key-for-tests-only-3f9a1c7e5b2d4f6a8c0e",
    "ALLOWED_HOSTS": "tickets.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://tickets.example.com",
    "DATABASE_URL": "postgres://dashboard:password@db.example.com:5432/dashboard",
    "DASHBOARD_HTTPS": "true",
    "SECURE_SSL_REDIRECT": "true",
    "REDIS_URL": "redis://cache.example.com:6379/0",
    "DASHBOARD_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    "SENDCLOUD_PUBLIC_KEY": "production-public-key",
    "SENDCLOUD_SECRET_KEY": "production-secret-key",
}
PORTAL_ENV = {
    "DASHBOARD_FRAME_ANCESTORS": PORTAL,
    "DASHBOARD_CROSS_SITE_COOKIES": "true",
    "DASHBOARD_PORTAL_LINK": PORTAL + "/tickets?path={path}",
}
SSO_ENV = {"DASHBOARD_SSO_HEADER": "X-Remote-User", "DASHBOARD_TRUSTED_PROXIES": "10.0.0.5"}


def clean_env(extra_env: dict[str, str]) -> dict[str, str]:
    """Return a process environment with only `extra_env` among the project's variables.

    The browser fixtures set DJANGO_ALLOW_ASYNC_UNSAFE in this process, which the deploy
    check would rightly report, so the environment starts from PATH alone.
    """
    return {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", **extra_env}


def manage(extra_env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    env = clean_env(extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "extra",
    [{}, PORTAL_ENV, {**PORTAL_ENV, **SSO_ENV}],
    ids=["plain", "portal", "portal-and-sso"],
)
def test_deploy_check_is_clean_in_production(extra):
    result = manage({**PRODUCTION_ENV, **extra}, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_secret_key_is_required_outside_demo():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "SECRET_KEY"}

    result = manage(env, "check")

    assert result.returncode != 0
    assert "SECRET_KEY is missing" in result.stderr


def test_sso_without_trusted_proxies_is_rejected():
    result = manage({**PRODUCTION_ENV, "DASHBOARD_SSO_HEADER": "X-Remote-User"}, "check")

    assert result.returncode != 0
    assert "DASHBOARD_TRUSTED_PROXIES" in result.stderr


@pytest.mark.parametrize(
    "raw",
    ["*", "'self'", "intranet.example.com", "https://*.example.com", "https://a.example/path",
     "ftp://intranet.example.com", "https://intranet.example.com:port"],
)  # fmt: skip
def test_frame_ancestors_must_be_origins(monkeypatch, raw):
    monkeypatch.setenv("SOME_ORIGINS", raw)

    with pytest.raises(ImproperlyConfigured, match="SOME_ORIGINS"):
        env_origins("SOME_ORIGINS")


def test_origins_are_normalised(monkeypatch):
    monkeypatch.setenv("SOME_ORIGINS", "https://Intranet.Example.com/, http://localhost:8001")

    assert env_origins("SOME_ORIGINS") == ["https://intranet.example.com", "http://localhost:8001"]


def test_trusted_proxies_must_be_addresses(monkeypatch):
    monkeypatch.setenv("SOME_PROXIES", "10.0.0.5,proxy.example.com")

    with pytest.raises(ImproperlyConfigured, match="proxy.example.com"):
        env_networks("SOME_PROXIES")


def test_gunicorn_configuration_loads():
    env = clean_env(PRODUCTION_ENV)
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "-c", "config/gunicorn.conf.py"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_sign_in_page_has_strict_headers(client):
    response = client.get(reverse("login"))

    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "script-src 'self' 'nonce-" in policy
    assert "style-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_nonce_in_page_matches_header_and_changes(client):
    nonces = []
    for _request in range(2):
        response = client.get(reverse("login"))
        header_nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])[1]
        page_nonces = set(re.findall(r'<script [^>]*nonce="([^"]+)"', response.text))
        assert page_nonces == {header_nonce}
        nonces.append(header_nonce)

    assert nonces[0] != nonces[1]


@pytest.mark.django_db
def test_page_has_no_inline_script_or_style(agent_client, sendcloud):
    response = agent_client.get(reverse("ticket_detail", args=[43]))

    for script in re.findall(r"<script\b[^>]*>", response.text):
        assert "src=" in script or 'type="application/json"' in script, script
    assert "<style" not in response.text
    assert " style=" not in response.text
    assert re.search(r"\son[a-z]+=", response.text) is None


@pytest.mark.django_db
def test_portal_origin_may_frame(client, settings):
    allow_portal(settings, PORTAL)

    response = client.get(reverse("login"))

    assert f"frame-ancestors {PORTAL}" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response


@pytest.mark.django_db
def test_cross_site_cookies_are_partitioned(client, settings):
    allow_portal(settings, PORTAL)

    response = client.get(reverse("login"))

    cookie = response.cookies["csrftoken"].OutputString()
    assert "SameSite=None" in cookie
    assert "Secure" in cookie
    assert cookie.endswith("; Partitioned")


@pytest.mark.django_db
def test_same_site_cookies_by_default(client, agent):
    response = client.post(reverse("login"), {"username": "agent", "password": "wrong"})
    client.get(reverse("login"))

    cookie = response.cookies["csrftoken"].OutputString()
    assert "SameSite=Lax" in cookie
    assert "Partitioned" not in cookie


@pytest.mark.django_db
def test_framed_request_gets_compact_chrome(client):
    framed = client.get(reverse("login"), headers={"Sec-Fetch-Dest": "iframe"})
    top_level = client.get(reverse("login"), headers={"Sec-Fetch-Dest": "document"})

    assert '<html lang="en" class="framed">' in framed.text
    assert 'class="framed"' not in top_level.text
    assert "Sec-Fetch-Dest" in framed["Vary"]


@pytest.mark.django_db
def test_copy_link_gives_portal_link(agent_client, sendcloud, settings):
    allow_portal(settings, PORTAL)
    settings.DASHBOARD_PORTAL_LINK = PORTAL + "/tickets?path={path}"

    response = agent_client.get(reverse("ticket_detail", args=[43]), {"tab": "a&b"})

    # The dashboard path is already percent-encoded, so as a query value its % is encoded again.
    assert f'data-link="{PORTAL}/tickets?path=/tickets/43/%3Ftab%3Da%2526b"' in response.text


@pytest.mark.django_db
def test_keys_rejected_page_shows_no_key(agent_client, sendcloud, settings):
    settings.SENDCLOUD_SECRET_KEY = "a-wrong-secret-key-that-must-stay-hidden"

    response = agent_client.get(reverse("ticket_detail", args=[43]))

    assert response.status_code == 502
    assert settings.SENDCLOUD_SECRET_KEY not in response.text
    assert settings.SENDCLOUD_PUBLIC_KEY not in response.text
