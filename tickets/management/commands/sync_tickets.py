"""Fill the local mirror from Sendcloud's ticket list, once or in a loop."""

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from tickets import mirror
from tickets.sendcloud.client import get_client
from tickets.sendcloud.errors import SendcloudError

logger = logging.getLogger("tickets.sync")


def wait(seconds: float) -> None:
    """Sleep between two passes of the loop."""
    time.sleep(seconds)


class Command(BaseCommand):
    help = (
        "Page through Sendcloud's ticket list and update the local mirror. With --loop, "
        "repeat every --interval seconds until stopped, surviving upstream errors."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            action="store_true",
            help="Keep syncing until stopped (Ctrl-C or SIGTERM).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Seconds between the starts of two passes with --loop "
            "(default: SYNC_INTERVAL_SECONDS, 60).",
        )

    def handle(self, *args, **options):
        interval = options["interval"]
        if interval is None:
            interval = settings.SYNC_INTERVAL_SECONDS
        if not interval > 0:
            raise CommandError(f"--interval must be a positive number of seconds, not {interval}.")

        if not options["loop"]:
            try:
                self._run_pass()
            except SendcloudError as error:
                raise CommandError(f"Sync failed: {error}") from None
            return

        logger.info("Sync loop started: one pass every %.0f s.", interval)
        try:
            while True:
                started = time.monotonic()
                try:
                    self._run_pass()
                except SendcloudError:
                    pass  # Logged and recorded by _run_pass; the next pass tries again.
                except DatabaseError:
                    logger.exception("Sync pass failed on the database; trying again later.")
                wait(max(0.0, interval - (time.monotonic() - started)))
        except KeyboardInterrupt:
            logger.info("Sync loop stopped.")

    def _run_pass(self) -> None:
        try:
            result = mirror.sync_once(get_client())
        except SendcloudError as error:
            logger.warning("Sync pass failed: %s", error)
            raise
        logger.info(
            "Sync pass done: %d pages, %d tickets, %d changes "
            "(%d new, %d changed, %d removed), %d requests, %.2f s.",
            result.pages,
            result.tickets,
            result.changes,
            result.created,
            result.changed,
            result.removed,
            result.requests,
            result.duration,
        )
