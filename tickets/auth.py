"""Authentication backend that allows the demo account only in demo mode."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

DEMO_USERNAME = "demo"


class DashboardBackend(ModelBackend):
    def user_can_authenticate(self, user) -> bool:
        if user.get_username() == DEMO_USERNAME and not settings.DEMO_MODE:
            return False
        return super().user_can_authenticate(user)
