"""The local mirror of Sendcloud's tickets, and the state of the sync that fills it.

The Support API has no documented list filters and may allow as few as 30 requests a minute,
so the queue, its counts and the look-ups by order number or parcel id read these tables
instead of asking Sendcloud.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MirroredTicket(models.Model):
    """The last known state of one Sendcloud ticket.

    The columns that the queue filters, sorts or searches on are indexed copies of the ticket's
    fields. `needs_action`, `is_final`, `outstanding_count` and `oldest_request_at` are derived
    from the ticket on every write (see `tickets.mirror.ticket_fields`), so the queue can sort
    and count in SQL.
    """

    # Optional text fields hold "" where Sendcloud sent null, as Django's convention is.
    id = models.BigIntegerField(primary_key=True, verbose_name=_("ticket id"))
    status = models.CharField(max_length=100, db_index=True)
    stage = models.CharField(max_length=100, db_index=True)
    type = models.CharField(max_length=100, blank=True, db_index=True)
    carrier = models.CharField(max_length=100, blank=True, db_index=True)
    parcel_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    order_number = models.CharField(max_length=255, blank=True, db_index=True)
    brand_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Kept whole, as the API sends them: [{"id", "data_type", "created_at"}, ...] and
    # {"outcome", "amount", "currency", "solved_at"} or null.
    requested_actions = models.JSONField(default=list, blank=True)
    resolution = models.JSONField(null=True, blank=True)

    needs_action = models.BooleanField(default=False)
    is_final = models.BooleanField(default=False, db_index=True)
    outstanding_count = models.PositiveIntegerField(default=0)
    oldest_request_at = models.DateTimeField(null=True, blank=True)

    first_seen_at = models.DateTimeField()
    synced_at = models.DateTimeField(db_index=True, help_text=_("When Sendcloud last sent it."))
    changed_at = models.DateTimeField(help_text=_("When its state last differed from before."))

    class Meta:
        verbose_name = _("mirrored ticket")
        verbose_name_plural = _("mirrored tickets")
        indexes = [
            # The queue's order: tickets that need action first, then the other open ones, then
            # the final ones, the oldest first in each group.
            models.Index(
                fields=["-needs_action", "is_final", "created_at", "id"],
                name="mirror_queue_order_final",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.status}"


class MirroredRequest(models.Model):
    """One item of Sendcloud's requested-data list, as the last sync fetched it.

    NOTE: Sendcloud does not document whether `request_id` here equals the `id` of a ticket's
    `requested_actions` entry. The documents queue assumes it does and reports every request
    that appears on one side only.
    """

    request_id = models.BigIntegerField(primary_key=True)
    data_type = models.CharField(max_length=100)
    title = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    order_number = models.CharField(max_length=255, blank=True, db_index=True)
    tracking_number = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()
    synced_at = models.DateTimeField()

    class Meta:
        verbose_name = _("requested-data item")
        verbose_name_plural = _("requested-data items")

    def __str__(self) -> str:
        return f"request {self.request_id} {self.data_type}"


class SyncState(models.Model):
    """The outcome of the latest sync passes; a single row with the primary key 1."""

    SINGLETON_ID = 1

    last_started_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_pages = models.PositiveIntegerField(default=0)
    last_tickets = models.PositiveIntegerField(default=0)
    last_changes = models.PositiveIntegerField(default=0)
    last_duration_seconds = models.FloatField(default=0.0)
    requested_data_success_at = models.DateTimeField(null=True, blank=True)
    requested_data_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("sync state")

    def __str__(self) -> str:
        return f"sync state (last success {self.last_success_at})"
