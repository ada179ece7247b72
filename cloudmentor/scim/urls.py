"""The group owner's SCIM page (in the language prefix); the API itself is in api_urls.py."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "scim"

urlpatterns = [
    path("account/group/scim/", views.tokens, name="tokens"),
]
