"""The poll of the ticket page: what it returns when things change, stay or fail."""

import re

import pytest
from django.urls import reverse

from tickets.sendcloud.simulator import Hang, Status

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/tickets/43/"}


def refresh_url(ticket_id) -> str:
    return reverse("ticket_refresh", args=[ticket_id])


def page_fingerprint(client, ticket_id) -> str:
    page = client.get(reverse("ticket_detail", args=[ticket_id])).text
    return re.search(r'id="fingerprint" name="fingerprint" value="([0-9a-f]+)"', page).group(1)


def test_unchanged_ticket_answers_only_freshness(agent_client, sendcloud):
    fingerprint = page_fingerprint(agent_client, 43)

    response = agent_client.get(refresh_url(43), {"fingerprint": fingerprint}, headers=HTMX)

    assert response.status_code == 200
    assert response.text.startswith("Updated <time")
    assert len(response.content) < 200
    assert "hx-swap-oob" not in response.text


def test_changed_ticket_answers_panels_out_of_band(agent_client, sendcloud):
    fingerprint = page_fingerprint(agent_client, 43)
    sendcloud.state.add_requested_action(43, "proof_of_shipment")

    response = agent_client.get(refresh_url(43), {"fingerprint": fingerprint}, headers=HTMX)

    assert response.status_code == 200
    assert 'id="status-panel"' in response.text
    assert 'id="document-timeline" class="panel timeline-panel"' in response.text
    assert response.text.count('hx-swap-oob="true"') == 4
    assert "Proof of shipment requested" in response.text
    assert "<title>#43 · Needs action · Sendcloud tickets</title>" in response.text
    assert f'value="{fingerprint}"' not in response.text


def test_ticket_turning_final_stops_polling(agent_client, sendcloud):
    fingerprint = page_fingerprint(agent_client, 43)
    sendcloud.state.update_ticket(43, status="claim_paid", stage="manually_solved_stage")

    response = agent_client.get(refresh_url(43), {"fingerprint": fingerprint}, headers=HTMX)

    assert '<div id="poller" hx-swap-oob="true"></div>' in response.text
    assert "hx-get" not in response.text


def test_failing_upstream_answers_200_with_banner(agent_client, sendcloud):
    fingerprint = page_fingerprint(agent_client, 43)
    sendcloud.state.inject(Status(503))

    response = agent_client.get(refresh_url(43), {"fingerprint": fingerprint}, headers=HTMX)

    assert response.status_code == 200
    assert "server error 503" in response.text
    assert "Failing since" in response.text
    assert "Showing the state fetched at" in response.text


def test_failure_with_nothing_cached_still_answers_200(agent_client, sendcloud):
    sendcloud.state.inject(Hang(seconds=10))

    response = agent_client.get(refresh_url(43), {"fingerprint": "abc"}, headers=HTMX)

    assert response.status_code == 200
    assert response.text.startswith("Checked <time")
    assert "did not answer in time" in response.text
    assert 'id="fingerprint" name="fingerprint" value=""' in response.text


def test_recovery_removes_banner(agent_client, sendcloud):
    fingerprint = page_fingerprint(agent_client, 43)
    sendcloud.state.inject(Status(500), times=1)
    failed = agent_client.get(refresh_url(43), {"fingerprint": fingerprint}, headers=HTMX)
    assert "server error 500" in failed.text
    failed_fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', failed.text).group(1)

    recovered = agent_client.get(refresh_url(43), {"fingerprint": failed_fingerprint}, headers=HTMX)

    assert "server error 500" not in recovered.text
    assert '<div id="upstream-banner" hx-swap-oob="true">' in recovered.text


def test_ticket_gone_upstream_keeps_page_with_banner(agent_client, sendcloud):
    fingerprint = page_fingerprint(agent_client, 43)
    sendcloud.state.delete_ticket(43)

    response = agent_client.get(refresh_url(43), {"fingerprint": fingerprint}, headers=HTMX)

    assert response.status_code == 200
    assert "no longer finds this ticket" in response.text


def test_plain_request_is_redirected_to_page(agent_client, sendcloud):
    response = agent_client.get(refresh_url(43))

    assert response.status_code == 302
    assert response["Location"] == reverse("ticket_detail", args=[43])
    assert sendcloud.state.count_requests() == 0


def test_history_restore_is_redirected_to_page(agent_client, sendcloud):
    headers = {**HTMX, "HX-History-Restore-Request": "true"}

    response = agent_client.get(refresh_url(43), headers=headers)

    assert response.status_code == 302


def test_refresh_varies_on_htmx_and_is_not_stored(agent_client, sendcloud):
    response = agent_client.get(refresh_url(43), headers=HTMX)

    assert "HX-Request" in response["Vary"]
    assert "no-store" in response["Cache-Control"]


def test_expired_session_redirects_whole_page_to_sign_in(client, sendcloud):
    response = client.get(refresh_url(43), headers=HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{reverse('login')}?next=/tickets/43/"
    assert sendcloud.state.count_requests() == 0


def test_invalid_id_on_refresh_is_404(agent_client, sendcloud):
    response = agent_client.get("/tickets/abc/refresh/", headers=HTMX)

    assert response.status_code == 404
