from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import OutboxEmail
from .services import email_requeue


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin[OutboxEmail]):
    list_display = ["created_at", "to", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "template", "language"]
    search_fields = ["to", "subject"]
    readonly_fields = [field.name for field in OutboxEmail._meta.fields]
    actions = ["requeue"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Renvoyer les e-mails sélectionnés"))
    def requeue(self, request: HttpRequest, queryset: QuerySet[OutboxEmail]) -> None:
        for email in queryset:
            email_requeue(email_id=email.pk)
        messages.success(request, _("Les e-mails sélectionnés seront renvoyés."))
