"""The queue pages in Chromium: filtering, history, self-refresh, keyboard and axe checks."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tickets.models import MirroredTicket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERIOUS_IMPACTS = {"serious", "critical"}


@pytest.fixture
def queue_page(signed_in_page, live_server, mirrored, settings):
    """A signed-in browser page on the queue of the seed tickets, polling every second."""
    settings.DASHBOARD_POLL_SECONDS = 1
    signed_in_page.goto(f"{live_server.url}/")
    expect(signed_in_page.locator("#ticket-table")).to_be_visible()
    return signed_in_page


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])} nodes)"
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS_IMPACTS
    ]


def shown_ids(page) -> list[int]:
    return [
        int(value)
        for value in page.locator("#ticket-table tbody tr").evaluate_all(
            "rows => rows.map(row => row.dataset.ticketId)"
        )
    ]


def test_stage_filter_pushes_url_without_reload(queue_page, live_server):
    page = queue_page
    page.evaluate("window.loadMarker = 'same page'")
    page.locator("details.filters summary").click()

    page.select_option("#filter-stage", "action_required")

    expect(page).to_have_url(f"{live_server.url}/?stage=action_required")
    expected = set(
        MirroredTicket.objects.filter(stage="action_required").values_list("id", flat=True)
    )
    expect(page.locator("#ticket-table tbody tr")).to_have_count(len(expected))
    assert set(shown_ids(page)) == expected
    assert page.evaluate("window.loadMarker") == "same page"
    assert page.csp_violations == []


def test_back_after_filter_change_shows_previous_view(queue_page, live_server):
    page = queue_page
    all_ids = shown_ids(page)
    page.locator("details.filters summary").click()
    page.select_option("#filter-carrier", "dpd")
    expect(page).to_have_url(f"{live_server.url}/?carrier=dpd")

    page.go_back()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("#ticket-table tbody tr")).to_have_count(len(all_ids))
    expect(page.locator("#filter-carrier")).to_have_value("")

    page.go_forward()

    expect(page).to_have_url(f"{live_server.url}/?carrier=dpd")
    expect(page.locator("#filter-carrier")).to_have_value("dpd")


def test_reopened_filtered_url_shows_full_page(signed_in_page, live_server, mirrored):
    page = signed_in_page

    page.goto(f"{live_server.url}/?stage=action_required&status=customer_documents_requested")

    expect(page.locator("#filter-stage")).to_have_value("action_required")
    expect(page.locator("h1")).to_have_text("Ticket queue")
    assert 43 in shown_ids(page)


def test_refresh_keeps_scroll_focus_and_open_filters(queue_page):
    page = queue_page
    page.set_viewport_size({"width": 1200, "height": 500})
    page.locator("details.filters summary").click()
    # The last ticket of the first page, which does not need action yet.
    ticket_id = shown_ids(page)[-1]
    page.locator(f"#ticket-link-{ticket_id}").focus()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    scroll_before = page.evaluate("window.scrollY")
    assert scroll_before > 0
    needing = MirroredTicket.objects.filter(needs_action=True).count()

    # The sync writes a change; the next poll redraws the table and the title.
    MirroredTicket.objects.filter(id=ticket_id).update(
        status="customer_documents_requested", needs_action=True
    )
    expect(page).to_have_title(f"({needing + 1}) Needs action · Sendcloud tickets")
    expect(page.locator(f'#ticket-table tr[data-ticket-id="{ticket_id}"]')).to_have_class(
        "row-action"
    )

    # Chromium restores the scroll position of a page of fractional height to the pixel below.
    assert abs(page.evaluate("window.scrollY") - scroll_before) <= 1
    assert page.evaluate("document.activeElement.id") == f"ticket-link-{ticket_id}"
    assert page.locator("details.filters").evaluate("element => element.open")
    assert page.csp_violations == []


def test_order_numbers_and_carriers_stay_on_one_line(queue_page):
    page = queue_page
    cells = page.locator("#ticket-table td.order-number, #ticket-table td.carrier")

    # A range over the text has one box per line the text takes.
    line_counts = cells.evaluate_all(
        """cells => cells.map(cell => {
            const range = document.createRange();
            range.selectNodeContents(cell);
            return new Set([...range.getClientRects()].map(rect => Math.round(rect.top))).size;
        })"""
    )
    table_wrap = page.locator("#ticket-table")

    assert cells.count() == 100
    assert set(line_counts) == {1}
    assert table_wrap.evaluate("element => element.scrollWidth <= element.clientWidth")


def test_needs_action_chip_outlined_only_when_active(queue_page, live_server):
    page = queue_page
    chip = page.locator("#stage-counts a.count-action")
    plain_border = (
        page.locator("#stage-counts a.count")
        .nth(1)
        .evaluate("element => getComputedStyle(element).borderTopColor")
    )

    assert chip.evaluate("element => getComputedStyle(element).borderTopColor") == plain_border
    expect(chip).not_to_have_attribute("aria-current", "true")

    chip.click()

    expect(page).to_have_url(f"{live_server.url}/?needs_action=yes")
    expect(chip).to_have_attribute("aria-current", "true")
    assert chip.evaluate("element => getComputedStyle(element).borderTopColor") != plain_border


def test_keyboard_reaches_filters_and_tickets(queue_page, live_server):
    page = queue_page
    page.locator("body").focus()

    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "SUMMARY":
            break
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "filter-stage"

    for _ in range(80):
        page.keyboard.press("Tab")
        if re.fullmatch(r"ticket-link-\d+", page.evaluate("document.activeElement.id") or ""):
            break
    ticket_id = page.evaluate("document.activeElement.id").removeprefix("ticket-link-")
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/tickets/{ticket_id}/")


@pytest.mark.parametrize(
    "path",
    ["/", "/?stage=bogus&page=-1", "/documents/", "/orders/ORD-2026-1500/", "/tickets/43/"],
)
def test_pages_have_no_serious_axe_violations(signed_in_page, live_server, mirrored, path):
    page = signed_in_page

    page.goto(f"{live_server.url}{path}")
    page.locator("main").wait_for()

    assert serious_violations(page) == []


def test_sign_in_page_has_no_serious_axe_violations(page, live_server, db):
    page.goto(f"{live_server.url}/login/")

    assert serious_violations(page) == []


def test_arrowing_through_filter_sends_one_request(queue_page, live_server):
    page = queue_page
    filter_requests = []
    filter_url = f"{live_server.url}/?"
    page.on(
        "request",
        lambda request: (
            filter_requests.append(request.url) if request.url.startswith(filter_url) else None
        ),
    )
    page.locator("details.filters summary").click()
    page.focus("#filter-carrier")

    for _ in range(3):
        page.keyboard.press("ArrowDown")
    page.wait_for_timeout(1500)

    assert len(filter_requests) == 1
