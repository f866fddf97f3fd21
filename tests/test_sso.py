"""Single sign-on through a header that the intranet's reverse proxy sets."""

from ipaddress import ip_network

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

HEADER = "X-Remote-User"
PROXY = "10.0.0.5"


@pytest.fixture
def sso(settings, sendcloud):
    settings.SSO_HEADER = HEADER
    settings.TRUSTED_PROXIES = [ip_network("10.0.0.0/29")]
    return sendcloud


def proxied(username: str | None = "alice", address: str = PROXY) -> Client:
    """A client whose requests come from `address` with the user name header."""
    headers = {HEADER: username} if username is not None else {}
    return Client(REMOTE_ADDR=address, headers=headers)


def ticket_page(client: Client):
    return client.get(reverse("ticket_detail", args=[43]))


def test_proxy_header_signs_agent_in(sso, django_user_model):
    client = proxied("alice")

    response = ticket_page(client)

    assert response.status_code == 200
    assert response.context["user"].get_username() == "alice"
    assert django_user_model.objects.filter(username="alice").exists()
    assert "Sign out" not in response.text


def test_known_agent_keeps_account(sso, agent):
    response = ticket_page(proxied(agent.username))

    assert response.status_code == 200
    assert response.context["user"] == agent


def test_request_without_header_is_rejected(sso):
    response = ticket_page(proxied(None))

    assert response.status_code == 403
    assert "through the intranet portal" in response.text


def test_sign_in_page_without_header_is_rejected(sso):
    response = proxied(None).get(reverse("login"))

    assert response.status_code == 403


def test_header_from_untrusted_address_is_rejected(sso, django_user_model):
    response = ticket_page(proxied("alice", address="192.0.2.77"))

    assert response.status_code == 403
    assert not django_user_model.objects.filter(username="alice").exists()


@pytest.mark.parametrize("username", ["", "   ", "a b", "<script>", "x" * 151])
def test_invalid_user_name_is_rejected(sso, django_user_model, username):
    response = ticket_page(proxied(username))

    assert response.status_code == 403
    assert django_user_model.objects.count() == 0


def test_other_user_in_header_replaces_session(sso):
    client = proxied("alice")
    ticket_page(client)

    response = client.get(reverse("ticket_detail", args=[43]), headers={HEADER: "bob"})

    assert response.status_code == 200
    assert response.context["user"].get_username() == "bob"


def test_demo_account_cannot_sign_in_outside_demo(sso, settings, django_user_model):
    settings.DEMO_MODE = False
    django_user_model.objects.create_user(username="demo", password="demo")

    response = ticket_page(proxied("demo"))

    assert response.status_code == 403


def test_health_check_needs_no_header(sso):
    response = Client(REMOTE_ADDR="192.0.2.1").get(reverse("healthz"))

    assert response.status_code == 200


def test_header_is_ignored_when_sso_is_off(settings, sendcloud):
    settings.SSO_HEADER = ""
    client = proxied("alice")

    response = ticket_page(client)

    assert response.status_code == 302
    assert SESSION_KEY not in client.session
