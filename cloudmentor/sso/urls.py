from django.urls import path

from . import views

app_name = "sso"

urlpatterns = [
    path("sso/", views.start, name="start"),
    path("sso/link/", views.link, name="link"),
    path("sso/signed-out/<int:provider_id>/", views.signed_out, name="signed_out"),
    path("account/group/sso/", views.provider_settings, name="settings"),
]
