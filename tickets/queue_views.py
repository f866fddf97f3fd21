"""Pages that read the local mirror: the queue, the documents queue, CSV exports and look-ups.

None of these pages calls Sendcloud. The sync command keeps the mirror current, and each page
shows how current it is.
"""

import csv
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe
from django_htmx.http import push_url

from tickets import labels, mirror
from tickets.filters import (
    MAX_ID,
    MAX_SEARCH_LENGTH,
    YES,
    DocumentFilterForm,
    QueueFilterForm,
    filter_tickets,
    has_control_characters,
    present_codes,
    search_condition,
    shown_value,
)
from tickets.models import MirroredRequest, MirroredTicket
from tickets.views import InvalidTicketId, parse_ticket_id

PAGE_SIZE = 50
# The documents queue is a work list read top to bottom, so its pages are longer.
DOCUMENTS_PAGE_SIZE = 200
MAX_LOOKUP_MATCHES = 50
# Tickets that need action, then the other open ones, then the final ones, each group oldest
# first. The index "mirror_queue_order_final" has these columns, so the database can read a page
# of the unfiltered queue from the index instead of sorting the table.
QUEUE_ORDER = ("-needs_action", "is_final", "created_at", "id")
REMINDER_STATUS = "customer_reminder_sent"
# The parts of the queue that a poll may replace. Their rendering is the fingerprint.
REFRESHED_PARTIALS = ("page_title", "sync_status", "stage_counts", "ticket_table", "pagination")
# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

LABEL_SETS = {
    "status": labels.STATUS_LABELS,
    "stage": labels.STAGE_LABELS,
    "type": labels.TYPE_LABELS,
    "carrier": labels.CARRIER_LABELS,
    "data type": labels.DATA_TYPE_LABELS,
}


@dataclass(frozen=True)
class CodeLabel:
    """A Sendcloud code with its label. An unknown code is shown under its raw value."""

    code: str
    label: str
    known: bool


def code_label(kind: str, code: str | None) -> CodeLabel:
    code = code or ""
    known_labels = LABEL_SETS[kind]
    if code in known_labels:
        return CodeLabel(code, str(known_labels[code]), True)
    return CodeLabel(code, code, not code)


@dataclass(frozen=True)
class QueueRow:
    """One mirrored ticket as a row of the queue."""

    ticket: MirroredTicket
    status: CodeLabel
    stage: CodeLabel
    type: CodeLabel
    carrier: CodeLabel

    @property
    def quiet_outstanding(self) -> bool:
        ticket = self.ticket
        return ticket.outstanding_count > 0 and not ticket.needs_action and not ticket.is_final


def queue_row(ticket: MirroredTicket) -> QueueRow:
    return QueueRow(
        ticket=ticket,
        status=code_label("status", ticket.status),
        stage=code_label("stage", ticket.stage),
        type=code_label("type", ticket.type),
        carrier=code_label("carrier", ticket.carrier),
    )


@dataclass(frozen=True)
class StageCount:
    stage: CodeLabel
    count: int
    url: str
    active: bool


# Shared helpers


def _url(name: str, query: str = "", **kwargs) -> str:
    url = reverse(name, kwargs=kwargs or None)
    return f"{url}?{query}" if query else url


def _page_number(raw: str | None, page_count: int) -> tuple[int, str]:
    """Return the page to show and a message when the requested one was ignored."""
    if raw in (None, ""):
        return 1, ""
    shown = shown_value(raw)
    digits = raw.lstrip("0")
    if not raw.isascii() or not raw.isdigit() or not digits:
        return 1, _("Ignored the page “%(value)s”: not a page number.") % {"value": shown}
    # int() rejects strings of more than 4,300 digits, and no page number has more than 20.
    number = int(digits) if len(digits) <= 20 else page_count + 1
    if number > page_count:
        return page_count, _("There is no page %(value)s; showing the last page.") % {
            "value": shown
        }
    return number, ""


def _paginate(items, raw_page: str | None, page_size: int = PAGE_SIZE) -> tuple:
    paginator = Paginator(items, page_size, allow_empty_first_page=True)
    number, message = _page_number(raw_page, paginator.num_pages)
    return paginator.page(number), message


def _page_urls(name: str, form, page) -> dict:
    def page_url(number: int) -> str:
        return _url(name, form.query_string(page=number if number > 1 else None))

    return {
        "previous_url": page_url(page.previous_page_number()) if page.has_previous() else "",
        "next_url": page_url(page.next_page_number()) if page.has_next() else "",
    }


def _no_cache(response: HttpResponse) -> HttpResponse:
    patch_vary_headers(response, ["HX-Request"])
    patch_cache_control(response, private=True, no_cache=True)
    return response


# The queue


def _stage_counts(form: QueueFilterForm, tickets: QuerySet) -> list[StageCount]:
    counts = dict(tickets.values_list("stage").annotate(count=Count("id")).order_by())
    codes = list(labels.STAGE_LABELS) + sorted(set(counts) - set(labels.STAGE_LABELS))
    active = form.filters.get("stage")
    return [
        StageCount(
            stage=code_label("stage", code),
            count=counts.get(code, 0),
            url=_url("home", form.query_string(stage=code, needs_action=None)),
            active=code == active,
        )
        for code in codes
    ]


def _filter_options(form: QueueFilterForm) -> dict:
    """Return the options of each select: every code the mirror holds, plus any selected."""
    selected = form.filters

    def options(kind: str, field: str, all_known: bool) -> list[CodeLabel]:
        codes = [code for code, _label in form.fields[field].choices]
        present = set(present_codes(field))
        chosen = selected.get(field) or []
        chosen = chosen if isinstance(chosen, list) else [chosen]
        listed = [code for code in codes if all_known or code in present or code in chosen]
        return [code_label(kind, code) for code in listed]

    def by_label(options: list[CodeLabel]) -> list[CodeLabel]:
        # Raw unknown codes come last, where they do not hide among the labels.
        return sorted(options, key=lambda option: (not option.known, option.label.casefold()))

    return {
        # Stages keep the order of the count links, which follows a ticket's progress.
        "stage_options": options("stage", "stage", True),
        "status_options": by_label(options("status", "status", True)),
        "type_options": by_label(options("type", "type", True)),
        "carrier_options": by_label(options("carrier", "carrier", False)),
        "brand_options": list(
            MirroredTicket.objects.exclude(brand_id=None)
            .order_by("brand_id")
            .values_list("brand_id", flat=True)
            .distinct()
        ),
    }


def _queue_context(request: HttpRequest, *, oob: bool = False) -> dict:
    form = QueueFilterForm(request.GET)
    filters = form.filters
    everything = MirroredTicket.objects.all()
    tickets = filter_tickets(everything, filters).order_by(*QUEUE_ORDER)
    # Counts leave out the stage and "needs action" filters, so each count link shows how
    # many tickets it leads to.
    facets = filter_tickets(everything, filters, skip=("stage", "needs_action"))
    page, page_message = _paginate(tickets, request.GET.get("page"))
    query = form.query_string(page=page.number if page.number > 1 else None)

    messages = form.ignored_messages + ([page_message] if page_message else [])
    return {
        "form": form,
        "filters": filters,
        "ignored_messages": messages,
        "rows": [queue_row(ticket) for ticket in page.object_list],
        "page": page,
        **_page_urls("home", form, page),
        "stage_counts": _stage_counts(form, facets),
        "needs_action_count": facets.filter(needs_action=True).count(),
        "needs_action_url": _url("home", form.query_string(needs_action=YES, stage=None)),
        "needs_action_active": filters.get("needs_action") == YES,
        "total_needs_action": everything.filter(needs_action=True).count(),
        "all_url": _url("home", form.query_string(stage=None, needs_action=None)),
        "all_active": "stage" not in filters and "needs_action" not in filters,
        "canonical_url": _url("home", query),
        "refresh_url": _url("overview_refresh", query),
        "csv_url": _url("overview_csv", form.query_string()),
        "sync": mirror.get_sync_status(),
        "now": timezone.now(),
        "poll_seconds": settings.DASHBOARD_POLL_SECONDS,
        "has_filters": bool(filters),
        "oob": oob,
        **_filter_options(form),
    }


def _fingerprint(request: HttpRequest, context: dict) -> str:
    """Hash what the refreshing parts of the queue would show, relative times included."""
    digest = hashlib.blake2b(digest_size=12)
    # The page and the poll response render the same parts, with and without out-of-band swaps.
    context = {**context, "oob": False}
    for name in REFRESHED_PARTIALS:
        html = render_to_string(f"tickets/overview.html#{name}", context, request)
        digest.update(html.encode())
    return digest.hexdigest()


@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    """Show the queue: tickets that need action first, then the rest, oldest first."""
    context = _queue_context(request)
    context["fingerprint"] = _fingerprint(request, context)
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "tickets/overview.html#filtered_results", context)
        push_url(response, context["canonical_url"])
    else:
        response = render(request, "tickets/overview.html", context)
    return _no_cache(response)


@require_safe
def overview_refresh(request: HttpRequest) -> HttpResponse:
    """Respond to a poll of the queue: only the freshness line if nothing changed.

    The filter form is never part of the response, so an open select or a half-typed search
    survives the refresh.
    """
    if not request.htmx or request.htmx.history_restore_request:
        query = request.GET.copy()
        query.pop("fingerprint", None)
        return redirect(_url("home", query.urlencode()))

    context = _queue_context(request, oob=True)
    fingerprint = _fingerprint(request, context)
    if fingerprint == request.GET.get("fingerprint"):
        response = render(request, "tickets/overview.html#freshness", context)
    else:
        context["fingerprint"] = fingerprint
        response = render(request, "tickets/overview.html#refresh", context)
    patch_vary_headers(response, ["HX-Request"])
    patch_cache_control(response, private=True, no_store=True)
    return response


# The documents queue


@dataclass(frozen=True)
class DocumentRow:
    """One outstanding document request, from a ticket, the requested-data list or both."""

    data_type: CodeLabel
    requested_at: datetime | None
    ticket: MirroredTicket | None
    order_number: str
    carrier: CodeLabel
    overdue: bool
    reminder_sent: bool
    # None while the requested-data list has never been fetched.
    in_ticket: bool
    in_requested_data: bool | None
    title: str = ""

    @property
    def disagrees(self) -> bool:
        return self.in_requested_data is False or not self.in_ticket


def _aware(value: str | None) -> datetime | None:
    moment = parse_datetime(value) if value else None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.UTC)
    return moment


def build_document_rows(compare: bool) -> list[DocumentRow]:
    """List every outstanding request of the open mirrored tickets, oldest first.

    With `compare`, requests are matched against the mirrored requested-data list by id, and
    a request found on one side only is kept and marked.
    """
    overdue_before = timezone.now() - timedelta(days=settings.DASHBOARD_DOCUMENT_OVERDUE_DAYS)
    listed = {item.request_id: item for item in MirroredRequest.objects.all()} if compare else {}
    rows = []
    open_tickets = MirroredTicket.objects.filter(is_final=False, outstanding_count__gt=0)
    for ticket in open_tickets:
        for action in ticket.requested_actions:
            requested_at = _aware(action.get("created_at"))
            item = listed.pop(action.get("id"), None)
            rows.append(
                DocumentRow(
                    data_type=code_label("data type", action.get("data_type")),
                    requested_at=requested_at,
                    ticket=ticket,
                    order_number=ticket.order_number,
                    carrier=code_label("carrier", ticket.carrier),
                    overdue=requested_at is not None and requested_at < overdue_before,
                    reminder_sent=ticket.status == REMINDER_STATUS,
                    in_ticket=True,
                    in_requested_data=(item is not None) if compare else None,
                    title=item.title if item else "",
                )
            )

    by_order = _tickets_by_order_number(item.order_number for item in listed.values())
    for item in listed.values():
        ticket = by_order.get(item.order_number)
        rows.append(
            DocumentRow(
                data_type=code_label("data type", item.data_type),
                requested_at=item.created_at,
                ticket=ticket,
                order_number=item.order_number,
                carrier=code_label("carrier", ticket.carrier if ticket else ""),
                overdue=item.created_at < overdue_before,
                reminder_sent=ticket is not None and ticket.status == REMINDER_STATUS,
                in_ticket=False,
                in_requested_data=True,
                title=item.title,
            )
        )

    far_future = timezone.now() + timedelta(days=365 * 100)
    rows.sort(key=lambda row: (row.requested_at or far_future, row.ticket.id if row.ticket else 0))
    return rows


def _tickets_by_order_number(order_numbers) -> dict[str, MirroredTicket]:
    """Map each order number that exactly one mirrored ticket carries to that ticket."""
    numbers = {number for number in order_numbers if number}
    found: dict[str, list[MirroredTicket]] = {}
    for ticket in MirroredTicket.objects.filter(order_number__in=numbers):
        found.setdefault(ticket.order_number, []).append(ticket)
    return {number: tickets[0] for number, tickets in found.items() if len(tickets) == 1}


def _filter_document_rows(rows: list[DocumentRow], filters: dict) -> list[DocumentRow]:
    if "data_type" in filters:
        rows = [row for row in rows if row.data_type.code == filters["data_type"]]
    if "carrier" in filters:
        rows = [row for row in rows if row.carrier.code == filters["carrier"]]
    if filters.get("overdue") == YES:
        rows = [row for row in rows if row.overdue]
    if "q" in filters:
        matching = set(
            MirroredTicket.objects.filter(search_condition(filters["q"])).values_list(
                "id", flat=True
            )
        )
        text = filters["q"].strip().lower()
        rows = [
            row
            for row in rows
            if (row.ticket and row.ticket.id in matching) or text in row.order_number.lower()
        ]
    return rows


def _documents_context(request: HttpRequest) -> dict:
    sync = mirror.get_sync_status()
    compare = sync.requested_data_as_of is not None
    all_rows = build_document_rows(compare)
    data_types = sorted({row.data_type.code for row in all_rows})
    form = DocumentFilterForm(request.GET, data_types=data_types)
    rows = _filter_document_rows(all_rows, form.filters)
    page, page_message = _paginate(rows, request.GET.get("page"), DOCUMENTS_PAGE_SIZE)

    only_in_tickets = sum(1 for row in all_rows if row.in_requested_data is False)
    only_in_list = sum(1 for row in all_rows if not row.in_ticket)
    carriers = sorted({row.carrier.code for row in all_rows if row.carrier.code})
    return {
        "form": form,
        "filters": form.filters,
        "ignored_messages": form.ignored_messages + ([page_message] if page_message else []),
        "rows": page.object_list,
        "page": page,
        **_page_urls("documents", form, page),
        "row_count": len(rows),
        "overdue_days": settings.DASHBOARD_DOCUMENT_OVERDUE_DAYS,
        "compare": compare,
        "only_in_tickets": only_in_tickets,
        "only_in_list": only_in_list,
        "data_type_options": [code_label("data type", code) for code in data_types],
        "carrier_options": [code_label("carrier", code) for code in carriers],
        "csv_url": _url("documents_csv", form.query_string()),
        "sync": sync,
        "now": timezone.now(),
    }


@require_safe
def documents(request: HttpRequest) -> HttpResponse:
    """List every outstanding document request of the open tickets, oldest first."""
    context = _documents_context(request)
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "tickets/documents.html#document_results", context)
        push_url(response, request.get_full_path())
    else:
        response = render(request, "tickets/documents.html", context)
    return _no_cache(response)


# CSV exports


def _cell(value: object) -> str:
    """Return a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _csv_response(kind: str, header: list[str], rows) -> HttpResponse:
    today = timezone.localdate().isoformat()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sendcloud-{kind}-{today}.csv"'
    patch_cache_control(response, private=True, no_store=True)
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return response


@require_safe
def overview_csv(request: HttpRequest) -> HttpResponse:
    """Download every ticket of the filtered queue, across all its pages, in the queue's order."""
    form = QueueFilterForm(request.GET)
    tickets = filter_tickets(MirroredTicket.objects.all(), form.filters).order_by(*QUEUE_ORDER)
    header = [
        _("Ticket"),
        _("Needs action"),
        _("Status"),
        _("Stage"),
        _("Type"),
        _("Carrier"),
        _("Order number"),
        _("Parcel"),
        _("Brand"),
        _("Created"),
        _("Oldest open document request"),
        _("Documents outstanding"),
        _("Last updated"),
    ]
    rows = (
        [
            ticket.id,
            _("yes") if ticket.needs_action else _("no"),
            code_label("status", ticket.status).label,
            code_label("stage", ticket.stage).label,
            code_label("type", ticket.type).label,
            code_label("carrier", ticket.carrier).label,
            ticket.order_number,
            ticket.parcel_id,
            ticket.brand_id,
            ticket.created_at,
            ticket.oldest_request_at,
            ticket.outstanding_count,
            ticket.updated_at,
        ]
        for ticket in tickets.iterator(chunk_size=2000)
    )
    return _csv_response("tickets", header, rows)


@require_safe
def documents_csv(request: HttpRequest) -> HttpResponse:
    """Download every row of the filtered documents queue, oldest request first."""
    sync = mirror.get_sync_status()
    all_rows = build_document_rows(sync.requested_data_as_of is not None)
    data_types = sorted({row.data_type.code for row in all_rows})
    form = DocumentFilterForm(request.GET, data_types=data_types)
    header = [
        _("Document"),
        _("Requested"),
        _("Overdue"),
        _("Reminder sent"),
        _("Ticket"),
        _("Order number"),
        _("Carrier"),
        _("In the ticket"),
        _("In Sendcloud's requested-data list"),
    ]

    def yes_no(value: bool | None) -> str:
        if value is None:
            return _("unknown")
        return _("yes") if value else _("no")

    rows = (
        [
            row.data_type.label,
            row.requested_at,
            yes_no(row.overdue),
            yes_no(row.reminder_sent),
            row.ticket.id if row.ticket else "",
            row.order_number,
            row.carrier.label,
            yes_no(row.in_ticket),
            yes_no(row.in_requested_data),
        ]
        for row in _filter_document_rows(all_rows, form.filters)
    )
    return _csv_response("documents", header, rows)


# Look-ups


def _lookup_response(
    request: HttpRequest, tickets: QuerySet, *, kind: str, value: str
) -> HttpResponse:
    """Redirect to the one matching ticket, list several, or report that none matches."""
    matches = list(tickets.order_by(*QUEUE_ORDER)[: MAX_LOOKUP_MATCHES + 1])
    if len(matches) == 1:
        return redirect("ticket_detail", ticket_id=matches[0].id)
    context = {
        "kind": kind,
        "value": shown_value(value),
        "rows": [queue_row(ticket) for ticket in matches[:MAX_LOOKUP_MATCHES]],
        "more": len(matches) > MAX_LOOKUP_MATCHES,
        "max_matches": MAX_LOOKUP_MATCHES,
        "sync": mirror.get_sync_status(),
        "query": value if kind == "search" else "",
    }
    return render(request, "tickets/lookup.html", context, status=200 if matches else 404)


def _invalid_lookup(request: HttpRequest, kind: str, message: str) -> HttpResponse:
    context = {"kind": kind, "value": "", "error": message, "rows": []}
    return render(request, "tickets/lookup.html", context, status=400)


@require_safe
def order_lookup(request: HttpRequest, order_number: str) -> HttpResponse:
    """Lead from an order number, which may contain any printable character, to its ticket."""
    if has_control_characters(order_number):
        message = _(
            "The order number contains a control character, such as NUL or a tab, which no "
            "order number has. Check the link or the text you copied."
        )
        return _invalid_lookup(request, "order", message)
    if not order_number.strip():
        message = _(
            "The order number is empty. Search for the ticket by its order number in the "
            "search box at the top."
        )
        return _invalid_lookup(request, "order", message)

    tickets = MirroredTicket.objects.filter(order_number=order_number)
    if not tickets.exists():
        tickets = MirroredTicket.objects.filter(order_number__iexact=order_number)
    return _lookup_response(request, tickets, kind="order", value=order_number)


@require_safe
def parcel_lookup(request: HttpRequest, parcel_id: str) -> HttpResponse:
    """Lead from a Sendcloud parcel id to its ticket."""
    is_id = parcel_id.isascii() and parcel_id.isdigit() and len(parcel_id) <= len(str(MAX_ID))
    if not is_id or not 0 < int(parcel_id) <= MAX_ID:
        context = {
            "kind": "parcel",
            "value": shown_value(parcel_id),
            "invalid": True,
            "rows": [],
            "sync": mirror.get_sync_status(),
        }
        return render(request, "tickets/lookup.html", context, status=404)
    tickets = MirroredTicket.objects.filter(parcel_id=int(parcel_id))
    return _lookup_response(request, tickets, kind="parcel", value=parcel_id)


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """Lead from the search box to a ticket: by ticket id, order number or parcel id."""
    query = request.GET.get("q", "").strip()
    if not query:
        message = _("Enter a ticket number, an order number or a parcel id.")
        return _invalid_lookup(request, "search", message)
    if len(query) > MAX_SEARCH_LENGTH:
        message = ngettext(
            "Enter at most %(count)d character.",
            "Enter at most %(count)d characters.",
            MAX_SEARCH_LENGTH,
        ) % {"count": MAX_SEARCH_LENGTH}
        return _invalid_lookup(request, "search", message)
    if has_control_characters(query):
        message = _(
            "The search contains a control character, such as NUL or a tab, which no ticket "
            "number, order number or parcel id has. Remove it and search again."
        )
        return _invalid_lookup(request, "search", message)

    number = query.lstrip("#").strip()
    is_number = number.isascii() and number.isdigit() and 0 < int(number) <= MAX_ID
    condition = {"order_number": query}
    tickets = MirroredTicket.objects.filter(**condition)
    if is_number:
        tickets = tickets | MirroredTicket.objects.filter(id=int(number))
        tickets = tickets | MirroredTicket.objects.filter(parcel_id=int(number))
    if not tickets.exists():
        tickets = MirroredTicket.objects.filter(order_number__iexact=query)
    if not tickets.exists() and is_number:
        # The mirror may not have a new ticket yet, so the ticket page fetches it from Sendcloud.
        try:
            return redirect("ticket_detail", ticket_id=parse_ticket_id(number))
        except InvalidTicketId:
            pass
    return _lookup_response(request, tickets, kind="search", value=query)
