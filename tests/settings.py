"""Settings for the test suite: the project's settings with a throwaway secret key."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-any-real-use-0123456789")

from config.settings import *  # noqa: E402, F403

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Every request asks the simulator, so a test sees each change it makes at once. Tests of the
# ticket cache and of the request budget set their own values.
SENDCLOUD_TICKET_CACHE_SECONDS = 0
SENDCLOUD_REQUESTS_PER_MINUTE = 10_000
# Tests that inject a hang expect the next call to reach the simulator; one test turns it on.
SENDCLOUD_TIMEOUT_PAUSE_SECONDS = 0
# Django's live server serves MEDIA_URL from MEDIA_ROOT. With both empty it looks up every path
# as a file first, and a path too long for the file system then fails with a 500.
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "var" / "test-media"  # noqa: F405
