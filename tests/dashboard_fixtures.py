"""Pytest fixtures for Django-level tests: the dashboard pointed at the simulator, and agents."""

import pytest
from django.core.cache import cache

from tickets.sendcloud.client import reset_client

AGENT_USERNAME = "agent"
AGENT_PASSWORD = "correct horse battery staple"


@pytest.fixture
def sendcloud(simulator, settings, db):
    """Point the dashboard's Sendcloud client at the simulator; return the simulator.

    The cache starts empty, because the database cache table is not flushed between tests.
    """
    cache.clear()
    settings.SENDCLOUD_API_URL = simulator.url
    settings.SENDCLOUD_PUBLIC_KEY = simulator.public_key
    settings.SENDCLOUD_SECRET_KEY = simulator.secret_key
    settings.SENDCLOUD_DEADLINE = 3.0
    settings.SENDCLOUD_READ_TIMEOUT = 2.0
    reset_client()
    yield simulator
    reset_client()
    cache.clear()


@pytest.fixture
def agent(django_user_model):
    return django_user_model.objects.create_user(username=AGENT_USERNAME, password=AGENT_PASSWORD)


@pytest.fixture
def agent_client(client, agent):
    """A Django test client signed in as an agent."""
    client.force_login(agent)
    return client
