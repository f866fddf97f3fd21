"""Read the filters of the queue pages from the query string.

A filter value that cannot be used is ignored: an unknown stage, a date like 2026-13-45, a
search of 5,000 characters or one with a control character. The form lists a short message for
each ignored value, so a mistyped or outdated bookmark still opens the page. The cleaned filters
rebuild the query string of every link the pages show: count links, pagination, CSV downloads
and the poller.
"""

import re
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets import labels
from tickets.models import MirroredTicket

MAX_SEARCH_LENGTH = 200
MAX_ID = 2**63 - 1
MAX_SHOWN_VALUE_LENGTH = 40
# Dates outside these bounds would overflow when turned into aware datetimes.
MIN_DATE = date(1970, 1, 1)
MAX_DATE = date(9998, 12, 31)
YES = "yes"
NO = "no"
# Unicode category Cc: the C0 controls (NUL to U+001F), DEL and the C1 controls. No order
# number or search contains them, and PostgreSQL rejects NUL in a text parameter.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The query parameter of the end date before it was named after its label, "created until".
# Links and bookmarks from then still carry it.
OLD_CREATED_UNTIL_PARAMETER = "created_to"

_ERROR_MESSAGES = {
    "invalid_choice": gettext_lazy("unknown value"),
    "invalid": gettext_lazy("not a valid value"),
    "max_length": gettext_lazy("longer than %(limit_value)d characters"),
    "min_value": gettext_lazy("too small"),
    "max_value": gettext_lazy("too large"),
    "null_characters_not_allowed": gettext_lazy("contains a null character"),
    "control_characters_not_allowed": gettext_lazy("contains a control character"),
}
_DATE_ERROR_MESSAGES = {
    **_ERROR_MESSAGES,
    "invalid": gettext_lazy("not a date of the form YYYY-MM-DD"),
}


class LenientMultipleChoiceField(forms.MultipleChoiceField):
    """A multiple choice that keeps the valid values and sets the others aside in `rejected`."""

    def clean(self, value):
        values = self.to_python(value)
        self.rejected = [item for item in values if not self.valid_value(item)]
        return [item for item in values if self.valid_value(item)]


def _date_field(label) -> forms.DateField:
    return forms.DateField(
        required=False,
        label=label,
        input_formats=["%Y-%m-%d"],
        error_messages=_DATE_ERROR_MESSAGES,
    )


def shown_value(value: object) -> str:
    """Return user input fit to echo in a message: without control characters, and shortened.

    A value longer than MAX_SHOWN_VALUE_LENGTH characters keeps that many and ends in "…".
    """
    text = ", ".join(value) if isinstance(value, list) else str(value)
    text = CONTROL_CHARACTERS.sub("", text)
    if len(text) > MAX_SHOWN_VALUE_LENGTH:
        return text[:MAX_SHOWN_VALUE_LENGTH] + "…"
    return text


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def _reject_control_characters(value: str) -> None:
    if has_control_characters(value):
        code = (
            "null_characters_not_allowed" if "\x00" in value else "control_characters_not_allowed"
        )
        raise ValidationError(_ERROR_MESSAGES[code], code=code)


def _search_field() -> forms.CharField:
    return forms.CharField(
        required=False,
        label=gettext_lazy("search"),
        max_length=MAX_SEARCH_LENGTH,
        validators=[_reject_control_characters],
        error_messages=_ERROR_MESSAGES,
    )


class LenientFilterForm(forms.Form):
    """A filter form whose invalid values are dropped and described in `ignored_messages`."""

    @property
    def filters(self) -> dict:
        """Return the usable filters: cleaned values that are set, without the ignored ones."""
        errors = self.errors  # Cleans the data on first use.
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in errors and value not in (None, "", [])
        }

    @property
    def ignored_messages(self) -> list[str]:
        messages = []
        for name, field_errors in self.errors.items():
            field = self.fields[name]
            raw = (
                self.data.getlist(name)
                if isinstance(field, forms.MultipleChoiceField)
                else (self.data.get(name, ""))
            )
            messages.append(
                _("Ignored the %(filter)s filter “%(value)s”: %(reason)s.")
                % {"filter": field.label, "value": shown_value(raw), "reason": field_errors[0]}
            )
        for field in self.fields.values():
            for value in getattr(field, "rejected", []):
                messages.append(
                    _("Ignored the %(filter)s filter “%(value)s”: %(reason)s.")
                    % {
                        "filter": field.label,
                        "value": shown_value(value),
                        "reason": _ERROR_MESSAGES["invalid_choice"],
                    }
                )
        return messages

    def query_items(self, **overrides) -> list[tuple[str, str]]:
        """Return the usable filters as query-string pairs, with `overrides` set or removed.

        An override of None removes that filter. Overrides that are not filters, such as
        `page`, come last.
        """
        values = {**self.filters, **overrides}
        items = []
        for name in [*self.fields, *(name for name in overrides if name not in self.fields)]:
            value = values.get(name)
            if value in (None, "", []):
                continue
            for item in value if isinstance(value, list) else [value]:
                items.append((name, item.isoformat() if isinstance(item, date) else str(item)))
        return items

    def query_string(self, **overrides) -> str:
        return urlencode(self.query_items(**overrides))


def _code_choices(known: dict, present: list[str]) -> list[tuple[str, str]]:
    codes = list(known) + sorted(code for code in set(present) if code and code not in known)
    return [(code, code) for code in codes]


def present_codes(field: str) -> list[str]:
    """Return the distinct values of a mirror column, so raw unknown codes can be filtered."""
    return list(
        MirroredTicket.objects.exclude(**{field: ""})
        .order_by(field)
        .values_list(field, flat=True)
        .distinct()
    )


class QueueFilterForm(LenientFilterForm):
    """Filters of the ticket queue."""

    stage = forms.ChoiceField(
        required=False, label=gettext_lazy("stage"), error_messages=_ERROR_MESSAGES
    )
    status = LenientMultipleChoiceField(
        required=False, label=gettext_lazy("status"), error_messages=_ERROR_MESSAGES
    )
    type = forms.ChoiceField(
        required=False, label=gettext_lazy("type"), error_messages=_ERROR_MESSAGES
    )
    carrier = forms.ChoiceField(
        required=False, label=gettext_lazy("carrier"), error_messages=_ERROR_MESSAGES
    )
    brand = forms.IntegerField(
        required=False,
        label=gettext_lazy("brand"),
        min_value=1,
        max_value=MAX_ID,
        error_messages=_ERROR_MESSAGES,
    )
    needs_action = forms.ChoiceField(
        required=False,
        label=gettext_lazy("needs action"),
        choices=[(YES, YES), (NO, NO)],
        error_messages=_ERROR_MESSAGES,
    )
    created_from = _date_field(gettext_lazy("created from"))
    created_until = _date_field(gettext_lazy("created until"))
    q = _search_field()

    def __init__(self, data, *args, **kwargs) -> None:
        if OLD_CREATED_UNTIL_PARAMETER in data and "created_until" not in data:
            data = data.copy()
            data.setlist("created_until", data.getlist(OLD_CREATED_UNTIL_PARAMETER))
        super().__init__(data, *args, **kwargs)
        # Every documented code is valid, and so is any raw code a mirrored ticket carries.
        self.fields["stage"].choices = _code_choices(labels.STAGE_LABELS, present_codes("stage"))
        self.fields["status"].choices = _code_choices(labels.STATUS_LABELS, present_codes("status"))
        self.fields["type"].choices = _code_choices(labels.TYPE_LABELS, present_codes("type"))
        self.fields["carrier"].choices = _code_choices(
            labels.CARRIER_LABELS, present_codes("carrier")
        )

    def clean(self):
        cleaned = super().clean()
        for name in ("created_from", "created_until"):
            value = cleaned.get(name)
            if value is not None and not MIN_DATE <= value <= MAX_DATE:
                self.add_error(name, _("outside the years 1970 to 9998"))
        start, end = cleaned.get("created_from"), cleaned.get("created_until")
        if start and end and start > end:
            # Dropping the end keeps the tickets from the start date on, where an empty list
            # would look like there are none.
            self.add_error(
                "created_until",
                _("the created-date range ends before it starts (%(start)s)")
                % {"start": start.isoformat()},
            )
        return cleaned


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def search_condition(text: str) -> Q:
    """Match a ticket id, a parcel id or part of an order number."""
    text = text.strip()
    condition = Q(order_number__icontains=text)
    number = text.lstrip("#")
    if number.isascii() and number.isdigit() and int(number) <= MAX_ID:
        condition |= Q(id=int(number)) | Q(parcel_id=int(number))
    return condition


def filter_tickets(queryset: QuerySet, filters: dict, *, skip: tuple[str, ...] = ()) -> QuerySet:
    """Apply cleaned queue filters to a queryset of mirrored tickets, leaving out `skip`."""
    filters = {name: value for name, value in filters.items() if name not in skip}
    if "stage" in filters:
        queryset = queryset.filter(stage=filters["stage"])
    if "status" in filters:
        queryset = queryset.filter(status__in=filters["status"])
    if "type" in filters:
        queryset = queryset.filter(type=filters["type"])
    if "carrier" in filters:
        queryset = queryset.filter(carrier=filters["carrier"])
    if "brand" in filters:
        queryset = queryset.filter(brand_id=filters["brand"])
    if "needs_action" in filters:
        queryset = queryset.filter(needs_action=filters["needs_action"] == YES)
    if "created_from" in filters:
        queryset = queryset.filter(created_at__gte=_local_midnight(filters["created_from"]))
    if "created_until" in filters:
        end = _local_midnight(filters["created_until"] + timedelta(days=1))
        queryset = queryset.filter(created_at__lt=end)
    if "q" in filters:
        queryset = queryset.filter(search_condition(filters["q"]))
    return queryset


class DocumentFilterForm(LenientFilterForm):
    """Filters of the documents queue."""

    data_type = forms.ChoiceField(
        required=False, label=gettext_lazy("document"), error_messages=_ERROR_MESSAGES
    )
    carrier = forms.ChoiceField(
        required=False, label=gettext_lazy("carrier"), error_messages=_ERROR_MESSAGES
    )
    overdue = forms.ChoiceField(
        required=False,
        label=gettext_lazy("overdue"),
        choices=[(YES, YES)],
        error_messages=_ERROR_MESSAGES,
    )
    q = _search_field()

    def __init__(self, data, *args, data_types: list[str] = (), **kwargs) -> None:
        super().__init__(data, *args, **kwargs)
        self.fields["data_type"].choices = _code_choices(labels.DATA_TYPE_LABELS, data_types)
        self.fields["carrier"].choices = _code_choices(
            labels.CARRIER_LABELS, present_codes("carrier")
        )
