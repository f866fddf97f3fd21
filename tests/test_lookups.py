"""Look-ups by order number and parcel id, and the search box, on a mirror of the seed."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.queue_fixtures import make_ticket, sync

pytestmark = pytest.mark.django_db


CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def ticket_url(ticket_id: int) -> str:
    return reverse("ticket_detail", args=[ticket_id])


def mirror_queries(queries) -> list[str]:
    return [query["sql"] for query in queries if "tickets_mirroredticket" in query["sql"]]


def test_order_lookup_leads_to_ticket_42(agent_client, mirrored):
    response = agent_client.get("/orders/ORD-2026-1234/")

    assert response.status_code == 302
    assert response["Location"] == ticket_url(42)


def test_parcel_lookup_leads_to_ticket_42(agent_client, mirrored):
    response = agent_client.get("/parcels/98765/")

    assert response.status_code == 302
    assert response["Location"] == ticket_url(42)


def test_order_number_with_slashes(agent_client, mirrored):
    url = reverse("order_lookup", args=["SHOP/2026/0099"])

    response = agent_client.get(url)

    assert url == "/orders/SHOP/2026/0099/"
    assert response["Location"] == ticket_url(49)


def test_order_link_percent_encodes_space_and_hash(agent_client, mirrored):
    url = reverse("order_lookup", args=["WEB #5521"])

    response = agent_client.get(url)

    assert url == "/orders/WEB%20%235521/"
    assert response["Location"] == ticket_url(52)


@pytest.mark.parametrize("order_number", ["A?B", "50%/off", "ü-1", "x/", "a&b=c"])
def test_order_number_with_reserved_characters(agent_client, sendcloud, order_number):
    sendcloud.state.put_ticket(make_ticket(901, order_number=order_number))
    sync()

    response = agent_client.get(reverse("order_lookup", args=[order_number]))

    assert response.status_code == 302
    assert response["Location"] == ticket_url(901)


def test_order_lookup_ignores_case_when_nothing_matches_exactly(agent_client, mirrored):
    response = agent_client.get(reverse("order_lookup", args=["ord-2026-1234"]))

    assert response["Location"] == ticket_url(42)


def test_shared_order_number_lists_tickets(agent_client, mirrored):
    response = agent_client.get(reverse("order_lookup", args=["ORD-2026-1500"]))

    assert response.status_code == 200
    assert "Tickets for order ORD-2026-1500" in response.text
    assert f'href="{ticket_url(50)}"' in response.text
    assert f'href="{ticket_url(51)}"' in response.text


def test_shared_parcel_lists_tickets(agent_client, sendcloud):
    sendcloud.state.put_ticket(make_ticket(902, parcel_id=5555))
    sendcloud.state.put_ticket(make_ticket(903, parcel_id=5555))
    sync()

    response = agent_client.get(reverse("parcel_lookup", args=["5555"]))

    assert response.status_code == 200
    assert "Tickets for parcel 5555" in response.text


def test_unknown_order_says_no_ticket(agent_client, mirrored):
    response = agent_client.get(reverse("order_lookup", args=["NOPE-1"]))

    assert response.status_code == 404
    assert "No ticket for order NOPE-1" in response.text
    assert "<title>No ticket for order NOPE-1 · Sendcloud tickets</title>" in response.text


def test_unknown_parcel_says_no_ticket(agent_client, mirrored):
    response = agent_client.get(reverse("parcel_lookup", args=["123"]))

    assert response.status_code == 404
    assert "No ticket for parcel 123" in response.text


@pytest.mark.parametrize("raw", ["abc", "0", "-5", str(2**63), "1.5", "４３", "7" * 300])
def test_invalid_parcel_id_is_404(agent_client, mirrored, raw):
    response = agent_client.get(f"/parcels/{raw}/")

    assert response.status_code == 404
    assert "is not a parcel id" in response.text


@pytest.mark.parametrize("raw", ["%00", "ORD%00", "%01", "ORD-1%0D", "%09x", "%1B[0m", "%7F"])
def test_order_with_control_character_is_400(agent_client, mirrored, raw):
    with CaptureQueriesContext(connection) as queries:
        response = agent_client.get(f"/orders/{raw}/")

    assert response.status_code == 400
    assert "<h1>Invalid order number</h1>" in response.text
    assert "contains a control character" in response.text
    assert 'role="alert"' in response.text
    assert not CONTROL_CHARACTER.search(response.text)
    assert mirror_queries(queries) == []


def test_order_with_line_break_matches_no_url(agent_client, mirrored):
    # The path converter's pattern does not match a line feed, so no view runs.
    with CaptureQueriesContext(connection) as queries:
        response = agent_client.get("/orders/ORD-1%0A/")

    assert response.status_code == 404
    assert mirror_queries(queries) == []


@pytest.mark.parametrize("raw", ["%20", "%20%20%20", "%C2%A0"])
def test_blank_order_number_is_400(agent_client, mirrored, raw):
    with CaptureQueriesContext(connection) as queries:
        response = agent_client.get(f"/orders/{raw}/")

    assert response.status_code == 400
    assert "The order number is empty." in response.text
    assert mirror_queries(queries) == []


def test_long_order_number_is_shortened_in_heading(agent_client, mirrored):
    response = agent_client.get(reverse("order_lookup", args=["A" * 300]))

    heading = re.search(r"<h1>(.*?)</h1>", response.text).group(1)
    title = re.search(r"<title>(.*?)</title>", response.text).group(1)
    assert response.status_code == 404
    assert heading == "No ticket for order " + "A" * 40 + "…"
    assert title.startswith(heading + " · ")


def test_invalid_parcel_id_drops_control_characters(agent_client, mirrored):
    response = agent_client.get("/parcels/%00x%01y/")

    assert response.status_code == 404
    assert "“xy” is not a parcel id" in response.text
    assert not CONTROL_CHARACTER.search(response.text)


def test_order_lookup_escapes_markup(agent_client, mirrored):
    response = agent_client.get(reverse("order_lookup", args=["<b>x</b>"]))

    assert "<b>x</b>" not in response.text
    assert "&lt;b&gt;x&lt;/b&gt;" in response.text


def test_lookup_asks_sendcloud_nothing(agent_client, mirrored):
    before = mirrored.state.count_requests()

    agent_client.get(reverse("order_lookup", args=["ORD-2026-1234"]))
    agent_client.get(reverse("parcel_lookup", args=["98765"]))

    assert mirrored.state.count_requests() == before


@pytest.mark.parametrize(
    ("query", "ticket_id"),
    [("42", 42), (" #43 ", 43), ("ORD-2026-1234", 42), ("98765", 42), ("SHOP/2026/0099", 49)],
)
def test_search_box_finds_ticket(agent_client, mirrored, query, ticket_id):
    response = agent_client.get(reverse("search"), {"q": query})

    assert response.status_code == 302
    assert response["Location"] == ticket_url(ticket_id)


def test_search_unmirrored_number_opens_ticket_page(agent_client, mirrored):
    response = agent_client.get(reverse("search"), {"q": "777777"})

    assert response["Location"] == ticket_url(777777)


def test_search_number_matching_two_tickets_lists_both(agent_client, sendcloud):
    sendcloud.state.put_ticket(make_ticket(904, parcel_id=42))
    sync()

    response = agent_client.get(reverse("search"), {"q": "42"})

    assert response.status_code == 200
    assert f'href="{ticket_url(42)}"' in response.text
    assert f'href="{ticket_url(904)}"' in response.text


def test_search_unknown_text_says_no_ticket(agent_client, mirrored):
    response = agent_client.get(reverse("search"), {"q": "no such order"})

    assert response.status_code == 404
    assert "No ticket for “no such order”" in response.text


@pytest.mark.parametrize("query", ["", "   ", "x" * 5000, "a\x00b"])
def test_search_rejects_empty_or_overlong(agent_client, mirrored, query):
    response = agent_client.get(reverse("search"), {"q": query})

    assert response.status_code == 400
    assert 'role="alert"' in response.text


@pytest.mark.parametrize("query", ["\x00", "ORD\x00-1", "42\x01", "a\tb", "\x9b1"])
def test_search_with_control_character_is_400(agent_client, mirrored, query):
    with CaptureQueriesContext(connection) as queries:
        response = agent_client.get(reverse("search"), {"q": query})

    assert response.status_code == 400
    assert "The search contains a control character" in response.text
    assert "Enter at most" not in response.text
    assert not CONTROL_CHARACTER.search(response.text)
    assert mirror_queries(queries) == []
