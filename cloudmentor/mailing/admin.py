from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import OutboxEmail
from .services import email_requeue


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin[OutboxEmail]):
    list_display = ["created_at", "to", "subject", "status", "has_secret", "attempts", "sent_at"]
    list_filter = ["status", "has_secret", "template", "language"]
    search_fields = ["to", "subject"]
    # Never the encrypted body of a secret email: staff see its placeholder (TR-3).
    readonly_fields = [field.name for field in OutboxEmail._meta.fields if field.name != "sealed_body"]
    fields = list(readonly_fields)
    actions = ["requeue"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Renvoyer les e-mails sélectionnés"))
    def requeue(self, request: HttpRequest, queryset: QuerySet[OutboxEmail]) -> None:
        refused = sum(not email_requeue(email_id=email.pk) for email in queryset)
        if refused < len(queryset):
            messages.success(request, _("Les e-mails sélectionnés seront renvoyés."))
        if refused:
            messages.warning(
                request,
                _(
                    "%(count)s e-mail(s) ne peuvent pas être renvoyés : déjà envoyés, annulés, ou leur contenu "
                    "a été retiré (lien à usage unique, durée de conservation). Le membre peut demander un nouveau lien."
                )
                % {"count": refused},
            )
