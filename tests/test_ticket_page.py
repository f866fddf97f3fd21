"""The ticket page through Django's test client, against the simulator over HTTP."""

import pytest
from django.urls import reverse

from tickets.sendcloud.simulator import Hang, Html, Status, Truncated, WrongShape

pytestmark = pytest.mark.django_db


def ticket_url(ticket_id) -> str:
    return reverse("ticket_detail", args=[ticket_id])


def test_anonymous_visitor_is_sent_to_sign_in(client, sendcloud):
    response = client.get(ticket_url(43))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/tickets/43/"
    assert sendcloud.state.count_requests() == 0


def test_healthz_needs_no_sign_in_and_no_upstream(client, sendcloud):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert sendcloud.state.count_requests() == 0


@pytest.mark.parametrize(
    "raw_id",
    ["abc", "0", "-1", "00", "9223372036854775808", "1" * 40, "4.5", "４３", "43abc", "%20"],
)
def test_invalid_ticket_id_is_404_without_upstream_call(agent_client, sendcloud, raw_id):
    response = agent_client.get(f"/tickets/{raw_id}/")

    assert response.status_code == 404
    assert "is not a ticket number" in response.text or "does not exist" in response.text
    assert sendcloud.state.count_requests() == 0


def test_largest_int64_id_is_asked_upstream(agent_client, sendcloud):
    response = agent_client.get(ticket_url(2**63 - 1))

    assert response.status_code == 404
    assert "not found" in response.text
    assert sendcloud.state.count_requests() == 1


def test_ticket_42_shows_documented_example(agent_client, sendcloud):
    response = agent_client.get(ticket_url(42))

    assert response.status_code == 200
    page = response.text
    assert "ORD-2026-1234" in page
    assert "PostNL" in page
    assert "Sales invoice" in page
    assert "98765" in page
    assert "Damaged parcel" in page
    assert "1 document outstanding" in page
    assert "Needs action" not in page
    assert "<title>#42 · Pending · Sendcloud tickets</title>" in page


def test_ticket_43_needs_action_with_both_documents(agent_client, sendcloud):
    response = agent_client.get(ticket_url(43))

    page = response.text
    assert response.status_code == 200
    assert "<title>#43 · Needs action · Sendcloud tickets</title>" in page
    assert "flag-action" in page
    assert "Photo of the damage requested" in page
    assert "Sales invoice requested" in page
    assert "document outstanding" not in page


def test_ticket_44_shows_paid_claim_and_does_not_poll(agent_client, sendcloud):
    response = agent_client.get(ticket_url(44))

    page = response.text
    assert response.status_code == 200
    assert "Claim paid" in page
    assert "149.99 EUR" in page
    assert "Claim approved" in page
    assert reverse("ticket_refresh", args=[44]) not in page
    assert "data-poll-seconds" not in page


def test_open_ticket_page_polls(agent_client, sendcloud, settings):
    settings.DASHBOARD_POLL_SECONDS = 7

    page = agent_client.get(ticket_url(43)).text

    assert f'hx-get="{reverse("ticket_refresh", args=[43])}"' in page
    assert 'data-poll-seconds="7"' in page
    assert 'id="fingerprint"' in page


def test_timeline_lists_requests_oldest_first(agent_client, sendcloud):
    sendcloud.state.add_requested_action(43, "proof_of_shipment")

    page = agent_client.get(ticket_url(43)).text

    created = page.index("Ticket created")
    newest = page.index("Proof of shipment requested")
    assert created < page.index("Sales invoice requested") < newest
    assert created < page.index("Photo of the damage requested") < newest


def test_ticket_page_varies_on_htmx_and_is_not_cached(agent_client, sendcloud):
    response = agent_client.get(ticket_url(42))

    assert "HX-Request" in response["Vary"]
    assert "no-cache" in response["Cache-Control"]


def test_unknown_ticket_answers_not_found_page(agent_client, sendcloud):
    response = agent_client.get(ticket_url(987654))

    assert response.status_code == 404
    assert "Ticket #987654 not found" in response.text
    assert "another Sendcloud account" in response.text


def test_unknown_codes_render_humanised(agent_client, sendcloud):
    ticket = sendcloud.state.get_ticket(42)
    ticket.update(status="brand_new_status", stage="new_stage", carrier="mystery_post", extra=1)
    sendcloud.state.put_ticket(ticket)

    response = agent_client.get(ticket_url(42))

    assert response.status_code == 200
    assert "Brand new status" in response.text
    assert "Mystery post" in response.text
    assert "unknown-value" in response.text


def test_nulls_in_optional_fields_render(agent_client, sendcloud):
    ticket = sendcloud.state.get_ticket(42)
    for name in ("type", "parcel_id", "carrier", "order_number", "brand_id", "updated_at"):
        ticket[name] = None
    sendcloud.state.put_ticket(ticket)

    response = agent_client.get(ticket_url(42))

    assert response.status_code == 200
    assert "ORD-2026-1234" not in response.text


def test_rejected_keys_answer_502_without_showing_them(agent_client, sendcloud, settings):
    settings.SENDCLOUD_SECRET_KEY = "wrong-secret-value"

    response = agent_client.get(ticket_url(43))

    assert response.status_code == 502
    assert "rejected the dashboard" in response.text
    assert "wrong-secret-value" not in response.text
    assert sendcloud.public_key not in response.text


UPSTREAM_FAILURES = [
    # (fault, expected status, words in the page)
    (Status(403, body={"errors": [{"code": "forbidden", "status": 403}]}), 502, "no access"),
    (Status(500), 503, "server error 500"),
    (Html(status=502), 503, "server error 502"),
    (Html(status=200), 503, "a web page or a cut-off answer"),
    (Truncated(), 503, "a web page or a cut-off answer"),
    (Hang(seconds=10), 503, "did not answer in time"),
    (WrongShape({"id": "forty-three"}), 502, "cannot read"),
    (Status(429, headers={"Retry-After": "42"}), 503, "limiting"),
]


@pytest.mark.parametrize(("fault", "status", "words"), UPSTREAM_FAILURES)
def test_upstream_failure_without_data_answers_error_page(
    agent_client, sendcloud, fault, status, words
):
    sendcloud.state.inject(fault)

    response = agent_client.get(ticket_url(43))

    assert response.status_code == status
    assert words in response.text
    assert "Traceback" not in response.text
    if status == 503:
        assert int(response["Retry-After"]) >= 1


def test_rate_limit_passes_retry_after_on(agent_client, sendcloud):
    sendcloud.state.inject(Status(429, headers={"Retry-After": "42"}))

    response = agent_client.get(ticket_url(43))

    assert response["Retry-After"] == "42"


def test_failure_after_success_keeps_last_known_state(agent_client, sendcloud):
    assert agent_client.get(ticket_url(43)).status_code == 200
    sendcloud.state.inject(Status(500))

    response = agent_client.get(ticket_url(43))

    assert response.status_code == 200
    assert "Sales invoice requested" in response.text
    assert "server error 500" in response.text
    assert "Failing since" in response.text


def test_search_box_leads_to_ticket(agent_client, sendcloud):
    response = agent_client.get(reverse("search"), {"q": " #43 "})

    assert response.status_code == 302
    assert response["Location"] == ticket_url(43)


def panels(page: str) -> str:
    """Return the status panel and the timeline of a ticket page."""
    start = page.index('<section id="status-panel"')
    end = page.index('<div id="poller"')
    return page[start:end]


def test_demo_ticket_45_moves_with_the_clock(agent_client, sendcloud):
    before = panels(agent_client.get(ticket_url(45)).text)

    sendcloud.state.clock.advance(31)
    after = panels(agent_client.get(ticket_url(45)).text)

    assert before != after


@pytest.mark.parametrize("raw_id", ["042", "0042"])
def test_odd_spelling_of_id_redirects_to_canonical(agent_client, sendcloud, raw_id):
    response = agent_client.get(f"/tickets/{raw_id}/?from=portal")

    assert response.status_code == 301
    assert response["Location"] == ticket_url(42)
    assert sendcloud.state.count_requests() == 0


def test_head_request_is_answered(agent_client, sendcloud):
    response = agent_client.head(ticket_url(42))

    assert response.status_code == 200
    assert response.content == b""


def test_order_and_parcel_link_to_permalinks(agent_client, sendcloud):
    page = agent_client.get(ticket_url(42)).text

    assert f'href="{reverse("order_lookup", args=["ORD-2026-1234"])}"' in page
    assert f'href="{reverse("parcel_lookup", args=["98765"])}"' in page


def test_order_number_with_newline_renders_without_link(agent_client, sendcloud):
    sendcloud.state.update_ticket(42, order_number="ORD\nbroken")

    response = agent_client.get(ticket_url(42))

    assert response.status_code == 200
    assert "/orders/ORD" not in response.text


def test_open_ticket_without_requests_says_no_action(agent_client, sendcloud):
    sendcloud.state.update_ticket(42, requested_actions=[])

    page = agent_client.get(ticket_url(42)).text

    assert "No action needed" in page
