from django.conf import settings
from django.http import HttpRequest

from tickets.auth import DEMO_USERNAME


def dashboard(request: HttpRequest) -> dict:
    return {
        "demo_mode": settings.DEMO_MODE,
        "demo_username": DEMO_USERNAME,
    }
