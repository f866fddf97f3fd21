"""Business rules about ticket states, shared by the ticket page, the queue and the sync."""

from tickets.sendcloud.types import Ticket

FINAL_STATUSES = frozenset(
    {"claim_paid", "closed", "solved", "solved_by_automation", "manually_solved"}
)
FINAL_STAGES = frozenset({"manually_solved_stage", "solved_by_automation_stage"})
NEEDS_ACTION_STAGE = "action_required"
NEEDS_ACTION_STATUSES = frozenset(
    {"action_required", "customer_documents_requested", "customer_reminder_sent"}
)


def is_final(ticket: Ticket) -> bool:
    """Tell whether nothing more can change: a resolution, a closing status or a solved stage."""
    return (
        ticket.resolution is not None
        or ticket.status in FINAL_STATUSES
        or ticket.stage in FINAL_STAGES
    )


def needs_action(ticket: Ticket) -> bool:
    """Tell whether the shop has to act on the ticket."""
    return ticket.stage == NEEDS_ACTION_STAGE or ticket.status in NEEDS_ACTION_STATUSES
