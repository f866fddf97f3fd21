"""The queue at / and its refresh, through Django's test client, on a mirror of the seed."""

import re
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format

from tests.queue_fixtures import make_ticket, sync
from tickets.models import MirroredTicket, SyncState
from tickets.sendcloud.simulator import Status

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def row_ids(response) -> list[int]:
    return [int(number) for number in re.findall(r'data-ticket-id="(\d+)"', response.text)]


def fingerprint_of(response) -> str:
    return re.search(r'name="fingerprint" value="([0-9a-f]+)"', response.text).group(1)


def queue(client, **params):
    return client.get(reverse("home"), params)


def all_row_ids(client) -> list[int]:
    """Return the ticket ids of every page of the unfiltered queue, in order."""
    return row_ids(queue(client)) + row_ids(queue(client, page="2"))


def option_labels(page: str, select_id: str) -> list[str]:
    select = re.search(rf'<select id="{select_id}".*?</select>', page, re.S).group(0)
    return re.findall(r"<option value=\"[^\"]*\"(?: selected)?>([^<]*)</option>", select)


def chip(page: str, href: str) -> str:
    """Return the opening tag of the count link to `href`."""
    return re.search(rf'<a class="count[^"]*" href="{re.escape(href)}"[^>]*>', page).group(0)


def test_anonymous_visitor_is_sent_to_sign_in(client, mirrored):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_queue_lists_seed_with_43_needing_action(agent_client, mirrored):
    response = queue(agent_client)

    assert response.status_code == 200
    ids = row_ids(response)
    assert 43 in ids
    needing = set(MirroredTicket.objects.filter(needs_action=True).values_list("id", flat=True))
    assert 43 in needing
    assert set(ids[: len(needing)]) == needing


def test_queue_orders_oldest_first_within_groups(agent_client, mirrored):
    ids = all_row_ids(agent_client)

    rows = MirroredTicket.objects.in_bulk(ids)
    keys = [(not rows[i].needs_action, rows[i].is_final, rows[i].created_at) for i in ids]
    assert len(ids) == MirroredTicket.objects.count()
    assert keys == sorted(keys)


def test_final_tickets_come_after_open_ones(agent_client, mirrored):
    ids = all_row_ids(agent_client)

    final = set(MirroredTicket.objects.filter(is_final=True).values_list("id", flat=True))
    # Ticket 44 is the oldest of the seed, and final.
    assert 44 in final
    assert ids[-len(final) :] == [i for i in ids if i in final]
    assert ids.index(44) == len(ids) - len(final)


def test_queue_shows_created_as_relative_time(agent_client, mirrored):
    page = queue(agent_client).text

    assert '<th scope="col">Created</th>' in page
    created = timezone.localtime(MirroredTicket.objects.get(id=43).created_at)
    row = re.search(r'<tr [^>]*data-ticket-id="43">.*?</tr>', page, re.S).group(0)
    assert f'<time datetime="{created.isoformat()}"' in row
    assert " ago</time>" in row


def test_queue_does_no_upstream_call(agent_client, mirrored):
    before = mirrored.state.count_requests()

    queue(agent_client)

    assert mirrored.state.count_requests() == before


def test_queue_shows_the_columns(agent_client, mirrored):
    page = queue(agent_client, q="42").text

    for heading in ("Ticket", "Status", "Stage", "Type", "Carrier", "Order number", "Parcel"):
        assert f'<th scope="col">{heading}</th>' in page
    assert "Oldest open request" in page
    assert "Last updated" in page
    assert '<td class="order-number">ORD-2026-1234</td>' in page
    assert '<td class="carrier">PostNL</td>' in page
    assert "Pending" in page
    assert "In progress" in page
    assert "Damaged parcel" in page
    assert "PostNL" in page
    assert "ORD-2026-1234" in page
    assert "98765" in page
    assert "1 document outstanding" in page


def test_title_counts_tickets_needing_action(agent_client, mirrored):
    count = MirroredTicket.objects.filter(needs_action=True).count()

    response = queue(agent_client)

    assert f"<title>({count}) Needs action · Sendcloud tickets</title>" in response.text


def test_stage_filter_shows_only_that_stage(agent_client, mirrored):
    response = queue(agent_client, stage="action_required")

    ids = row_ids(response)
    expected = MirroredTicket.objects.filter(stage="action_required").count()
    assert len(ids) == expected
    assert 43 in ids
    assert all(
        stage == "action_required"
        for stage in MirroredTicket.objects.filter(id__in=ids).values_list("stage", flat=True)
    )


def test_status_filter_takes_several(agent_client, mirrored):
    response = queue(agent_client, status=["pending", "claim_paid"])

    statuses = set(
        MirroredTicket.objects.filter(id__in=row_ids(response)).values_list("status", flat=True)
    )
    assert statuses == {"pending", "claim_paid"}
    assert (
        len(row_ids(response))
        == MirroredTicket.objects.filter(status__in=["pending", "claim_paid"]).count()
    )


@pytest.mark.parametrize(
    ("params", "lookup"),
    [
        ({"type": "lost"}, {"type": "lost"}),
        ({"carrier": "postnl"}, {"carrier": "postnl"}),
        ({"brand": "7"}, {"brand_id": 7}),
        ({"needs_action": "yes"}, {"needs_action": True}),
        ({"needs_action": "no"}, {"needs_action": False}),
    ],
)
def test_single_filters(agent_client, mirrored, params, lookup):
    response = queue(agent_client, **params)

    expected = set(MirroredTicket.objects.filter(**lookup).values_list("id", flat=True))
    shown = set(row_ids(response))
    assert expected
    assert shown <= expected
    assert len(shown) == min(len(expected), 50)
    assert f"{len(expected)} tickets" in response.text


def test_created_range_is_inclusive_local_dates(agent_client, mirrored):
    response = queue(agent_client, created_from="2026-03-15", created_until="2026-03-20")

    ids = set(row_ids(response))
    assert {42, 43} <= ids
    for row in MirroredTicket.objects.filter(id__in=ids):
        local_day = timezone.localtime(row.created_at).date().isoformat()
        assert "2026-03-15" <= local_day <= "2026-03-20"


def test_created_to_still_sets_end_date(agent_client, mirrored):
    old = queue(agent_client, created_from="2026-03-15", created_to="2026-03-20")
    new = queue(agent_client, created_from="2026-03-15", created_until="2026-03-20")

    assert row_ids(old) == row_ids(new)
    assert 'name="created_until" type="date" value="2026-03-20"' in old.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [("42", 42), ("#43", 43), ("ORD-2026-1234", 42), ("ord-2026-1187", 43), ("98765", 42)],
)
def test_free_text_finds_ticket_order_or_parcel(agent_client, mirrored, text, expected):
    assert expected in row_ids(queue(agent_client, q=text))


def test_free_text_matches_part_of_order_number(agent_client, mirrored):
    ids = row_ids(queue(agent_client, q="SHOP/2026"))

    assert ids == [49]


def test_counts_per_stage_link_to_filter(agent_client, mirrored):
    page = queue(agent_client).text

    count = MirroredTicket.objects.filter(stage="action_required").count()
    link = re.search(r'href="(/\?stage=action_required)"[^>]*>Action required <strong>(\d+)', page)
    assert link is not None
    assert int(link.group(2)) == count
    needing = MirroredTicket.objects.filter(needs_action=True).count()
    assert re.search(rf'href="/\?needs_action=yes".*?Needs action <strong>{needing}<', page, re.S)


def test_counts_keep_other_filters(agent_client, mirrored):
    page = queue(agent_client, carrier="dpd").text

    count = MirroredTicket.objects.filter(carrier="dpd", stage="action_required").count()
    assert 'href="/?stage=action_required&amp;carrier=dpd"' in page
    assert re.search(rf"Action required <strong>{count}</strong>", page)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"stage": "bogus"}, "Ignored the stage filter “bogus”: unknown value."),
        ({"created_from": "2026-13-45"}, "Ignored the created from filter “2026-13-45”"),
        ({"created_until": "0001-01-01"}, "outside the years 1970 to 9998"),
        ({"page": "-1"}, "Ignored the page “-1”"),
        ({"page": str(10**30)}, f"There is no page {10**30}; showing the last page."),
        ({"page": "9" * 5000}, "There is no page " + "9" * 40 + "…; showing the last page."),
        ({"page": "0" * 30}, "Ignored the page"),
        ({"page": "abc"}, "Ignored the page “abc”"),
        ({"q": "x" * 5000}, "longer than 200 characters"),
        ({"q": "a\x00b"}, "Ignored the search filter “ab”: contains a null character."),
        ({"q": "a\x01b"}, "Ignored the search filter “ab”: contains a control character."),
        ({"q": "\x7f"}, "contains a control character"),
        ({"brand": str(10**30)}, "Ignored the brand filter"),
        ({"brand": "-3"}, "Ignored the brand filter"),
        ({"status": ["pending", "nonsense"]}, "Ignored the status filter “nonsense”"),
        ({"needs_action": "maybe"}, "Ignored the needs action filter"),
        ({"type": "x" * 300}, "Ignored the type filter “" + "x" * 40 + "…”: unknown value."),
    ],
)
def test_junk_filter_is_ignored_with_message(agent_client, mirrored, params, message):
    response = queue(agent_client, **params)

    assert response.status_code == 200
    assert message in response.text
    assert row_ids(response)


@pytest.mark.parametrize("value", ["\x00", "x\x01y", "\x1b[31m", "\x7f", "\x9b"])
def test_echoed_input_has_no_control_characters(agent_client, mirrored, value):
    for params in ({"q": value}, {"stage": value}, {"page": value}, {"status": [value]}):
        text = queue(agent_client, **params).text

        assert "Ignored the" in text
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", text), params


@pytest.mark.parametrize("value", ["ORD\x00", "ORD\x01", "ORD\x7f"])
def test_control_character_search_reaches_no_query(agent_client, mirrored, value):
    with CaptureQueriesContext(connection) as queries:
        queue(agent_client, q=value)

    searches = [query["sql"] for query in queries if "LIKE" in query["sql"]]
    assert searches == []


def test_page_number_with_leading_zeros(agent_client, mirrored):
    response = queue(agent_client, page="0" * 30 + "2")

    assert row_ids(response) == row_ids(queue(agent_client, page="2"))
    assert "Ignored the page" not in response.text


def test_start_after_end_drops_end(agent_client, mirrored):
    response = queue(agent_client, created_from="2026-03-20", created_until="2026-03-01")

    assert (
        "Ignored the created until filter “2026-03-01”: "
        "the created-date range ends before it starts (2026-03-20)." in response.text
    )
    assert 43 in row_ids(response)
    assert 'name="created_until" type="date" value=""' in response.text


def test_start_after_end_is_never_silent(agent_client, mirrored):
    response = queue(agent_client, created_from="2027-01-01", created_until="2020-01-01")

    assert row_ids(response) == []
    assert "the created-date range ends before it starts (2027-01-01)" in response.text


def test_valid_status_survives_beside_junk(agent_client, mirrored):
    response = queue(agent_client, status=["pending", "nonsense"])

    statuses = set(
        MirroredTicket.objects.filter(id__in=row_ids(response)).values_list("status", flat=True)
    )
    assert statuses == {"pending"}


def test_pagination_splits_fifty_per_page(agent_client, mirrored):
    total = MirroredTicket.objects.count()

    first = queue(agent_client)
    second = queue(agent_client, page="2")

    assert len(row_ids(first)) == 50
    assert len(row_ids(second)) == total - 50
    assert not set(row_ids(first)) & set(row_ids(second))
    assert 'href="/?page=2"' in first.text
    assert 'rel="prev"' in second.text


def test_page_beyond_last_shows_last(agent_client, mirrored):
    response = queue(agent_client, page="99")

    assert row_ids(response) == row_ids(queue(agent_client, page="2"))


def test_unknown_codes_shown_and_filtered_raw(agent_client, sendcloud):
    sendcloud.state.put_ticket(
        make_ticket(900, status="brand_new_status", carrier="zz_post", stage="odd_stage")
    )
    sync()

    page = queue(agent_client, status="brand_new_status").text

    assert row_ids(queue(agent_client, status="brand_new_status")) == [900]
    assert '<td class="unknown-value">brand_new_status</td>' in page
    assert '<td class="carrier unknown-value">zz_post</td>' in page
    assert row_ids(queue(agent_client, carrier="zz_post")) == [900]
    assert row_ids(queue(agent_client, stage="odd_stage")) == [900]


def test_status_options_sorted_by_label(agent_client, sendcloud):
    sendcloud.state.put_ticket(make_ticket(900, status="aaa_raw_status"))
    sync()

    labels = option_labels(queue(agent_client).text, "filter-status")

    assert labels[-1] == "aaa_raw_status"
    known = labels[:-1]
    assert known == sorted(known, key=str.casefold)
    assert known[0] == "Action required"
    assert "Escalated (AVA)" in known


def test_needs_action_chip_active_only_when_filtered(agent_client, mirrored):
    everything = queue(agent_client).text
    filtered = queue(agent_client, needs_action="yes").text

    unfiltered_chip = chip(everything, "/?needs_action=yes")
    assert " active" not in unfiltered_chip
    assert "aria-current" not in unfiltered_chip
    filtered_chip = chip(filtered, "/?needs_action=yes")
    assert 'class="count count-action active"' in filtered_chip
    assert 'aria-current="true"' in filtered_chip


def test_all_stages_chip_marks_unfiltered_view(agent_client, mirrored):
    everything = queue(agent_client).text
    filtered = queue(agent_client, stage="action_required").text

    assert 'aria-current="true"' in chip(everything, "/")
    assert everything.count('aria-current="true"') == 1
    assert "aria-current" not in chip(filtered, "/")
    assert 'aria-current="true"' in chip(filtered, "/?stage=action_required")


def test_htmx_filter_change_returns_results_and_pushes_url(agent_client, mirrored):
    response = agent_client.get(
        reverse("home"),
        {"stage": "action_required", "q": "", "type": ""},
        HTTP_HX_TRIGGER="queue-filters",
        **HTMX,
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith("<title>")
    assert '<div id="queue-results">' in response.text
    assert "<html" not in response.text
    assert response["HX-Push-Url"] == "/?stage=action_required"
    assert "HX-Request" in response["Vary"]
    assert 'id="filter-form"' not in response.text


def test_htmx_count_link_also_updates_form(agent_client, mirrored):
    response = agent_client.get(reverse("home"), {"stage": "action_required"}, **HTMX)

    assert 'id="filter-form" hx-swap-oob="true"' in response.text


def test_history_restore_gets_full_page(agent_client, mirrored):
    response = agent_client.get(
        reverse("home"),
        {"stage": "action_required"},
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
        **HTMX,
    )

    assert "<html" in response.text
    assert '<option value="action_required" selected>' in response.text


def test_full_page_has_vary_and_no_cache(agent_client, mirrored):
    response = queue(agent_client)

    assert "HX-Request" in response["Vary"]
    assert "no-cache" in response["Cache-Control"]


def test_refresh_without_htmx_redirects_to_queue(agent_client, mirrored):
    response = agent_client.get(
        reverse("overview_refresh"), {"stage": "action_required", "fingerprint": "abc"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/?stage=action_required"


def test_refresh_unchanged_sends_only_freshness(agent_client, mirrored):
    page = queue(agent_client, stage="action_required")

    response = agent_client.get(
        reverse("overview_refresh"),
        {"stage": "action_required", "fingerprint": fingerprint_of(page)},
        **HTMX,
    )

    assert response.status_code == 200
    assert "Updated" in response.text
    assert "hx-swap-oob" not in response.text
    assert len(response.content) < 200


def test_updated_time_follows_time_format(agent_client, mirrored):
    page = queue(agent_client).text

    match = re.search(r'Updated <time datetime="([^"]+)">([^<]+)</time>', page)
    shown_at = datetime.fromisoformat(match.group(1))
    assert match.group(2) == time_format(shown_at, "TIME_FORMAT")


def test_refresh_after_change_swaps_table_not_form(agent_client, mirrored):
    page = queue(agent_client)
    mirrored.state.update_ticket(47, status="customer_documents_requested", stage="action_required")
    sync()

    response = agent_client.get(
        reverse("overview_refresh"), {"fingerprint": fingerprint_of(page)}, **HTMX
    )

    text = response.text
    assert '<div id="ticket-table" class="table-wrap" hx-swap-oob="true">' in text
    assert 'id="stage-counts"' in text
    assert 'id="queue-filters"' not in text
    count = MirroredTicket.objects.filter(needs_action=True).count()
    assert f"<title>({count}) Needs action · Sendcloud tickets</title>" in text
    assert fingerprint_of(response) != fingerprint_of(page)


def test_refresh_keeps_filters_in_poll_url(agent_client, mirrored):
    page = queue(agent_client, carrier="dpd", page="1").text

    assert 'hx-get="/queue/refresh/?carrier=dpd"' in page


def test_data_as_of_after_sync(agent_client, mirrored):
    page = queue(agent_client).text

    assert "Data as of" in page
    assert "banner-warning" not in page


def test_warning_when_never_synced(agent_client, sendcloud):
    page = queue(agent_client).text

    assert "has not been filled yet" in page


def test_warning_when_sync_fails(agent_client, mirrored):
    mirrored.state.inject(Status(503), path="/dsf/tickets", times=None)
    with pytest.raises(Exception, match="503"):
        sync()

    page = queue(agent_client).text

    assert "The sync with Sendcloud has been failing since" in page
    assert row_ids(queue(agent_client))


def test_failing_since_follows_datetime_format(agent_client, mirrored):
    mirrored.state.inject(Status(503), path="/dsf/tickets", times=None)
    with pytest.raises(Exception, match="503"):
        sync()
    since = timezone.localtime(SyncState.objects.get().failing_since)

    page = queue(agent_client).text

    expected = date_format(since, "DATETIME_FORMAT")
    assert f"The sync with Sendcloud has been failing since {expected}." in page


def test_warning_when_sync_is_late(agent_client, mirrored, settings):
    settings.SYNC_LATE_SECONDS = 60
    SyncState.objects.update(last_success_at=timezone.now() - timedelta(minutes=10))

    page = queue(agent_client).text

    assert "The sync with Sendcloud is late" in page
