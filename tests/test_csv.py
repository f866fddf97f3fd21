"""CSV downloads of the queue and of the documents queue."""

import csv
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.queue_fixtures import make_ticket, sync
from tickets.models import MirroredTicket

pytestmark = pytest.mark.django_db


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def test_queue_csv_is_dated_download(agent_client, mirrored):
    response = agent_client.get(reverse("overview_csv"))

    today = timezone.localdate().isoformat()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"] == f'attachment; filename="sendcloud-tickets-{today}.csv"'
    )


def test_filtered_csv_holds_exactly_rows_shown(agent_client, mirrored):
    params = {"stage": "action_required"}
    page = agent_client.get(reverse("home"), params)
    shown = [int(number) for number in re.findall(r'data-ticket-id="(\d+)"', page.text)]

    rows = rows_of(agent_client.get(reverse("overview_csv"), params))

    assert rows[0][0] == "Ticket"
    assert [int(row[0]) for row in rows[1:]] == shown


def test_csv_keeps_queue_order_across_pages(agent_client, mirrored):
    shown = []
    for page in ("1", "2"):
        response = agent_client.get(reverse("home"), {"page": page})
        shown += [int(number) for number in re.findall(r'data-ticket-id="(\d+)"', response.text)]

    rows = rows_of(agent_client.get(reverse("overview_csv")))

    ids = [int(row[0]) for row in rows[1:]]
    final = set(MirroredTicket.objects.filter(is_final=True).values_list("id", flat=True))
    assert ids == shown
    assert final
    assert set(ids[-len(final) :]) == final


def test_csv_link_carries_current_filters(agent_client, mirrored):
    page = agent_client.get(reverse("home"), {"carrier": "dpd", "page": "1"})

    assert 'href="/queue/export.csv?carrier=dpd"' in page.text


def test_csv_row_of_ticket_42(agent_client, mirrored):
    rows = rows_of(agent_client.get(reverse("overview_csv"), {"q": "ORD-2026-1234"}))

    header, row = rows[0], rows[1]
    record = dict(zip(header, row, strict=True))
    assert record["Ticket"] == "42"
    assert record["Needs action"] == "no"
    assert record["Status"] == "Pending"
    assert record["Carrier"] == "PostNL"
    assert record["Order number"] == "ORD-2026-1234"
    assert record["Parcel"] == "98765"
    assert record["Documents outstanding"] == "1"
    assert record["Created"].startswith("2026-03-15T11:30:00")


def test_csv_spans_all_pages(agent_client, mirrored):
    rows = rows_of(agent_client.get(reverse("overview_csv"), {"page": "2"}))

    assert len(rows) - 1 == mirrored.state.snapshot().__len__()


@pytest.mark.parametrize("order_number", ['=HYPERLINK("x")', "+1+1", "-2", "@SUM(A1)"])
def test_csv_guards_against_formulas(agent_client, sendcloud, order_number):
    sendcloud.state.put_ticket(make_ticket(950, order_number=order_number))
    sync()

    rows = rows_of(agent_client.get(reverse("overview_csv"), {"q": "950"}))

    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Order number"] == "'" + order_number


def test_csv_with_junk_filter_ignores_it(agent_client, mirrored):
    response = agent_client.get(reverse("overview_csv"), {"stage": "bogus", "page": "-1"})

    assert response.status_code == 200
    assert len(rows_of(response)) - 1 == len(mirrored.state.snapshot())


def test_documents_csv_lists_sales_invoice_of_42(agent_client, mirrored):
    response = agent_client.get(reverse("documents_csv"), {"q": "42"})

    today = timezone.localdate().isoformat()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="sendcloud-documents-{today}.csv"' in response["Content-Disposition"]
    rows = rows_of(response)
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert {"Document": "Sales invoice", "Ticket": "42"}.items() <= records[0].items()
    assert records[0]["In Sendcloud's requested-data list"] == "yes"


def test_documents_csv_matches_page_filters(agent_client, mirrored):
    params = {"carrier": "dpd"}
    page = agent_client.get(reverse("documents"), params).text
    rows = rows_of(agent_client.get(reverse("documents_csv"), params))

    assert f"{len(rows) - 1} request" in page
    assert all(row[6] == "DPD" for row in rows[1:])
