"""Pytest fixtures for security tests: a key-leak guard on every response, and portals.

`sendcloud_keys_never_in_responses` is autouse: it inspects every response that Django builds
in any test, through the test client or a live server, and fails the test when one of them
contains a Sendcloud key.
"""

import base64
from collections.abc import Iterator

import pytest
from django.core.handlers.base import BaseHandler

from config.portal_demo import PortalServer
from tests.simulator_fixtures import TEST_PUBLIC_KEY, TEST_SECRET_KEY

# Keys shorter than this are placeholders that some tests set ("pub"), not real keys.
MIN_KEY_LENGTH = 8


def _secrets_to_find() -> list[bytes]:
    from django.conf import settings

    keys = {TEST_PUBLIC_KEY, TEST_SECRET_KEY}
    for name in ("SENDCLOUD_PUBLIC_KEY", "SENDCLOUD_SECRET_KEY"):
        value = getattr(settings, name, "")
        if len(value) >= MIN_KEY_LENGTH:
            keys.add(value)
    found = [key.encode() for key in keys]
    basic = base64.b64encode(f"{TEST_PUBLIC_KEY}:{TEST_SECRET_KEY}".encode())
    return [*found, basic]


@pytest.fixture(autouse=True)
def sendcloud_keys_never_in_responses(monkeypatch) -> Iterator[None]:
    leaks: list[str] = []
    original = BaseHandler.get_response

    def checked_get_response(handler, request):
        response = original(handler, request)
        headers = "\n".join(f"{name}: {value}" for name, value in response.items()).encode()
        body = b"" if response.streaming else response.content
        for secret in _secrets_to_find():
            if secret in body or secret in headers:
                leaks.append(f"{request.method} {request.get_full_path()}")
        return response

    monkeypatch.setattr(BaseHandler, "get_response", checked_get_response)
    yield
    assert leaks == [], f"Responses contained a Sendcloud key: {leaks}"


@pytest.fixture
def portal_factory(live_server) -> Iterator:
    """Start demo portals that frame the live server from 127.0.0.1, another site than localhost.

    Call it to start one; each call gets its own port, so its own origin.
    """
    portals: list[PortalServer] = []

    def start() -> PortalServer:
        portal = PortalServer(live_server.url, host="127.0.0.1").__enter__()
        portals.append(portal)
        return portal

    yield start
    for portal in portals:
        portal.__exit__(None, None, None)


def allow_portal(settings, origin: str, *, portal_link: bool = True) -> None:
    """Configure the dashboard as production would for a portal on another site."""
    settings.DASHBOARD_FRAME_ANCESTORS = [origin]
    settings.SECURE_CSP = {**settings.SECURE_CSP, "frame-ancestors": [origin]}
    settings.CROSS_SITE_COOKIES = True
    settings.SESSION_COOKIE_SAMESITE = settings.CSRF_COOKIE_SAMESITE = "None"
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.DASHBOARD_PORTAL_LINK = f"{origin}/?path={{path}}" if portal_link else ""
