"""The dashboard inside the intranet portal's frame, in Chromium.

The live server runs on localhost and the portal on 127.0.0.1, which are different sites, so
the dashboard is a third party in the frame as it is when the portal is on another domain.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.dashboard_fixtures import AGENT_PASSWORD, AGENT_USERNAME
from tests.security_fixtures import allow_portal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def portal(portal_factory, settings, sendcloud, agent):
    """A portal that may frame the dashboard, with the dashboard polling every second."""
    started = portal_factory()
    allow_portal(settings, started.url)
    settings.DASHBOARD_POLL_SECONDS = 1
    return started


def dashboard_frame(page):
    return page.frame_locator("#dashboard-frame")


def frame_document(page):
    return page.frame(url=re.compile(r"^http://localhost:"))


def sign_in_inside_frame(page) -> None:
    frame = dashboard_frame(page)
    frame.locator("#id_username").fill(AGENT_USERNAME)
    frame.locator("#id_password").fill(AGENT_PASSWORD)
    frame.locator("button[type=submit]").click()


def portal_path(page) -> str:
    return parse_qs(urlsplit(page.url).query).get("path", [""])[0]


def test_sign_in_inside_frame_then_page_polls(page, portal, sendcloud):
    page.goto(f"{portal.url}/?path=/tickets/43/")
    frame = dashboard_frame(page)
    expect(frame.locator("h1")).to_have_text("Sign in")

    sign_in_inside_frame(page)

    expect(frame.locator("#status-panel")).to_contain_text("Needs action")
    assert frame_document(page).url.endswith("/tickets/43/")
    sendcloud.state.update_ticket(43, status="documents_forwarded_to_carrier", stage="in_progress")
    expect(frame.locator("#status-panel")).to_contain_text("Documents forwarded to carrier")
    assert page.csp_violations == []


def test_framed_page_tells_portal_path_and_title(page, portal, sendcloud):
    page.goto(f"{portal.url}/?path=/tickets/43/")
    sign_in_inside_frame(page)

    expect(page).to_have_title("#43 · Needs action · Sendcloud tickets · Intranet portal")
    assert portal_path(page) == "/tickets/43/"

    sendcloud.state.update_ticket(43, status="documents_forwarded_to_carrier", stage="in_progress")
    expect(page).to_have_title(
        "#43 · Documents forwarded to carrier · Sendcloud tickets · Intranet portal"
    )
    frame = dashboard_frame(page)
    frame.locator("#search-query").fill("44")
    frame.locator("#search-query").press("Enter")
    expect(page).to_have_title(re.compile(r"^#44 "))
    assert portal_path(page) == "/tickets/44/"
    assert page.csp_violations == []


def test_framed_page_has_compact_chrome_and_portal_links(page, portal):
    page.goto(f"{portal.url}/?path=/tickets/43/")
    sign_in_inside_frame(page)
    frame = dashboard_frame(page)
    expect(frame.locator("#status-panel")).to_be_visible()

    assert "framed" in frame.locator("html").get_attribute("class")
    open_link = frame.locator(".open-in-tab")
    expect(open_link).to_be_visible()
    assert open_link.get_attribute("target") == "_blank"
    assert open_link.get_attribute("href").endswith("/tickets/43/")
    copy_button = frame.locator(".copy-link")
    assert copy_button.get_attribute("data-link") == f"{portal.url}/?path=/tickets/43/"

    copy_button.click()

    expect(frame.locator(".copy-link-status")).not_to_be_empty()


def test_page_outside_frame_has_full_chrome(signed_in_page, live_server):
    page = signed_in_page
    page.goto(f"{live_server.url}/tickets/44/")

    expect(page.locator(".open-in-tab")).to_be_hidden()
    assert "framed" not in (page.locator("html").get_attribute("class") or "")


def test_frame_on_other_origin_is_refused(page, portal, portal_factory):
    stranger = portal_factory()
    assert stranger.url != portal.url

    page.goto(f"{stranger.url}/?path=/tickets/43/")
    page.wait_for_timeout(1000)

    assert frame_document(page) is None or frame_document(page).url.startswith("chrome-error:")
    expect(dashboard_frame(page).locator("#id_username")).to_have_count(0)
    assert any("frame-ancestors" in message for message in page.csp_violations)


def test_frame_is_refused_without_portal_setting(page, portal_factory, sendcloud):
    stranger = portal_factory()

    page.goto(f"{stranger.url}/?path=/tickets/43/")
    page.wait_for_timeout(1000)

    expect(dashboard_frame(page).locator("#id_username")).to_have_count(0)


def test_ended_session_sends_frame_to_sign_in(page, portal):
    from django.contrib.sessions.models import Session

    page.goto(f"{portal.url}/?path=/tickets/43/")
    sign_in_inside_frame(page)
    frame = dashboard_frame(page)
    expect(frame.locator("#status-panel")).to_be_visible()

    Session.objects.all().delete()

    expect(frame.locator("h1")).to_have_text("Sign in")
    assert frame_document(page).url.endswith("/login/?next=/tickets/43/")
    expect(frame.locator("#status-panel")).to_have_count(0)
    assert portal_path(page) == "/login/?next=/tickets/43/"
