"""System checks, the demo account and settings helpers."""

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from config.env import env_bool, env_float, env_int
from tickets.checks import check_sendcloud_settings


def check_ids(settings_problems) -> list[str]:
    return [problem.id for problem in settings_problems]


@pytest.mark.parametrize(
    ("public", "secret", "missing"),
    [("pub", "", "SENDCLOUD_SECRET_KEY"), ("", "sec", "SENDCLOUD_PUBLIC_KEY")],
)
def test_one_key_alone_is_named_error(settings, public, secret, missing):
    settings.SENDCLOUD_PUBLIC_KEY = public
    settings.SENDCLOUD_SECRET_KEY = secret

    problems = check_sendcloud_settings(None)

    assert check_ids(problems) == ["tickets.E001"]
    assert problems[0].msg.startswith(missing)


def test_both_or_neither_key_passes(settings):
    settings.SENDCLOUD_PUBLIC_KEY = settings.SENDCLOUD_SECRET_KEY = ""
    assert check_sendcloud_settings(None) == []

    settings.SENDCLOUD_PUBLIC_KEY = settings.SENDCLOUD_SECRET_KEY = "set"
    assert check_sendcloud_settings(None) == []


def test_api_url_must_be_http(settings):
    settings.SENDCLOUD_API_URL = "ftp://example.invalid/api"

    assert check_ids(check_sendcloud_settings(None)) == ["tickets.E002"]


def test_plain_http_to_remote_host_warns(settings):
    settings.SENDCLOUD_API_URL = "http://sendcloud.example.invalid/api/v3"

    assert check_ids(check_sendcloud_settings(None)) == ["tickets.W001"]


@pytest.mark.django_db
def test_demo_account_cannot_sign_in_outside_demo(settings, django_user_model):
    django_user_model.objects.create_user(username="demo", password="demo")
    settings.DEMO_MODE = False

    assert authenticate(username="demo", password="demo") is None


@pytest.mark.django_db
def test_demo_account_command_creates_and_removes(settings, django_user_model):
    settings.DEMO_MODE = True
    settings.SENDCLOUD_API_URL = "http://127.0.0.1:9/api/v3"
    call_command("demo_account")
    assert authenticate(username="demo", password="demo") is not None

    settings.DEMO_MODE = False
    call_command("demo_account")
    assert not django_user_model.objects.filter(username="demo").exists()


@pytest.mark.parametrize("raw", ["maybe", "2"])
def test_env_bool_rejects_junk(monkeypatch, raw):
    monkeypatch.setenv("SOME_FLAG", raw)

    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env_bool("SOME_FLAG")


def test_env_int_rejects_junk_and_small(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER"):
        env_int("SOME_NUMBER", 1)

    monkeypatch.setenv("SOME_NUMBER", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("SOME_NUMBER", 5, minimum=1)


def test_env_float_rejects_nan(monkeypatch):
    monkeypatch.setenv("SOME_SECONDS", "nan")

    with pytest.raises(ImproperlyConfigured, match="SOME_SECONDS"):
        env_float("SOME_SECONDS", 1.0)


@pytest.mark.django_db
def test_add_agent_creates_account(monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt: "a long enough passphrase")

    call_command("add_agent", "maria")

    assert authenticate(username="maria", password="a long enough passphrase") is not None


@pytest.mark.django_db
def test_add_agent_rejects_weak_password(monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt: "123")

    with pytest.raises(CommandError, match="too short"):
        call_command("add_agent", "maria")


def test_add_agent_rejects_demo_name():
    with pytest.raises(CommandError, match="reserved"):
        call_command("add_agent", "demo")
