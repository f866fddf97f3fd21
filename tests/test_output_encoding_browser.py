"""Text from Sendcloud stays text: injection payloads in every text field, in Chromium.

Each payload goes into every text field of a simulator ticket. The pages that show it are the
ticket page, its refresh, the queue, the documents queue and the order look-up. None of them
may open a dialog or gain an element, attribute or script of the payload's making. Every link,
form and htmx request must still point at the dashboard.
"""

from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import expect

from tests.queue_fixtures import make_ticket, sync

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST_ID = 9100
PAYLOADS = [
    "<script data-xss>alert(1)</script>",
    "<img src=x onerror=alert(1) data-xss>",
    "<svg onload=alert(1) data-xss>",
    '"><img src=x onerror=alert(1) data-xss>',
    "'><svg onload=alert(1) data-xss>",
    '" autofocus onfocus="alert(1)',
    "' onmouseover='alert(1)",
    "</title><script data-xss>alert(1)</script>",
    "</script><script data-xss>alert(1)</script>",
    "<iframe data-xss srcdoc='<script>parent.alert(1)</script>'></iframe>",
    '<a href="javascript:alert(1)" data-xss>open</a>',
    "javascript:alert(1)",
    '<base href="https://evil.example/" data-xss>',
    '<meta http-equiv=refresh content="0;url=https://evil.example/" data-xss>',
    '<form data-xss action="https://evil.example/"><button>go</button></form>',
    "<details data-xss open ontoggle=alert(1)>",
    "<style data-xss>body{display:none}</style>",
    '<div hx-get="/logout/" hx-trigger="load" data-xss>x</div>',
    '<div hx-on:htmx:load="alert(1)" data-xss></div>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1) data-xss>",
    "{{ request.user }}{% csrf_token %}",
    "${alert(1)}{{constructor.constructor('alert(1)')()}}",
    "&lt;script data-xss&gt;alert(1)&lt;/script&gt;",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "\u2028\u2029</script><script data-xss>alert(1)</script>",
    '<!--<img src="--><img src=x onerror=alert(1) data-xss>',
]

# Checks of the rendered page that return a list of what is wrong.
INERT_PAGE_CHECK = """() => {
    const problems = [];
    const origin = window.location.origin;
    if (window.__xss !== undefined) problems.push("window.__xss was set");
    document.querySelectorAll("[data-xss], base, meta[http-equiv], iframe, svg, math").forEach(
        (element) => problems.push("foreign element " + element.tagName));
    document.querySelectorAll("*").forEach((element) => {
        for (const attribute of element.attributes) {
            if (attribute.name.startsWith("on") || attribute.name.startsWith("hx-on")) {
                problems.push("event attribute " + attribute.name + " on " + element.tagName);
            }
        }
    });
    document.querySelectorAll("script").forEach((script) => {
        const isData = script.type === "application/json";
        if (!isData && (!script.src || new URL(script.src).origin !== origin)) {
            problems.push("script " + (script.src || script.textContent.slice(0, 40)));
        }
    });
    document.querySelectorAll("style").forEach(() => problems.push("style element"));
    document.querySelectorAll("a[href]").forEach((link) => {
        const url = new URL(link.href, window.location.href);
        if (url.origin !== origin) problems.push("link to " + link.href);
    });
    document.querySelectorAll("form").forEach((form) => {
        if (new URL(form.action).origin !== origin) problems.push("form to " + form.action);
    });
    document.querySelectorAll("[hx-get], [hx-post]").forEach((element) => {
        const target = element.getAttribute("hx-get") || element.getAttribute("hx-post");
        if (!target.startsWith("/") || target.startsWith("//")) problems.push("htmx to " + target);
    });
    if (document.baseURI !== window.location.href) problems.push("base URI " + document.baseURI);
    return problems;
}"""


def payload_ticket(ticket_id: int, payload: str, *, resolved: bool = False) -> dict:
    """A raw ticket with `payload` in every text field."""
    return make_ticket(
        ticket_id,
        status=payload,
        stage=payload,
        type=payload,
        carrier=payload,
        order_number=payload,
        requested_actions=[
            {"id": ticket_id * 10, "data_type": payload, "created_at": "2026-03-03T09:00:00+00:00"}
        ],
        resolution=(
            {
                "outcome": payload,
                "amount": "12.50",
                "currency": payload,
                "solved_at": "2026-03-04T10:00:00+00:00",
            }
            if resolved
            else None
        ),
    )


@pytest.fixture
def hostile_page(signed_in_page, sendcloud, settings):
    """A signed-in page that records dialogs, polling every second."""
    settings.DASHBOARD_POLL_SECONDS = 1
    page = signed_in_page
    page.dialogs = []

    def record(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return page


def assert_inert(page, where: str) -> None:
    assert page.dialogs == [], where
    assert page.evaluate(INERT_PAGE_CHECK) == [], where


def test_ticket_page_shows_payloads_as_text(hostile_page, live_server, sendcloud):
    page = hostile_page
    for offset, payload in enumerate(PAYLOADS):
        ticket_id = FIRST_ID + offset
        sendcloud.state.put_ticket(payload_ticket(ticket_id, payload, resolved=True))

        page.goto(f"{live_server.url}/tickets/{ticket_id}/")

        expect(page.locator("#status-panel")).to_be_visible()
        assert_inert(page, payload)
        assert payload in page.locator("#status-panel").text_content(), payload
        assert page.title().startswith(f"#{ticket_id} · "), payload
    assert page.csp_violations == []


@pytest.mark.timeout(300)
def test_refresh_shows_payloads_as_text(hostile_page, live_server, sendcloud):
    page = hostile_page
    for offset, payload in enumerate(PAYLOADS):
        ticket_id = FIRST_ID + offset
        sendcloud.state.put_ticket(payload_ticket(ticket_id, "pending"))
        page.goto(f"{live_server.url}/tickets/{ticket_id}/")
        expect(page.locator("#status-panel")).to_be_visible()

        sendcloud.state.put_ticket(payload_ticket(ticket_id, payload, resolved=True))

        expect(page.locator("#status-panel .resolution")).to_be_visible()
        assert_inert(page, payload)
        assert payload in page.locator("#status-panel").text_content(), payload
        assert page.title().startswith(f"#{ticket_id} · "), payload
    assert page.csp_violations == []


def test_queue_pages_show_payloads_as_text(hostile_page, live_server, sendcloud):
    page = hostile_page
    for offset, payload in enumerate(PAYLOADS):
        sendcloud.state.put_ticket(payload_ticket(FIRST_ID + offset, payload))
    sync()

    for path in ["/", "/?needs_action=yes", "/documents/"]:
        page.goto(live_server.url + path)
        expect(page.locator("main h1")).to_be_visible()
        assert_inert(page, path)
    for payload in PAYLOADS:
        page.goto(f"{live_server.url}/orders/{quote(payload, safe='')}/")
        expect(page.locator("main h1")).to_be_visible()
        assert_inert(page, payload)
        assert urlsplit(page.url).netloc == urlsplit(live_server.url).netloc
    assert page.csp_violations == []
