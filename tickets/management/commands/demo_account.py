from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tickets.auth import DEMO_USERNAME


class Command(BaseCommand):
    help = "Create the demo agent account (demo/demo) in demo mode, or remove it in live mode."

    def handle(self, *args, **options):
        users = get_user_model()
        if not settings.DEMO_MODE:
            deleted, _ = users.objects.filter(username=DEMO_USERNAME).delete()
            if deleted:
                self.stdout.write("Removed the demo account: it exists only in demo mode.")
            return
        if settings.SENDCLOUD_API_URL.startswith("https://panel.sendcloud.sc"):
            raise CommandError("Demo mode must point at the simulator, not at Sendcloud.")
        user, created = users.objects.get_or_create(username=DEMO_USERNAME)
        user.set_password(DEMO_USERNAME)
        user.is_active = True
        user.save()
        self.stdout.write(
            f"Demo account ready: user name {DEMO_USERNAME}, password {DEMO_USERNAME}."
        )
