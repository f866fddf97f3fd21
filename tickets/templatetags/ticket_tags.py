"""Template helpers for dates: a relative time inside a <time> element with the exact time."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

register = template.Library()


def relative_time(value: datetime, now: datetime | None = None) -> str:
    """Return "3 days ago", "in 2 minutes" or "just now" for a moment."""
    now = now or timezone.now()
    delta = (now - value).total_seconds()
    if abs(delta) < 60:
        return _("just now")
    if delta > 0:
        return _("%(time)s ago") % {"time": timesince(value, now, depth=1)}
    return _("in %(time)s") % {"time": timesince(now, value, depth=1)}


@register.simple_tag
def time_ago(value: datetime | None):
    """Render a moment as relative text in a <time> element carrying the exact time."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    exact = date_format(local, "DATETIME_FORMAT")
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        local.isoformat(),
        exact,
        relative_time(value),
    )


@register.simple_tag
def time_exact(value: datetime | None, format_name: str = "DATETIME_FORMAT"):
    """Render a moment as absolute local time in a <time> element."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}">{}</time>', local.isoformat(), date_format(local, format_name)
    )
