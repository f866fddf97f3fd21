"""The simulator's deterministic seed data set of support tickets.

Every ticket is a raw dict shaped like the JSON of GET /dsf/tickets/{id}. Timestamps lie in the
weeks before `SEED_ANCHOR`. Tickets 42 to 45 are fixed anchors that docs and tests rely on:

- 42 is Sendcloud's documented example ticket (pending, one `sales_invoice` requested);
- 43 needs action: `customer_documents_requested` with `photo_of_damage` and `sales_invoice`;
- 44 is solved: `claim_paid` with a `claim_approved` resolution of 149.99 EUR;
- 45 is the demo ticket that the scenario moves on (see `scenario.py`).
"""

import copy
import random
from datetime import UTC, datetime, timedelta

SEED_ANCHOR = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
"""The moment the seed data describes: every seeded timestamp lies before it."""

STATUSES = (
    "action_required",
    "carrier_reminder_sent",
    "carrier_update_received",
    "claim_paid",
    "closed",
    "communicated_to_carrier",
    "customer_documents_requested",
    "customer_reminder_sent",
    "delayed",
    "delivered_scan_received",
    "delivery_confirmation_rejected",
    "delivery_confirmation_requested",
    "documents_forwarded_to_carrier",
    "escalated",
    "escalated_ava",
    "hold",
    "manually_solved",
    "new_scan_received",
    "pending",
    "processing",
    "smart_refund_available",
    "smart_refund_update",
    "solved",
    "solved_by_automation",
    "unknown",
    "waiting_for_carrier",
    "waiting_for_customer",
    "waiting_for_scan",
)

STAGES = (
    "in_progress",
    "action_required",
    "manually_solved_stage",
    "solved_by_automation_stage",
    "unknown",
)

TICKET_TYPES = (
    "address_change",
    "damaged",
    "delayed",
    "delivered_not_received",
    "late_delivery",
    "lost",
    "unjust_return",
    "other_shipping",
)

# The `data_type` enum of the requested-data endpoint (Jan-2026 Support spec), with a title for
# each. NOTE: Sendcloud does not document whether `requested_actions[].data_type` uses the same
# enum, and the titles here are the simulator's own, not Sendcloud's.
DATA_TYPE_TITLES = {
    "sales_invoice": "Sales invoice",
    "purchase_invoice": "Purchase invoice",
    "sales_data": "Sales data",
    "confirmation_from_intended_receiver": "Confirmation from the intended receiver",
    "declaration_non_receipt": "Declaration of non-receipt",
    "pickup_receipt": "Pickup receipt",
    "recipient_id_scan": "Scan of the recipient's ID",
    "photo_of_parcel_exterior": "Photo of the parcel's exterior",
    "photo_of_contents": "Photo of the contents",
    "photo_of_damage": "Photo of the damage",
    "photo_of_packaging_material_interior": "Photo of the packaging material inside",
    "photo_of_shipping_label": "Photo of the shipping label",
    "photo_of_parcel_weight": "Photo of the parcel on a scale",
    "cellphone": "Mobile phone number",
    "cn18_form": "CN18 form",
    "cn23_form": "CN23 customs declaration",
    "cn24_form": "CN24 form",
    "cp72_form": "CP72 customs declaration",
    "contact_person": "Contact person",
    "correct_address": "Correct address",
    "description_of_contents": "Description of the contents",
    "description_of_damage": "Description of the damage",
    "description_of_parcel": "Description of the parcel",
    "email_address": "Email address",
    "proof_of_delivery": "Proof of delivery",
    "proof_of_shipment": "Proof of shipment",
    "liability_statement": "Liability statement",
    "iban_bic": "IBAN and BIC",
    "claim_letter": "Claim letter",
    "identity_card": "Identity card",
    "other": "Other information",
}
DATA_TYPES = tuple(DATA_TYPE_TITLES)

# Codes from Sendcloud's `carrier_code` enum.
CARRIERS = (
    "postnl",
    "dhl",
    "dpd",
    "ups",
    "gls_nl",
    "bpost",
    "colissimo",
    "dhl_express",
    "royal_mail",
    "mondial_relay",
    "fedex",
    "chronopost",
    "hermes_de",
    "inpost_pl",
)

BRAND_IDS = (3, 7, 12, 21)

# NOTE: `claim_approved` is the only resolution outcome Sendcloud shows, so the seed uses no
# other. Tests that need another outcome put a ticket with it through `SimulatorState`.
RESOLUTION_OUTCOME = "claim_approved"
CURRENCIES = ("EUR", "EUR", "GBP", "USD")

FINAL_STATUSES = frozenset(
    {"claim_paid", "closed", "solved", "solved_by_automation", "manually_solved"}
)
FINAL_STAGES = frozenset({"manually_solved_stage", "solved_by_automation_stage"})

# The stage each generated ticket gets for its status. Sendcloud does not document the mapping
# from status to stage, so this is a plausible one. A status that waits for documents or
# information from the shop means `action_required`, and final statuses go with a solved stage.
STAGE_FOR_STATUS = {
    "action_required": "action_required",
    "customer_documents_requested": "action_required",
    "customer_reminder_sent": "action_required",
    "waiting_for_customer": "action_required",
    "delivery_confirmation_requested": "action_required",
    "claim_paid": "manually_solved_stage",
    "closed": "manually_solved_stage",
    "solved": "manually_solved_stage",
    "manually_solved": "manually_solved_stage",
    "solved_by_automation": "solved_by_automation_stage",
    "unknown": "unknown",
}

SLASH_ORDER_TICKET_ID = 49
SHARED_ORDER_TICKET_IDS = (50, 51)
SPACE_AND_HASH_ORDER_TICKET_ID = 52
ALL_OPTIONAL_NULL_TICKET_ID = 48
FIRST_GENERATED_ID = 49
LAST_GENERATED_ID = 112

_ORDER_OVERRIDES = {
    SLASH_ORDER_TICKET_ID: "SHOP/2026/0099",
    SHARED_ORDER_TICKET_IDS[0]: "ORD-2026-1500",
    SHARED_ORDER_TICKET_IDS[1]: "ORD-2026-1500",
    SPACE_AND_HASH_ORDER_TICKET_ID: "WEB #5521",
}

# The seed's random choices come from this fixed seed, so every run builds the same data.
_RANDOM_SEED = 20260401


def format_timestamp(moment: datetime, *, zulu: bool = False) -> str:
    """Format an aware datetime as Sendcloud does, in UTC with a `+00:00` (or `Z`) offset."""
    text = moment.astimezone(UTC).isoformat(timespec="seconds")
    if zulu:
        return text.removesuffix("+00:00") + "Z"
    return text


def is_final(ticket: dict) -> bool:
    """Return whether the ticket can no longer change: resolved, or in a final status or stage."""
    return (
        ticket.get("resolution") is not None
        or ticket.get("status") in FINAL_STATUSES
        or ticket.get("stage") in FINAL_STAGES
    )


def seed_tickets() -> dict[int, dict]:
    """Build the seed data set: a fresh dict of raw ticket dicts by id, the same on every call."""
    tickets = [
        _ticket_42(),
        _ticket_43(),
        _ticket_44(),
        _ticket_45(),
        _ticket_46(),
        _ticket_47(),
        _ticket_48(),
        *_generated_tickets(),
    ]
    return {ticket["id"]: ticket for ticket in tickets}


def _ticket_42() -> dict:
    # Sendcloud's example response of GET /dsf/tickets/{ticket_id}, field for field.
    return {
        "id": 42,
        "status": "pending",
        "stage": "in_progress",
        "type": "damaged",
        "parcel_id": 98765,
        "carrier": "postnl",
        "order_number": "ORD-2026-1234",
        "brand_id": 3,
        "created_at": "2026-03-15T10:30:00+00:00",
        "updated_at": "2026-03-18T14:22:00+00:00",
        "requested_actions": [
            {"id": 301, "data_type": "sales_invoice", "created_at": "2026-03-16T09:00:00+00:00"}
        ],
        "resolution": None,
    }


def _ticket_43() -> dict:
    return {
        "id": 43,
        "status": "customer_documents_requested",
        "stage": "action_required",
        "type": "damaged",
        "parcel_id": 55432,
        "carrier": "dpd",
        "order_number": "ORD-2026-1187",
        "brand_id": 3,
        "created_at": "2026-03-20T08:15:00+00:00",
        "updated_at": "2026-03-24T11:40:00+00:00",
        "requested_actions": [
            {"id": 302, "data_type": "photo_of_damage", "created_at": "2026-03-24T11:40:00+00:00"},
            {"id": 303, "data_type": "sales_invoice", "created_at": "2026-03-24T11:40:00+00:00"},
        ],
        "resolution": None,
    }


def _ticket_44() -> dict:
    # The resolution is Sendcloud's example resolution from the ticket list.
    return {
        "id": 44,
        "status": "claim_paid",
        "stage": "manually_solved_stage",
        "type": "lost",
        "parcel_id": 87210,
        "carrier": "ups",
        "order_number": "ORD-2026-0931",
        "brand_id": 7,
        "created_at": "2026-02-02T13:05:00+00:00",
        "updated_at": "2026-02-20T16:45:00+00:00",
        "requested_actions": [],
        "resolution": {
            "outcome": "claim_approved",
            "amount": 149.99,
            "currency": "EUR",
            "solved_at": "2026-02-20T16:45:00+00:00",
        },
    }


def _ticket_45() -> dict:
    return {
        "id": 45,
        "status": "processing",
        "stage": "in_progress",
        "type": "lost",
        "parcel_id": 99120,
        "carrier": "dhl",
        "order_number": "ORD-2026-1301",
        "brand_id": 3,
        "created_at": "2026-03-27T15:10:00+00:00",
        "updated_at": "2026-03-28T09:00:00+00:00",
        "requested_actions": [],
        "resolution": None,
    }


def _ticket_46() -> dict:
    return {
        "id": 46,
        "status": "waiting_for_carrier",
        "stage": "in_progress",
        "type": "damaged",
        "parcel_id": 99377,
        "carrier": "gls_nl",
        "order_number": "ORD-2026-1322",
        "brand_id": 7,
        "created_at": "2026-03-25T12:00:00+00:00",
        "updated_at": "2026-03-29T10:30:00+00:00",
        "requested_actions": [],
        "resolution": None,
    }


def _ticket_47() -> dict:
    return {
        "id": 47,
        "status": "waiting_for_scan",
        "stage": "in_progress",
        "type": "delayed",
        "parcel_id": 99412,
        "carrier": "bpost",
        "order_number": "ORD-2026-1340",
        "brand_id": 12,
        "created_at": "2026-03-29T07:45:00+00:00",
        "updated_at": "2026-03-30T16:20:00+00:00",
        "requested_actions": [],
        "resolution": None,
    }


def _ticket_48() -> dict:
    # Every optional field is null, as the field reference allows.
    return {
        "id": 48,
        "status": "pending",
        "stage": "in_progress",
        "type": None,
        "parcel_id": None,
        "carrier": None,
        "order_number": None,
        "brand_id": None,
        "created_at": "2026-03-30T18:00:00+00:00",
        "updated_at": None,
        "requested_actions": [],
        "resolution": None,
    }


def _generated_statuses(count: int) -> list[str]:
    """Return `count` statuses: all 28 once, then a mix weighted towards the common ones."""
    common = (
        "waiting_for_carrier",
        "customer_documents_requested",
        "pending",
        "claim_paid",
        "processing",
        "communicated_to_carrier",
        "action_required",
        "solved",
    )
    statuses = list(STATUSES)
    while len(statuses) < count:
        statuses.append(common[len(statuses) % len(common)])
    return statuses


def _generated_tickets() -> list[dict]:
    rng = random.Random(_RANDOM_SEED)
    ids = range(FIRST_GENERATED_ID, LAST_GENERATED_ID + 1)
    statuses = _generated_statuses(len(ids))
    action_id = 304
    data_type_index = 0
    tickets = []

    for index, (ticket_id, status) in enumerate(zip(ids, statuses, strict=True)):
        stage = STAGE_FOR_STATUS.get(status, "in_progress")
        # The first `closed` ticket is closed by automation: the mapping is loose.
        if status == "closed" and index < len(STATUSES):
            stage = "solved_by_automation_stage"
        zulu = index % 17 == 5

        created = SEED_ANCHOR - timedelta(
            days=2 + (index * 5) % 40, hours=(index * 7) % 24, minutes=(index * 13) % 60
        )
        updated = min(
            created + timedelta(hours=6 + rng.randrange(90)), SEED_ANCHOR - timedelta(hours=1)
        )

        ticket = {
            "id": ticket_id,
            "status": status,
            "stage": stage,
            "type": (*TICKET_TYPES, None)[index % (len(TICKET_TYPES) + 1)],
            "parcel_id": None if index % 11 == 7 else 100000 + ticket_id * 137,
            "carrier": None if index % 13 == 9 else CARRIERS[index % len(CARRIERS)],
            "order_number": _ORDER_OVERRIDES.get(
                ticket_id, None if index % 10 == 8 else f"ORD-2026-{1400 + ticket_id * 3}"
            ),
            "brand_id": (*BRAND_IDS, None)[index % (len(BRAND_IDS) + 1)],
            "created_at": format_timestamp(created, zulu=zulu),
            "updated_at": None if index % 19 == 3 else format_timestamp(updated, zulu=zulu),
            "requested_actions": [],
            "resolution": None,
        }

        if is_final(ticket):
            ticket["resolution"] = _resolution(rng, updated, index)
        else:
            count = _requested_action_count(stage, index)
            for position in range(count):
                data_type = DATA_TYPES[data_type_index % len(DATA_TYPES)]
                data_type_index += 1
                requested = created + timedelta(hours=2 + position * 5)
                ticket["requested_actions"].append(
                    {
                        "id": action_id,
                        "data_type": data_type,
                        "created_at": format_timestamp(min(requested, updated), zulu=zulu),
                    }
                )
                action_id += 1

        tickets.append(ticket)

    return tickets


def _requested_action_count(stage: str, index: int) -> int:
    """Return 0 to 5 requested actions, at least one when the shop has to act."""
    count = (index * 5) % 6
    if stage == "action_required":
        return max(count, 1)
    return count if index % 2 else 0


def _resolution(rng: random.Random, solved: datetime, index: int) -> dict | None:
    # Some closed tickets carry no resolution: a final status does not promise one.
    if index % 5 == 2:
        return None
    return {
        "outcome": RESOLUTION_OUTCOME,
        "amount": round(rng.uniform(8, 450), 2),
        "currency": CURRENCIES[index % len(CURRENCIES)],
        "solved_at": format_timestamp(solved),
    }


def _shift_timestamp(value, delta: timedelta):
    if not isinstance(value, str):
        return value
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return format_timestamp(moment + delta, zulu=value.endswith("Z"))


def shift_seed(tickets: dict[int, dict], delta: timedelta, *, keep=(42,)) -> dict[int, dict]:
    """Move every timestamp of the seed by `delta`, except on the tickets listed in `keep`.

    The demo moves the seed so that its newest ticket is recent and ages read as they would in
    a working shop, while ticket 42 keeps the dates of Sendcloud's documented example.
    """
    shifted = copy.deepcopy(tickets)
    for ticket_id, ticket in shifted.items():
        if ticket_id in keep:
            continue
        for name in ("created_at", "updated_at"):
            ticket[name] = _shift_timestamp(ticket.get(name), delta)
        for action in ticket.get("requested_actions") or []:
            action["created_at"] = _shift_timestamp(action.get("created_at"), delta)
        if ticket.get("resolution"):
            resolution = ticket["resolution"]
            resolution["solved_at"] = _shift_timestamp(resolution.get("solved_at"), delta)
    return shifted


def newest_timestamp(tickets: dict[int, dict]) -> datetime:
    """Return the latest creation or update time in a set of raw tickets."""
    moments = [
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        for ticket in tickets.values()
        for value in (ticket.get("created_at"), ticket.get("updated_at"))
        if isinstance(value, str)
    ]
    return max(moments)
