"""The production URLs plus `/bench/minimal/`, the baseline of the poll throughput figure."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from config import urls as production_urls


@require_GET
def minimal(request: HttpRequest) -> HttpResponse:
    """Return a short text through the full middleware stack, sign-in check included."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/minimal/", minimal, name="bench_minimal"),
    *production_urls.urlpatterns,
]

handler400 = production_urls.handler400
handler403 = production_urls.handler403
handler404 = production_urls.handler404
handler500 = production_urls.handler500
