"""The documents queue at /documents/: outstanding requests, oldest first, and disagreements."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.queue_fixtures import make_ticket, sync
from tickets.models import MirroredRequest, MirroredTicket
from tickets.sendcloud.simulator import Status

pytestmark = pytest.mark.django_db


def stamp(days_ago: float) -> str:
    return (timezone.now() - timedelta(days=days_ago)).isoformat()


def documents(client, **params):
    return client.get(reverse("documents"), params)


def row_ticket_ids(response) -> list[int]:
    return [int(number) for number in re.findall(r'<a href="/tickets/(\d+)/">', response.text)]


def test_lists_sales_invoice_of_ticket_42(agent_client, mirrored):
    page = documents(agent_client, q="ORD-2026-1234").text

    assert "Sales invoice" in page
    assert 'href="/tickets/42/"' in page
    assert '<td class="order-number">ORD-2026-1234</td>' in page
    assert '<td class="carrier">PostNL</td>' in page


def test_first_page_lists_ticket_42(agent_client, mirrored):
    page = documents(agent_client).text

    assert 'href="/tickets/42/"' in page


def test_lists_every_open_request_oldest_first(agent_client, mirrored):
    response = documents(agent_client)

    open_requests = sum(
        ticket.outstanding_count for ticket in MirroredTicket.objects.filter(is_final=False)
    )
    assert f"{open_requests} requests" in response.text
    times = re.findall(r'<td><time datetime="([^"]+)"', response.text)
    assert times == sorted(times)


def test_leaves_out_final_tickets(agent_client, sendcloud):
    sendcloud.state.put_ticket(
        make_ticket(
            960,
            status="claim_paid",
            requested_actions=[{"id": 9600, "data_type": "iban_bic", "created_at": stamp(1)}],
        )
    )
    sync()

    assert 960 not in row_ticket_ids(documents(agent_client, q="960"))


def test_old_request_and_reminder_stand_out(agent_client, sendcloud, settings):
    settings.DASHBOARD_DOCUMENT_OVERDUE_DAYS = 3
    sendcloud.state.put_ticket(
        make_ticket(
            961,
            requested_actions=[{"id": 9610, "data_type": "cn23_form", "created_at": stamp(1)}],
        )
    )
    sendcloud.state.put_ticket(
        make_ticket(
            962,
            requested_actions=[{"id": 9620, "data_type": "cn23_form", "created_at": stamp(5)}],
        )
    )
    sendcloud.state.put_ticket(
        make_ticket(
            963,
            status="customer_reminder_sent",
            requested_actions=[{"id": 9630, "data_type": "cn23_form", "created_at": stamp(1)}],
        )
    )
    sync()

    page = documents(agent_client, data_type="cn23_form").text
    rows = dict(re.findall(r'href="/tickets/(96\d)/".*?<ul class="notes">(.*?)</ul>', page, re.S))

    assert "Older than 3 days" not in rows["961"]
    assert "Older than 3 days" in rows["962"]
    assert "Sendcloud sent a reminder" in rows["963"]
    assert 'class="row-action"' in page


def test_overdue_filter(agent_client, sendcloud, settings):
    settings.DASHBOARD_DOCUMENT_OVERDUE_DAYS = 3
    sendcloud.state.put_ticket(
        make_ticket(
            964,
            requested_actions=[{"id": 9640, "data_type": "cn24_form", "created_at": stamp(1)}],
        )
    )
    sync()

    ids = row_ticket_ids(documents(agent_client, overdue="yes", data_type="cn24_form"))

    assert 964 not in ids


def test_request_missing_from_list_is_marked(agent_client, mirrored):
    MirroredRequest.objects.filter(request_id=301).delete()

    page = documents(agent_client, q="ORD-2026-1234").text

    assert "The tickets and Sendcloud's requested-data list disagree" in page
    assert "1 request is on a ticket but not in the requested-data list." in page
    assert "Not in Sendcloud's requested-data list" in page


def test_request_only_in_list_is_shown(agent_client, mirrored):
    MirroredTicket.objects.filter(id=42).update(requested_actions=[], outstanding_count=0)

    page = documents(agent_client, q="ORD-2026-1234").text

    assert "1 request is in the requested-data list but on no open ticket." in page
    assert "Only in Sendcloud's requested-data list" in page
    assert 'href="/tickets/42/"' in page


def test_no_comparison_before_list_is_fetched(agent_client, sendcloud):
    sendcloud.state.inject(Status(500), path="/dsf/tickets/requested-data", times=None)
    sync()

    page = documents(agent_client).text

    assert "has not been fetched yet" in page
    assert "disagree" not in page
    assert "Sales invoice" in page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"data_type": "nonsense"}, "Ignored the document filter “nonsense”"),
        ({"carrier": "x" * 500}, "Ignored the carrier filter"),
        ({"overdue": "maybe"}, "Ignored the overdue filter"),
        ({"q": "y" * 5000}, "longer than 200 characters"),
        ({"page": str(10**30)}, "There is no page"),
    ],
)
def test_junk_filter_is_ignored_with_message(agent_client, mirrored, params, message):
    response = documents(agent_client, **params)

    assert response.status_code == 200
    assert message in response.text


def test_carrier_filter(agent_client, mirrored):
    ids = set(row_ticket_ids(documents(agent_client, carrier="dpd")))

    assert 43 in ids
    assert set(MirroredTicket.objects.filter(id__in=ids).values_list("carrier", flat=True)) == {
        "dpd"
    }


def test_unknown_data_type_shown_raw(agent_client, sendcloud):
    sendcloud.state.put_ticket(
        make_ticket(
            965,
            requested_actions=[{"id": 9650, "data_type": "hologram", "created_at": stamp(1)}],
        )
    )
    sync()

    page = documents(agent_client, q="965").text

    assert '<th scope="row" class="unknown-value">hologram</th>' in page


def test_htmx_filter_returns_results(agent_client, mirrored):
    response = agent_client.get(reverse("documents"), {"carrier": "dpd"}, HTTP_HX_REQUEST="true")

    assert '<div id="document-results">' in response.text
    assert "<html" not in response.text
    assert response["HX-Push-Url"] == "/documents/?carrier=dpd"


@pytest.mark.parametrize("value", ["\x00", "a\x01b"])
def test_control_character_search_is_ignored(agent_client, mirrored, value):
    response = documents(agent_client, q=value)

    assert response.status_code == 200
    assert "Ignored the search filter" in response.text
    assert value not in response.text
    assert row_ticket_ids(response) == row_ticket_ids(documents(agent_client))
