"""Prepare one benchmark database: tables, an agent with a session, and mirrored tickets.

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=sqlite:///... \
        python -m bench.prepare --mirror-tickets 10000

It prints one JSON line with the session key of the agent and the settings that the figures
depend on. Run it with the environment of the servers that use the database.
"""

import argparse
import json
import secrets
import sys
from datetime import UTC, datetime, timedelta

import django


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.prepare", description=__doc__)
    parser.add_argument(
        "--mirror-tickets", type=int, default=0, help="mirrored tickets to create (default 0)"
    )
    parser.add_argument(
        "--collectstatic", action="store_true", help="also collect the static files"
    )
    return parser.parse_args(argv)


def synthetic_tickets(count: int, now: datetime) -> list:
    """Build `count` varied tickets: every stage, status, type and carrier the labels know."""
    from tickets import labels
    from tickets.sendcloud.types import RequestedAction, Ticket

    statuses = list(labels.STATUS_LABELS)
    stages = list(labels.STAGE_LABELS)
    types = list(labels.TYPE_LABELS)
    carriers = list(labels.CARRIER_LABELS)
    data_types = list(labels.DATA_TYPE_LABELS)
    tickets = []
    for number in range(count):
        created_at = now - timedelta(minutes=37 * number + 5)
        actions = tuple(
            RequestedAction(
                id=number * 10 + index,
                data_type=data_types[(number + index) % len(data_types)],
                created_at=created_at + timedelta(hours=index + 1),
            )
            for index in range(number % 4)
        )
        tickets.append(
            Ticket(
                id=500_000 + number,
                status=statuses[number % len(statuses)],
                stage=stages[number % len(stages)],
                created_at=created_at,
                requested_actions=actions,
                type=types[number % len(types)],
                parcel_id=800_000 + number,
                carrier=carriers[number % len(carriers)],
                order_number=f"BENCH-{number:06d}",
                brand_id=number % 5 + 1,
                updated_at=created_at + timedelta(hours=6),
            )
        )
    return tickets


def fill_mirror(count: int) -> None:
    """Write `count` tickets into the mirror as a completed sync pass would, in bulk."""
    from tickets import mirror
    from tickets.models import MirroredTicket, SyncState

    now = datetime.now(UTC)
    rows = [
        MirroredTicket(
            id=ticket.id,
            first_seen_at=now,
            synced_at=now,
            changed_at=now,
            **mirror.ticket_fields(ticket),
        )
        for ticket in synthetic_tickets(count, now)
    ]
    MirroredTicket.objects.bulk_create(rows, batch_size=500)
    SyncState.objects.update_or_create(
        pk=SyncState.SINGLETON_ID,
        defaults={
            "last_started_at": now,
            "last_success_at": now,
            "last_tickets": count,
            "last_pages": (count + mirror.TICKET_PAGE_SIZE - 1) // mirror.TICKET_PAGE_SIZE,
        },
    )


def create_agent_session() -> str:
    """Create the agent `bench` with a random password and return the key of a signed-in session."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    agent, _created = get_user_model().objects.get_or_create(username="bench")
    agent.set_password(secrets.token_urlsafe(16))
    agent.save()
    client = Client()
    client.force_login(agent)
    return client.cookies["sessionid"].value


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", "--no-input", verbosity=0)
    call_command("createcachetable", verbosity=0)
    if arguments.collectstatic:
        call_command("collectstatic", "--no-input", verbosity=0)
    if arguments.mirror_tickets:
        fill_mirror(arguments.mirror_tickets)
    report = {
        "session_key": create_agent_session(),
        "poll_seconds": settings.DASHBOARD_POLL_SECONDS,
        # Set once the per-ticket cache exists; None means every page load and poll calls
        # Sendcloud.
        "ticket_cache_seconds": getattr(settings, "SENDCLOUD_TICKET_CACHE_SECONDS", None),
        "requests_per_minute": getattr(settings, "SENDCLOUD_REQUESTS_PER_MINUTE", None),
        "cache_backend": settings.CACHES["default"]["BACKEND"],
    }
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
