from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Sendcloud tickets")

    def ready(self) -> None:
        from tickets import checks  # noqa: F401  Registers the system checks.
