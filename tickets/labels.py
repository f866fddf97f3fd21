"""Human labels for the codes the Support API sends.

Every documented status, stage, type and requested data type has a label, and so has every
carrier code of Sendcloud's carrier support contact list. A code without a label is shown
humanised and logged once per process, because Sendcloud's Support API is in beta and may add
values at any time.
"""

import logging
import threading

from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

STATUS_LABELS = {
    "action_required": _("Action required"),
    "carrier_reminder_sent": _("Reminder sent to carrier"),
    "carrier_update_received": _("Carrier update received"),
    "claim_paid": _("Claim paid"),
    "closed": _("Closed"),
    "communicated_to_carrier": _("Communicated to carrier"),
    "customer_documents_requested": _("Documents requested"),
    "customer_reminder_sent": _("Reminder sent to the shop"),
    "delayed": _("Delayed"),
    "delivered_scan_received": _("Delivered scan received"),
    "delivery_confirmation_rejected": _("Delivery confirmation rejected"),
    "delivery_confirmation_requested": _("Delivery confirmation requested"),
    "documents_forwarded_to_carrier": _("Documents forwarded to carrier"),
    "escalated": _("Escalated"),
    "escalated_ava": _("Escalated (AVA)"),
    "hold": _("On hold"),
    "manually_solved": _("Solved manually"),
    "new_scan_received": _("New scan received"),
    "pending": _("Pending"),
    "processing": _("Processing"),
    "smart_refund_available": _("Smart refund available"),
    "smart_refund_update": _("Smart refund update"),
    "solved": _("Solved"),
    "solved_by_automation": _("Solved automatically"),
    "unknown": _("Unknown"),
    "waiting_for_carrier": _("Waiting for carrier"),
    "waiting_for_customer": _("Waiting for customer"),
    "waiting_for_scan": _("Waiting for scan"),
}

STAGE_LABELS = {
    "in_progress": _("In progress"),
    "action_required": _("Action required"),
    "manually_solved_stage": _("Solved manually"),
    "solved_by_automation_stage": _("Solved automatically"),
    "unknown": _("Unknown"),
}

TYPE_LABELS = {
    "address_change": _("Address change"),
    "damaged": _("Damaged parcel"),
    "delayed": _("Delayed parcel"),
    "delivered_not_received": _("Delivered but not received"),
    "late_delivery": _("Late delivery"),
    "lost": _("Lost parcel"),
    "unjust_return": _("Unjustly returned"),
    "other_shipping": _("Other shipping issue"),
}

DATA_TYPE_LABELS = {
    "sales_invoice": _("Sales invoice"),
    "purchase_invoice": _("Purchase invoice"),
    "sales_data": _("Sales data"),
    "confirmation_from_intended_receiver": _("Confirmation from the intended receiver"),
    "declaration_non_receipt": _("Declaration of non-receipt"),
    "pickup_receipt": _("Pickup receipt"),
    "recipient_id_scan": _("Scan of the recipient's ID"),
    "photo_of_parcel_exterior": _("Photo of the parcel exterior"),
    "photo_of_contents": _("Photo of the contents"),
    "photo_of_damage": _("Photo of the damage"),
    "photo_of_packaging_material_interior": _("Photo of the packaging interior"),
    "photo_of_shipping_label": _("Photo of the shipping label"),
    "photo_of_parcel_weight": _("Photo of the parcel weight"),
    "cellphone": _("Phone number"),
    "cn18_form": _("CN18 form"),
    "cn23_form": _("CN23 form"),
    "cn24_form": _("CN24 form"),
    "cp72_form": _("CP72 form"),
    "contact_person": _("Contact person"),
    "correct_address": _("Correct address"),
    "description_of_contents": _("Description of the contents"),
    "description_of_damage": _("Description of the damage"),
    "description_of_parcel": _("Description of the parcel"),
    "email_address": _("Email address"),
    "proof_of_delivery": _("Proof of delivery"),
    "proof_of_shipment": _("Proof of shipment"),
    "liability_statement": _("Liability statement"),
    "iban_bic": _("IBAN and BIC"),
    "claim_letter": _("Claim letter"),
    "identity_card": _("Identity card"),
    "other": _("Other information"),
}

RESOLUTION_LABELS = {
    "claim_approved": _("Claim approved"),
}

# Carrier names are brand names and stay untranslated.
CARRIER_LABELS = {
    "amazon": "Amazon Shipping",
    "bpost": "bpost",
    "bol": "bol",
    "bring": "Bring",
    "brt": "BRT",
    "budbee": "Budbee",
    "cainiao": "Cainiao",
    "chronopost": "Chronopost",
    "colisprive": "Colis Privé",
    "colissimo": "Colissimo",
    "colissimo_ec2c": "Colissimo (e-commerce C2C)",
    "correos": "Correos",
    "correos_express": "Correos Express",
    "cirro": "Cirro",
    "dachser": "Dachser",
    "dbschenker": "DB Schenker",
    "delivengo": "Delivengo",
    "der_kurier": "Der Kurier",
    "dp": "Deutsche Post",
    "dhl": "DHL",
    "dhl_de": "DHL Germany",
    "dhl_ecommerce": "DHL eCommerce",
    "dhl_freight": "DHL Freight",
    "dhl_gb": "DHL UK",
    "dhl_parcel_gb": "DHL Parcel UK",
    "dhl_parcel_iberia": "DHL Parcel Iberia",
    "dhl_express": "DHL Express",
    "dpd": "DPD",
    "dpd_at": "DPD Austria",
    "dpd_fr": "DPD France",
    "dpd_gb": "DPD UK",
    "dpd_local": "DPD Local",
    "fadello": "Fadello",
    "fairsenden": "fairsenden",
    "fedex": "FedEx",
    "fedexcrossborder": "FedEx Cross Border",
    "fietskoeriers": "Fietskoeriers",
    "geodis": "GEODIS",
    "gls_de": "GLS Germany",
    "gls_es": "GLS Spain",
    "gls_eu": "GLS Europe",
    "gls_it": "GLS Italy",
    "gls_nl": "GLS Netherlands",
    "glovo": "Glovo",
    "hermes_c2c_gb": "Hermes C2C UK",
    "hermes_at": "Hermes Austria",
    "hermes_de": "Hermes Germany",
    "hermes_gb": "Hermes UK",
    "hived": "HIVED",
    "homerr": "Homerr",
    "hurby": "Hurby",
    "inpost_gb": "InPost UK",
    "inpost_es": "InPost Spain",
    "inpost_it": "InPost Italy",
    "inpost_pl": "InPost Poland",
    "jongstra": "Jongstra",
    "landmark": "Landmark Global",
    "lettresuivie": "Lettre Suivie",
    "mondial_relay": "Mondial Relay",
    "mhi": "MHI",
    "nacex": "NACEX",
    "ontime": "OnTime",
    "paack": "Paack",
    "packs": "Packs",
    "parcelforce": "Parcelforce",
    "mrw": "MRW",
    "plx": "PLX",
    "postat": "Österreichische Post",
    "poste_italiane": "Poste Italiane",
    "poste_it_delivery": "Poste Italiane Delivery",
    "postnl": "PostNL",
    "postnl_fulfilment": "PostNL Fulfilment",
    "postnl_large": "PostNL Large",
    "postnord": "PostNord",
    "quicargo": "Quicargo",
    "relais_colis": "Relais Colis",
    "rjpv2": "Red je Pakketje",
    "rjp": "Red je Pakketje (classic)",
    "royal_mail": "Royal Mail",
    "royal_mailv2": "Royal Mail (v2)",
    "sandd": "Sandd",
    "sendcloud": "Sendcloud",
    "seur": "SEUR",
    "skymail": "Skymail",
    "storeshippers": "StoreShippers",
    "tipsa": "TIPSA",
    "transmission": "Transmission",
    "trunkrs": "Trunkrs",
    "ups": "UPS",
    "van_straaten": "Van Straaten",
    "viatim": "Viatim",
    "ctt_express": "CTT Express",
    "tnt_it": "TNT Italy",
    "yodel": "Yodel",
    "europaket": "Europaket",
    "spring": "Spring GDS",
    "evri_international": "Evri International",
    "asendia": "Asendia",
    "transforce": "Transforce",
    "dhl_2_man_handling": "DHL 2-Man Handling",
}

_reported_unknown: set[tuple[str, str]] = set()
_reported_lock = threading.Lock()


def humanise(code: str) -> str:
    """Turn an unlabelled code such as `new_fancy_state` into `New fancy state`."""
    words = code.replace("_", " ").replace("-", " ").split()
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else "?"


def _label(kind: str, labels: dict, code: str | None) -> str:
    if code is None:
        return ""
    if code in labels:
        return str(labels[code])
    with _reported_lock:
        first_time = (kind, code) not in _reported_unknown
        _reported_unknown.add((kind, code))
    if first_time:
        logger.warning("Unknown Sendcloud %s code %r; showing it humanised.", kind, code[:80])
    return humanise(code)


def is_known(kind: str, code: str | None) -> bool:
    """Tell whether a code has a label, so the page can show unknown ones neutrally."""
    labels = {
        "status": STATUS_LABELS,
        "stage": STAGE_LABELS,
        "type": TYPE_LABELS,
        "data type": DATA_TYPE_LABELS,
        "carrier": CARRIER_LABELS,
        "outcome": RESOLUTION_LABELS,
    }[kind]
    return code is None or code in labels


def status_label(code: str) -> str:
    return _label("status", STATUS_LABELS, code)


def stage_label(code: str) -> str:
    return _label("stage", STAGE_LABELS, code)


def type_label(code: str | None) -> str:
    return _label("type", TYPE_LABELS, code)


def data_type_label(code: str) -> str:
    return _label("data type", DATA_TYPE_LABELS, code)


def carrier_label(code: str | None) -> str:
    return _label("carrier", CARRIER_LABELS, code)


def outcome_label(code: str | None) -> str:
    return _label("outcome", RESOLUTION_LABELS, code)
