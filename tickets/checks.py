"""System checks that stop the dashboard on a configuration it cannot work with."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Warning, register

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@register()
def check_sendcloud_settings(app_configs, **kwargs):
    problems = []
    public_key = settings.SENDCLOUD_PUBLIC_KEY
    secret_key = settings.SENDCLOUD_SECRET_KEY
    if bool(public_key) != bool(secret_key):
        missing = "SENDCLOUD_SECRET_KEY" if public_key else "SENDCLOUD_PUBLIC_KEY"
        problems.append(
            Error(
                f"{missing} is missing: set both Sendcloud keys for live mode, "
                "or neither for the demo.",
                hint="Copy the keys of your Sendcloud integration into the environment.",
                id="tickets.E001",
            )
        )
    url = urlsplit(settings.SENDCLOUD_API_URL)
    if url.scheme not in {"http", "https"} or not url.hostname:
        problems.append(
            Error(
                f"SENDCLOUD_API_URL is not an http or https address: "
                f"{settings.SENDCLOUD_API_URL!r}.",
                id="tickets.E002",
            )
        )
    elif url.scheme == "http" and url.hostname not in LOOPBACK_HOSTS:
        problems.append(
            Warning(
                "SENDCLOUD_API_URL uses plain http to another machine, "
                "so the Sendcloud keys would travel unencrypted.",
                hint="Use the https address of the Sendcloud API.",
                id="tickets.W001",
            )
        )
    return problems
