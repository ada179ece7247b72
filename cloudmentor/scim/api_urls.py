"""/scim/v2/: outside the language prefix (an API; the errors follow Accept-Language)."""

from __future__ import annotations

from django.urls import re_path

from . import api

app_name = "scim_api"

urlpatterns = [
    re_path(r"^Users/?$", api.users, name="users"),
    re_path(r"^Users/\.search/?$", api.users_search, name="users_search"),
    re_path(r"^Users/(?P<scim_id>[^/]+)/?$", api.user, name="user"),
    # A search across resource types (RFC 7644 §3.4.3): Users is the only one.
    re_path(r"^\.search/?$", api.users_search, name="search"),
    re_path(r"^ServiceProviderConfig/?$", api.service_provider_config, name="service_provider_config"),
    re_path(r"^ResourceTypes/?$", api.resource_types, name="resource_types"),
    re_path(r"^ResourceTypes/(?P<name>[^/]+)/?$", api.resource_types, name="resource_type"),
    re_path(r"^Schemas/?$", api.schemas, name="schemas"),
    re_path(r"^Schemas/(?P<urn>[^/]+)/?$", api.schemas, name="schema"),
    re_path(r"^(?P<rest>.*)$", api.not_found, name="not_found"),
]
