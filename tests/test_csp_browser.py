"""No Content-Security-Policy violation on any page, refresh or action, in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from tickets.sendcloud.simulator import Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Pages an agent reaches, with text that shows each one rendered.
PAGES = [
    ("/", "#ticket-table"),
    ("/?stage=action_required&carrier=postnl", "#ticket-table"),
    ("/documents/", "main h1"),
    ("/tickets/43/", "#status-panel"),
    ("/tickets/44/", "#status-panel"),
    ("/tickets/999999/", "main h1"),
    ("/tickets/not-a-number/", "main h1"),
    ("/orders/ORD-2026-1234/", "main h1"),
    ("/parcels/123/", "main h1"),
    ("/search/?q=%3Cb%3E", "main h1"),
    ("/login/?next=https://evil.example/", "main h1"),
    ("/tickets/" + "1" * 1100 + "/", "main h1"),
]


@pytest.fixture
def watched_page(signed_in_page, mirrored, settings):
    """A signed-in page that also records script errors, polling every second."""
    settings.DASHBOARD_POLL_SECONDS = 1
    signed_in_page.script_errors = []
    signed_in_page.on("pageerror", lambda error: signed_in_page.script_errors.append(str(error)))
    return signed_in_page


def test_pages_raise_no_violation(watched_page, live_server):
    page = watched_page

    for path, shown in PAGES:
        page.goto(live_server.url + path)
        expect(page.locator(shown).first).to_be_visible()

    assert page.csp_violations == []
    assert page.script_errors == []


def test_quiet_polls_raise_no_violation(watched_page, live_server):
    page = watched_page
    polls = []
    page.on(
        "response", lambda response: polls.append(response) if "/refresh/" in response.url else None
    )
    page.goto(f"{live_server.url}/tickets/43/")
    page.wait_for_timeout(2500)
    page.goto(f"{live_server.url}/")
    page.wait_for_timeout(2500)

    assert len(polls) >= 2
    assert page.csp_violations == []
    assert page.script_errors == []


def test_changes_and_failures_raise_no_violation(watched_page, live_server, mirrored):
    page = watched_page
    page.goto(f"{live_server.url}/tickets/43/")

    mirrored.state.add_requested_action(43, "proof_of_shipment")
    expect(page.locator("#document-timeline")).to_contain_text("Proof of shipment requested")
    mirrored.state.inject(Status(503))
    expect(page.locator("#upstream-banner")).to_contain_text("Failing since")
    mirrored.state.clear_faults()
    expect(page.locator("#upstream-banner")).to_be_empty()
    mirrored.state.update_ticket(43, status="claim_paid", stage="manually_solved_stage")
    expect(page.locator("#status-panel")).to_contain_text("Claim paid")

    assert page.csp_violations == []
    assert page.script_errors == []


def test_actions_raise_no_violation(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server.url}/")
    page.locator("details.filters summary").click()
    page.select_option("#filter-stage", "action_required")
    expect(page).to_have_url(re.compile(r"stage=action_required"))
    page.locator("#stage-counts a").last.click()
    page.go_back()
    page.fill("#search-query", "43")
    page.press("#search-query", "Enter")
    expect(page).to_have_title(re.compile(r"^#43 "))
    page.locator(".copy-link").click()
    expect(page.locator(".copy-link-status")).not_to_be_empty()
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("h1")).to_have_text("Sign in")
    page.fill("#id_username", "agent")
    page.fill("#id_password", "wrong password")
    page.click("button[type=submit]")
    expect(page.locator(".field-error")).to_be_visible()

    assert page.csp_violations == []
    assert page.script_errors == []
