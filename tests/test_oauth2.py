"""OAuth2 client credentials: the simulator's token endpoint, and the client's token handling."""

import logging
import time

import pytest
import requests
from django.core.cache import cache
from django.urls import reverse

from tickets.sendcloud.client import SendcloudClient, get_client
from tickets.sendcloud.errors import CredentialsRejected
from tickets.sendcloud.simulator import Status

pytestmark = pytest.mark.django_db

TOKEN_PATH = "/oauth2/token"
TICKET_PATH = "/dsf/tickets/43"
TIMEOUT = 5


@pytest.fixture
def token_url(simulator_server) -> str:
    return simulator_server.token_url


@pytest.fixture
def oauth2(sendcloud, settings, token_url):
    """The dashboard set to OAuth2, against a simulator that accepts only Bearer tokens."""
    sendcloud.state.auth_scheme = "oauth2"
    settings.SENDCLOUD_AUTH = "oauth2"
    settings.SENDCLOUD_TOKEN_URL = token_url
    return sendcloud


def request_token(simulator, token_url, auth=None, data=None):
    return requests.post(
        token_url,
        auth=auth or simulator.auth,
        data=data or {"grant_type": "client_credentials", "scope": "api"},
        timeout=TIMEOUT,
    )


# The simulator


def test_simulator_issues_documented_token_fields(simulator, token_url):
    response = request_token(simulator, token_url)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "access_token",
        "expires_in",
        "id_token",
        "refresh_token",
        "scope",
        "token_type",
    }
    assert body["expires_in"] == 3600
    assert body["scope"] == "api"


def test_simulator_rejects_wrong_client_secret(simulator, token_url):
    response = request_token(simulator, token_url, auth=(simulator.public_key, "wrong"))

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_simulator_rejects_other_grant_type(simulator, token_url):
    response = request_token(simulator, token_url, data={"grant_type": "password"})

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_simulator_oauth2_only_rejects_basic_auth(simulator):
    simulator.state.auth_scheme = "oauth2"

    response = requests.get(simulator.url + TICKET_PATH, auth=simulator.auth, timeout=TIMEOUT)

    assert response.status_code == 401


def test_simulator_accepts_token_until_expired(simulator, token_url):
    simulator.state.auth_scheme = "oauth2"
    token = request_token(simulator, token_url).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    accepted = requests.get(simulator.url + TICKET_PATH, headers=headers, timeout=TIMEOUT)
    simulator.state.expire_tokens()
    rejected = requests.get(simulator.url + TICKET_PATH, headers=headers, timeout=TIMEOUT)

    assert accepted.status_code == 200
    assert rejected.status_code == 401


def test_simulator_basic_only_rejects_token(simulator, token_url):
    token = request_token(simulator, token_url).json()["access_token"]

    response = requests.get(
        simulator.url + TICKET_PATH,
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )

    assert response.status_code == 401


# The client


def test_token_is_fetched_once_and_reused(oauth2):
    client = get_client()

    tickets = [client.get_ticket(ticket_id) for ticket_id in (42, 43, 44)]

    assert [ticket.id for ticket in tickets] == [42, 43, 44]
    assert oauth2.state.count_requests(TOKEN_PATH) == 1


def test_token_is_shared_between_processes(oauth2, token_url):
    # Two clients with the same cache stand for two processes of the dashboard.
    clients = [
        SendcloudClient(
            oauth2.url,
            oauth2.public_key,
            oauth2.secret_key,
            auth_scheme="oauth2",
            token_url=token_url,
            token_cache=cache,
        )
        for _ in range(2)
    ]

    for client in clients:
        assert client.get_ticket(43).id == 43
        client.close()

    assert oauth2.state.count_requests(TOKEN_PATH) == 1


def test_expired_token_is_renewed_once(oauth2):
    client = get_client()
    client.get_ticket(43)
    oauth2.state.expire_tokens()

    ticket = client.get_ticket(43)

    assert ticket.id == 43
    assert oauth2.state.count_requests(TOKEN_PATH) == 2
    assert oauth2.state.count_requests(TICKET_PATH) == 3


def test_persistent_401_renews_only_once(oauth2):
    oauth2.state.inject(Status(401), path=TICKET_PATH)

    with pytest.raises(CredentialsRejected):
        get_client().get_ticket(43)

    assert oauth2.state.count_requests(TOKEN_PATH) == 2
    assert oauth2.state.count_requests(TICKET_PATH) == 2


def test_token_is_renewed_shortly_before_expiry(oauth2):
    oauth2.state.token_lifetime = 1.0
    client = get_client()
    client.get_ticket(43)
    client.get_ticket(43)
    assert oauth2.state.count_requests(TOKEN_PATH) == 1

    # A token of one second is renewed after nine tenths of it.
    time.sleep(0.95)
    client.get_ticket(43)

    assert oauth2.state.count_requests(TOKEN_PATH) == 2
    assert oauth2.state.count_requests(TICKET_PATH) == 3


def test_rejected_client_credentials_answer_502(agent_client, oauth2, settings):
    settings.SENDCLOUD_SECRET_KEY = "wrong-secret-value"

    response = agent_client.get(reverse("ticket_detail", args=[43]))

    assert response.status_code == 502
    assert "rejected the dashboard" in response.text
    assert oauth2.state.count_requests(TICKET_PATH) == 0


def test_token_endpoint_failure_answers_503(agent_client, oauth2):
    oauth2.state.inject(Status(500), path=TOKEN_PATH)

    response = agent_client.get(reverse("ticket_detail", args=[43]))

    assert response.status_code == 503
    assert "server error 500" in response.text


def test_ticket_page_works_with_oauth2(agent_client, oauth2):
    response = agent_client.get(reverse("ticket_detail", args=[43]))

    assert response.status_code == 200
    assert "Sales invoice requested" in response.text


def test_basic_auth_rejected_by_oauth2_account(agent_client, sendcloud):
    sendcloud.state.auth_scheme = "oauth2"

    response = agent_client.get(reverse("ticket_detail", args=[43]))

    assert response.status_code == 502
    assert "rejected the dashboard" in response.text


def test_token_and_keys_are_never_logged(oauth2, caplog):
    caplog.set_level(logging.DEBUG)
    client = get_client()
    client.get_ticket(43)
    oauth2.state.expire_tokens()
    client.get_ticket(43)
    tokens = list(client._tokens.known_tokens)

    assert len(tokens) == 2
    for secret in [*tokens, oauth2.public_key, oauth2.secret_key]:
        assert secret not in caplog.text
    assert "Bearer" not in caplog.text
    assert "POST /oauth2/token -> 200" in caplog.text
