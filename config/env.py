"""Read settings from environment variables, rejecting malformed values by name."""

import os
from ipaddress import IPv4Network, IPv6Network, ip_network
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}.")
    return value


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}.") from None
    if not value >= minimum:  # Also rejects NaN.
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {raw!r}.")
    return value


def env_list(name: str, default: tuple[str, ...] = ()) -> list[str]:
    """Split a comma-separated variable into its non-empty items."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_networks(name: str) -> list[IPv4Network | IPv6Network]:
    """Parse a comma-separated list of IP addresses and networks, such as 10.0.0.5,10.1.0.0/16."""
    networks = []
    for item in env_list(name):
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list IP addresses or networks, not {item!r}."
            ) from None
    return networks


def env_origins(name: str) -> list[str]:
    """Parse a comma-separated list of web origins, such as https://intranet.example.com."""
    origins = []
    for item in env_list(name):
        parts = urlsplit(item)
        try:
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number.
        except ValueError:
            parts = urlsplit("")
        is_origin = (
            parts.scheme in ("http", "https")
            and parts.hostname
            and "*" not in item
            and not parts.username
            and not parts.password
            and parts.path in ("", "/")
            and not parts.query
            and not parts.fragment
        )
        if not is_origin:
            raise ImproperlyConfigured(
                f"{name} must list origins such as https://intranet.example.com, not {item!r}."
            )
        origins.append(f"{parts.scheme}://{parts.netloc.lower()}")
    return origins
