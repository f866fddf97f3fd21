from django.urls import path

from tickets import views

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("tickets/<str:ticket_id>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<str:ticket_id>/refresh/", views.ticket_refresh, name="ticket_refresh"),
    path("healthz", views.healthz, name="healthz"),
]
