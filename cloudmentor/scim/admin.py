"""Staff view of SCIM provisioning at /staff/: each group's tokens (never their value), people and history (PV-3)."""

from __future__ import annotations

from django.contrib import admin

from cloudmentor.core.admin import ReadOnlyAdminMixin

from .models import ScimEvent, ScimToken, ScimUser


@admin.register(ScimToken)
class ScimTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[ScimToken]):
    list_display = ("name", "group", "hint", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "group__name", "group__owner__username")
    list_select_related = ("group",)
    # The digest is never shown: it is of no use to staff and only helps a guess.
    fields = ("name", "group", "hint", "created_by", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields


@admin.register(ScimUser)
class ScimUserAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[ScimUser]):
    list_display = ("user_name", "group", "user", "email", "external_id", "modified_at")
    search_fields = ("user_name", "email", "external_id", "group__name", "user__username")
    list_select_related = ("group", "user")
    fields = (
        "scim_id",
        "group",
        "user",
        "user_name",
        "external_id",
        "email",
        "attributes",
        "created_at",
        "modified_at",
    )
    readonly_fields = fields


@admin.register(ScimEvent)
class ScimEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[ScimEvent]):
    list_display = ("created_at", "group", "kind", "user_name", "detail", "token")
    list_filter = ("kind",)
    search_fields = ("group__name", "user_name", "detail")
    list_select_related = ("group", "token")
    date_hierarchy = "created_at"
    fields = ("created_at", "group", "kind", "user", "user_name", "token", "actor", "detail")
    readonly_fields = fields
