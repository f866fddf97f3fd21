"""Sign-in: required everywhere, safe `next`, throttled failures, idle sessions and CSRF."""

import time
from ipaddress import ip_network

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.dashboard_fixtures import AGENT_PASSWORD, AGENT_USERNAME
from tickets.middleware import LAST_ACTIVITY_KEY

pytestmark = pytest.mark.django_db

# Routes that anyone may request.
PUBLIC_URL_NAMES = {"login", "healthz"}
SAMPLE_ARGUMENTS = {"int": "43", "string": "43", "slug": "x", "path": "ORD-1/2"}


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def named_routes(resolver=None, namespace: str = "") -> list[tuple[str, dict]]:
    """Return every named route with sample arguments for its converters."""
    resolver = resolver or get_resolver()
    routes = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            routes.extend(named_routes(entry, namespace))
        elif isinstance(entry, URLPattern) and entry.name:
            converters = getattr(entry.pattern, "converters", {})
            kwargs = {
                name: SAMPLE_ARGUMENTS[type(converter).__name__.removesuffix("Converter").lower()]
                for name, converter in converters.items()
            }
            routes.append((namespace + entry.name, kwargs))
    return routes


def sign_in(
    client: Client, password: str = AGENT_PASSWORD, username: str = AGENT_USERNAME, **extra
):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_routes_require_sign_in(client):
    routes = [route for route in named_routes() if route[0] not in PUBLIC_URL_NAMES]
    assert len(routes) >= 5

    for name, kwargs in routes:
        url = reverse(name, kwargs=kwargs)
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url


def test_health_check_and_sign_in_are_public(client):
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("login")).status_code == 200


def test_htmx_request_gets_whole_page_redirect(client):
    response = client.get(
        reverse("ticket_refresh", args=[43]),
        headers={
            "HX-Request": "true",
            "HX-Trigger": "poller",
            "HX-Current-URL": "http://testserver/?stage=action_required",
        },
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login/?next=/%3Fstage%3Daction_required"
    assert "<form" not in response.text


@pytest.mark.parametrize(
    "target",
    ["/tickets/43/", "/?stage=action_required&carrier=postnl", "/orders/ORD%2F1/"],
)
def test_sign_in_leads_to_next(client, agent, target):
    page = client.get(reverse("login"), {"next": target})
    assert page.status_code == 200

    response = client.post(
        reverse("login"),
        {"username": AGENT_USERNAME, "password": AGENT_PASSWORD, "next": target},
    )

    assert response.status_code == 302
    assert response["Location"] == target


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("https://evil.example/", "only to its own pages"),
        ("//evil.example/tickets/43/", "only to its own pages"),
        ("http://testserver/tickets/43/", "only to its own pages"),
        ("javascript:alert(1)", "only to its own pages"),
        ("/\\evil.example/", "not allowed"),
        ("/tickets/43/\r\nSet-Cookie: stolen=1", "not allowed"),
        ("/tickets/43/%0d%0aSet-Cookie:%20stolen=1", "not allowed"),
        ("/tickets/43/\x00", "not allowed"),
        ("/" + "a" * 3000, "too long"),
        ("/no-such-page/", "not a page of this dashboard"),
        ("/login/", "not a page of this dashboard"),
        ("/logout/", "not a page of this dashboard"),
    ],
)
def test_unsafe_next_is_rejected_with_message(client, agent, target, message):
    page = client.get(reverse("login"), {"next": target})
    assert page.status_code == 400
    assert message in page.text

    response = client.post(
        reverse("login"),
        {"username": AGENT_USERNAME, "password": AGENT_PASSWORD, "next": target},
    )

    assert response.status_code == 400
    assert message in response.text
    assert "Location" not in response
    assert "stolen" not in response.headers.get("Set-Cookie", "")


def test_unsafe_next_rejected_when_signed_in(agent_client):
    response = agent_client.get(reverse("login"), {"next": "https://evil.example/"})

    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/tickets/..%2F..%2Fetc%2Fpasswd/",
        "/tickets/%2e%2e/",
        "/tickets/43%00/",
        "/tickets/" + "9" * 400 + "/",
        "/parcels/..%2F1/",
    ],
)
def test_hostile_ids_are_rejected_with_message(agent_client, path):
    response = agent_client.get(path)

    assert response.status_code == 404
    assert "is not a" in response.text or "This page does not exist." in response.text
    assert "{" not in response.text.split("<main")[1]


def test_overlong_address_is_rejected_with_message(agent_client):
    too_long_path = agent_client.get("/tickets/" + "1" * 2000 + "/")
    too_long_query = agent_client.get(reverse("search"), {"q": "x" * 7000})

    assert too_long_path.status_code == 414
    assert "too long" in too_long_path.text
    assert too_long_query.status_code == 414
    assert "too long" in too_long_query.text


def test_failures_throttled_per_name_and_address(client, agent, settings):
    settings.SIGN_IN_FAILURES = 3
    assert sign_in(client, password="wrong").status_code == 200
    assert sign_in(client, password="wrong").status_code == 200
    assert sign_in(client, password="wrong").status_code == 429

    refused = sign_in(client)

    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.text
    assert int(refused["Retry-After"]) > 0
    assert SESSION_KEY not in client.session


def test_throttle_spares_other_addresses_and_names(client, agent, django_user_model, settings):
    settings.SIGN_IN_FAILURES = 3
    django_user_model.objects.create_user(username="colleague", password=AGENT_PASSWORD)
    for _attempt in range(3):
        sign_in(client, password="wrong")

    from_elsewhere = sign_in(Client(), REMOTE_ADDR="10.1.2.3")
    other_name = sign_in(Client(), username="colleague")

    assert from_elsewhere.status_code == 302
    assert other_name.status_code == 302


def test_throttle_per_address_covers_all_names(client, agent, settings):
    settings.SIGN_IN_FAILURES_PER_ADDRESS = 4
    for attempt in range(4):
        sign_in(client, username=f"guess{attempt}", password="wrong")

    assert sign_in(client).status_code == 429


def test_successful_sign_in_resets_failures(client, agent, settings):
    settings.SIGN_IN_FAILURES = 3
    sign_in(client, password="wrong")
    sign_in(client, password="wrong")
    assert sign_in(client).status_code == 302
    client.logout()

    sign_in(client, password="wrong")
    sign_in(client, password="wrong")

    assert sign_in(client).status_code == 302


def test_forwarded_address_counts_only_behind_trusted_proxy(client, agent, settings):
    settings.SIGN_IN_FAILURES = 2
    settings.TRUSTED_PROXIES = [ip_network("127.0.0.1/32")]
    for _attempt in range(2):
        sign_in(client, password="wrong", HTTP_X_FORWARDED_FOR="10.0.0.7")

    same_agent = sign_in(client, HTTP_X_FORWARDED_FOR="10.0.0.7")
    other_agent = sign_in(Client(), HTTP_X_FORWARDED_FOR="10.0.0.8")
    # From an untrusted address the header is ignored, so a forged one changes nothing.
    forged = Client(REMOTE_ADDR="192.0.2.9")
    for _attempt in range(2):
        sign_in(forged, password="wrong", HTTP_X_FORWARDED_FOR="10.0.0.50")
    forged_again = sign_in(forged, HTTP_X_FORWARDED_FOR="10.0.0.51")

    assert same_agent.status_code == 429
    assert other_agent.status_code == 302
    assert forged_again.status_code == 429


def poll(client: Client, ticket_id: int = 43):
    return client.get(
        reverse("ticket_refresh", args=[ticket_id]),
        headers={
            "HX-Request": "true",
            "HX-Trigger": "poller",
            "HX-Current-URL": f"http://testserver/tickets/{ticket_id}/",
        },
    )


def set_last_activity(client: Client, seconds_ago: int) -> None:
    session = client.session
    session[LAST_ACTIVITY_KEY] = int(time.time()) - seconds_ago
    session.save()


def test_idle_session_ends_on_next_poll(agent_client, sendcloud, settings):
    settings.SESSION_IDLE_SECONDS = 300
    assert agent_client.get(reverse("ticket_detail", args=[43])).status_code == 200
    set_last_activity(agent_client, 301)

    response = poll(agent_client)

    assert response["HX-Redirect"] == "/login/?next=/tickets/43/"
    assert SESSION_KEY not in agent_client.session


def test_polls_do_not_keep_session_alive(agent_client, sendcloud, settings):
    settings.SESSION_IDLE_SECONDS = 300
    agent_client.get(reverse("ticket_detail", args=[43]))
    set_last_activity(agent_client, 200)

    assert poll(agent_client).status_code == 200

    assert time.time() - agent_client.session[LAST_ACTIVITY_KEY] >= 200


def test_page_request_keeps_session_alive(agent_client, sendcloud, settings):
    settings.SESSION_IDLE_SECONDS = 300
    agent_client.get(reverse("ticket_detail", args=[43]))
    set_last_activity(agent_client, 200)

    assert agent_client.get(reverse("ticket_detail", args=[43])).status_code == 200

    assert time.time() - agent_client.session[LAST_ACTIVITY_KEY] < 5
    set_last_activity(agent_client, 299)
    assert poll(agent_client).status_code == 200
    assert "HX-Redirect" not in poll(agent_client)


def test_post_without_csrf_token_is_rejected_with_message(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    sign_out = client.post(reverse("logout"))
    sign_in_attempt = Client(enforce_csrf_checks=True).post(
        reverse("login"), {"username": AGENT_USERNAME, "password": AGENT_PASSWORD}
    )

    assert sign_out.status_code == 403
    assert "Reload the page" in sign_out.text
    assert sign_in_attempt.status_code == 403
    assert SESSION_KEY in client.session


def test_sign_in_with_csrf_token_works(agent):
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("login"))
    token = page.context["csrf_token"]

    response = client.post(
        reverse("login"),
        {"username": AGENT_USERNAME, "password": AGENT_PASSWORD, "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302
