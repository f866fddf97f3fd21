"""The project's own error pages: words instead of a blank page or Django's defaults."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_get_on_sign_out_explains_itself(agent_client):
    response = agent_client.get(reverse("logout"))

    assert response.status_code == 405
    assert "Method not allowed" in response.text
    assert "POST" in response["Allow"]


def test_unknown_page_is_404_in_words(agent_client):
    response = agent_client.get("/no/such/page/")

    assert response.status_code == 404
    assert "This page does not exist." in response.text


@pytest.mark.parametrize("name", ["home", "documents", "healthz"])
def test_head_is_answered_like_get(agent_client, name):
    response = agent_client.head(reverse(name))

    assert response.status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
@pytest.mark.parametrize("name", ["home", "documents", "healthz"])
def test_unsafe_method_on_reading_page_is_405(agent_client, name, method):
    response = getattr(agent_client, method)(reverse(name))

    assert response.status_code == 405
    assert "Method not allowed" in response.text
    assert "expired" not in response.text


def test_post_to_ticket_page_is_405(agent_client):
    response = agent_client.post(reverse("ticket_detail", args=[42]))

    assert response.status_code == 405


def test_sign_in_still_takes_post(client, agent):
    response = client.post(
        reverse("login"), {"username": "agent", "password": "correct horse battery staple"}
    )

    assert response.status_code == 302
