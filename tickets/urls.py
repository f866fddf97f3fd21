from django.urls import path

from tickets import queue_views, views

urlpatterns = [
    path("", queue_views.overview, name="home"),
    path("queue/refresh/", queue_views.overview_refresh, name="overview_refresh"),
    path("queue/export.csv", queue_views.overview_csv, name="overview_csv"),
    path("documents/", queue_views.documents, name="documents"),
    path("documents/export.csv", queue_views.documents_csv, name="documents_csv"),
    path("search/", queue_views.search, name="search"),
    # `path` lets an order number contain slashes; links percent-encode every other
    # reserved character.
    path("orders/<path:order_number>/", queue_views.order_lookup, name="order_lookup"),
    path("parcels/<str:parcel_id>/", queue_views.parcel_lookup, name="parcel_lookup"),
    path("tickets/<str:ticket_id>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<str:ticket_id>/refresh/", views.ticket_refresh, name="ticket_refresh"),
    path("healthz", views.healthz, name="healthz"),
]
