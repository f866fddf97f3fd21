"""The ticket page in Chromium: refreshing, pausing, failing and navigating."""

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from tickets.sendcloud.simulator import Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fast_polling(settings, sendcloud):
    settings.DASHBOARD_POLL_SECONDS = 1
    return sendcloud


def refresh_requests(page) -> list[str]:
    seen = []
    page.on(
        "request", lambda request: seen.append(request.url) if "/refresh/" in request.url else None
    )
    return seen


def test_page_follows_upstream_changes_without_reload(signed_in_page, live_server, fast_polling):
    page = signed_in_page
    page.goto(f"{live_server.url}/tickets/43/")
    expect(page).to_have_title("#43 · Needs action · Sendcloud tickets")
    page.evaluate("window.loadMarker = 'still the same page'")

    fast_polling.state.add_requested_action(43, "proof_of_shipment")
    expect(page.locator("#document-timeline")).to_contain_text("Proof of shipment requested")

    fast_polling.state.update_ticket(
        43, status="documents_forwarded_to_carrier", stage="in_progress"
    )
    expect(page.locator("#status-panel")).to_contain_text("Documents forwarded to carrier")
    expect(page).to_have_title("#43 · Documents forwarded to carrier · Sendcloud tickets")
    assert page.evaluate("window.loadMarker") == "still the same page"
    assert page.csp_violations == []


def test_final_ticket_sends_no_poll(signed_in_page, live_server, fast_polling):
    page = signed_in_page
    polls = refresh_requests(page)

    page.goto(f"{live_server.url}/tickets/44/")
    expect(page.locator("#status-panel")).to_contain_text("149.99 EUR")
    page.wait_for_timeout(3500)

    assert polls == []


def test_open_ticket_polls_and_stops_when_final(signed_in_page, live_server, fast_polling):
    page = signed_in_page
    polls = refresh_requests(page)
    page.goto(f"{live_server.url}/tickets/43/")
    page.wait_for_timeout(2500)
    assert len(polls) >= 1

    fast_polling.state.update_ticket(43, status="claim_paid", stage="manually_solved_stage")
    expect(page.locator("#status-panel")).to_contain_text("Claim paid")
    count_when_final = len(polls)
    page.wait_for_timeout(3000)

    assert len(polls) == count_when_final


def test_hidden_tab_pauses_polling(signed_in_page, live_server, fast_polling):
    page = signed_in_page
    polls = refresh_requests(page)
    page.goto(f"{live_server.url}/tickets/43/")
    page.evaluate(
        """() => {
            Object.defineProperty(document, "hidden", {configurable: true, get: () => true});
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    page.wait_for_timeout(300)
    count_when_hidden = len(polls)
    page.wait_for_timeout(3500)
    assert len(polls) == count_when_hidden

    page.evaluate(
        """() => {
            Object.defineProperty(document, "hidden", {configurable: true, get: () => false});
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    page.wait_for_timeout(500)

    assert len(polls) == count_when_hidden + 1


def test_failing_poll_shows_banner_then_recovers(signed_in_page, live_server, fast_polling):
    page = signed_in_page
    page.goto(f"{live_server.url}/tickets/43/")
    expect(page.locator("#status-panel")).to_contain_text("Needs action")

    fast_polling.state.inject(Status(503))
    banner = page.locator("#upstream-banner")
    expect(banner).to_contain_text("server error 503")
    expect(banner).to_contain_text("Failing since")
    expect(page.locator("#document-timeline")).to_contain_text("Sales invoice requested")

    fast_polling.state.clear_faults()
    expect(banner).to_be_empty()
    expect(page.locator("#freshness")).to_contain_text("Updated")
    assert page.csp_violations == []


def test_back_after_ticket_to_ticket_shows_full_page(signed_in_page, live_server, fast_polling):
    page = signed_in_page
    page.goto(f"{live_server.url}/tickets/42/")
    page.wait_for_timeout(1500)  # Let a poll swap something first.
    page.fill("#search-query", "43")
    page.press("#search-query", "Enter")
    expect(page).to_have_title(re.compile(r"^#43 "))

    page.go_back()

    expect(page).to_have_title(re.compile(r"^#42 "))
    expect(page.locator("header.site-header")).to_be_visible()
    expect(page.locator("#status-panel")).to_contain_text("PostNL")
    page.go_forward()
    expect(page).to_have_title(re.compile(r"^#43 "))
    expect(page.locator("header.site-header")).to_be_visible()


def test_ended_session_sends_whole_page_to_sign_in(signed_in_page, live_server, fast_polling):
    page = signed_in_page
    page.goto(f"{live_server.url}/tickets/43/")
    expect(page.locator("#status-panel")).to_contain_text("Needs action")

    Session.objects.all().delete()

    page.wait_for_url(re.compile(r"/login/\?next=/tickets/43/$"))
    expect(page.locator("h1")).to_have_text("Sign in")
    expect(page.locator("#status-panel")).to_have_count(0)


def test_idle_session_ends_although_page_polls(signed_in_page, live_server, fast_polling, settings):
    settings.SESSION_IDLE_SECONDS = 3
    page = signed_in_page
    polls = refresh_requests(page)
    page.goto(f"{live_server.url}/tickets/43/")
    expect(page.locator("#status-panel")).to_contain_text("Needs action")

    page.wait_for_url(re.compile(r"/login/\?next=/tickets/43/$"))

    assert len(polls) >= 2
    expect(page.locator("h1")).to_have_text("Sign in")
    expect(page.locator("#status-panel")).to_have_count(0)
