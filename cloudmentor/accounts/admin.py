"""Staff views of accounts: search, view, edit, disable and re-enable members (PV-7, TM-6)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from cloudmentor.core import personal_data
from cloudmentor.core.admin import ReadOnlyAdminMixin
from cloudmentor.core.http import client_ip, user_agent_of

from . import events, roles, services
from .exceptions import AlreadyErased, GroupHasMembers, StaffAccountErasure
from .forms import StaffEraseForm, StaffReasonForm
from .http import AuthenticatedHttpRequest
from .models import AccountEvent, AccountSession, Group, GroupInvitation, GroupMembership, StaffAccess, User
from .selectors import session_list


class SharingFilter(admin.SimpleListFilter):
    title = _("partage suspecté")
    parameter_name = "sharing"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Oui")), ("no", _("Non"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        if self.value() == "yes":
            return queryset.filter(sharing_flagged_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(sharing_flagged_at__isnull=True)
        return queryset


class LockedFilter(admin.SimpleListFilter):
    """Accounts blocked after a report of unauthorized use, until their owner sets a new password (PV-14)."""

    title = _("bloqué après un signalement")
    parameter_name = "locked"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Oui")), ("no", _("Non"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        if self.value() == "yes":
            return queryset.filter(locked_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(locked_at__isnull=True)
        return queryset


class AccountEventInline(admin.TabularInline[AccountEvent, User]):
    model = AccountEvent
    fk_name = "user"
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "actor", "reason", "ip", "browser", "os")
    readonly_fields = fields
    ordering = ("-created_at",)
    verbose_name_plural = _("historique du compte")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Who holds the rights of the staff: only an administrator changes them (TR-1).
RIGHTS_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


@admin.register(User)
class MemberAdmin(roles.StaffAccessAuditMixin, UserAdmin[User]):
    audit_kind = StaffAccess.Kind.PROFILE
    audit_search_kind = StaffAccess.Kind.MEMBER_SEARCH
    list_display = ("username", "email", "is_active", "is_staff", "access_ends_at", "sharing_flagged_at", "date_joined")
    list_filter = ("is_active", "is_staff", SharingFilter, LockedFilter, "date_joined")
    search_fields = ("username", "email")
    ordering = ("-date_joined",)
    readonly_fields = (
        "is_active",
        "last_login",
        "date_joined",
        "language",
        "terms_version",
        "terms_accepted_at",
        "newsletter_opt_in",
        "newsletter_opt_in_at",
        "access_ends_at",
        "sharing_flagged_at",
        "locked_at",
        "erased_at",
        "open_sessions",
    )
    fieldsets = (
        (None, {"fields": ("username", "email", "password")}),
        (_("Compte"), {"fields": ("is_active", "access_ends_at", "language", "date_joined", "last_login")}),
        (
            _("Consentements"),
            {"fields": ("terms_version", "terms_accepted_at", "newsletter_opt_in", "newsletter_opt_in_at")},
        ),
        (_("Sécurité"), {"fields": ("sharing_flagged_at", "locked_at", "erased_at", "open_sessions")}),
        (_("Identité (facultatif)"), {"fields": ("first_name", "last_name"), "classes": ("collapse",)}),
        (_("Droits"), {"fields": ("is_staff", "is_superuser", "groups", "user_permissions"), "classes": ("collapse",)}),
    )
    inlines = (AccountEventInline,)
    change_form_template = "admin/accounts/user/change_form.html"

    @admin.display(description=_("sessions ouvertes"))
    def open_sessions(self, obj: User) -> str:
        """List the devices without their session keys (a key in a page or URL could be replayed)."""
        rows = [
            format_html(
                "<li>{} · {} — {} — {} {}</li>",
                session.browser or "?",
                session.os or "?",
                session.ip or "—",
                _("vue le"),
                date_format(localtime(session.last_seen_at), "DATETIME_FORMAT"),
            )
            for session in session_list(user=obj)
        ]
        if not rows:
            return str(_("aucune"))
        return format_html("<ul>{}</ul>", format_html_join("", "{}", ((row,) for row in rows)))

    def audit_member_id(self, obj: User) -> int | None:
        return obj.pk

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """A staff account is changed by an administrator only: support editing one (its email, its
        password) would take over its rights (TR-1)."""
        if obj is not None and (obj.is_staff or obj.is_superuser) and not roles.user_is_administrator(request.user):
            return False
        return super().has_change_permission(request, obj)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        """Setting someone's password is an administrator's right: members reset theirs by email (TR-1)."""
        if not roles.user_is_administrator(request.user):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """An erased account (PV-10) is a shell for kept invoices: nothing of it is edited again.
        The staff's rights are shown, and changed by administrators only (TR-1)."""
        fields = tuple(super().get_readonly_fields(request, obj))
        if not roles.user_is_administrator(request.user):
            fields = (*fields, *RIGHTS_FIELDS)
        if obj is not None and obj.erased_at is not None:
            return (
                *fields,
                "username",
                "email",
                "first_name",
                "last_name",
                "is_staff",
                "is_superuser",
                "groups",
                "user_permissions",
            )
        return fields

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        old = User.objects.filter(pk=obj.pk).values("username", "email").first() if change else None
        super().save_model(request, obj, form, change)
        actor: Any = request.user
        if old and old["email"] != obj.email:
            events.email_changed(user=obj, old_email=old["email"], actor=actor)
            # Both addresses are told, as when the member changes it (TR-4).
            services.email_change_notify(
                user=obj, old_email=old["email"], ip=client_ip(request), user_agent=user_agent_of(request)
            )
        if old and old["username"] != obj.username:
            events.username_changed(user=obj, old_username=old["username"], actor=actor)

    def get_urls(self) -> list[Any]:
        extra = [
            path("<int:user_id>/disable/", self.admin_site.admin_view(self.disable_view), name="accounts_user_disable"),
            path("<int:user_id>/enable/", self.admin_site.admin_view(self.enable_view), name="accounts_user_enable"),
            path("<int:user_id>/erase/", self.admin_site.admin_view(self.erase_view), name="accounts_user_erase"),
            path(
                "<int:user_id>/end-sessions/",
                self.admin_site.admin_view(self.end_sessions_view),
                name="accounts_user_end_sessions",
            ),
        ]
        return extra + super().get_urls()

    def disable_view(self, request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
        return self._reason_view(request, user_id, action="disable")

    def enable_view(self, request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
        return self._reason_view(request, user_id, action="enable")

    def end_sessions_view(self, request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
        return self._reason_view(request, user_id, action="end_sessions")

    def erase_view(self, request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
        """PV-10 at staff's hands: for a member who cannot log in (disabled, TM-6) or asks by email."""
        member = get_object_or_404(User, pk=user_id)
        if not self.has_change_permission(request, member):
            raise PermissionDenied
        form = StaffEraseForm(request.POST or None)
        outcomes = None
        if request.method == "POST" and form.is_valid():
            try:
                outcomes = services.account_erase(user=member, actor=request.user, reason=form.cleaned_data["reason"])
            except StaffAccountErasure:
                form.add_error(None, _("Retirez d'abord les droits d'équipe de ce compte (case « statut équipe »)."))
            except GroupHasMembers:
                form.add_error(
                    None, _("Ce compte est propriétaire d'un groupe qui a encore des membres : retirez-les d'abord.")
                )
            except AlreadyErased:
                form.add_error(None, _("Les données de ce compte sont déjà effacées."))
            else:
                messages.success(request, _("Les données personnelles du compte sont effacées."))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Effacer les données personnelles"),
            "member": member,
            "form": form,
            "outcomes": outcomes,
            "sections": personal_data.sections(),
            "notices": [] if member.erased_at else personal_data.notices_for(member),
            "opts": self.model._meta,
        }
        return render(request, "admin/accounts/user/erase_form.html", context)

    def _reason_view(self, request: AuthenticatedHttpRequest, user_id: int, *, action: str) -> HttpResponse:
        member = get_object_or_404(User, pk=user_id)
        if not self.has_change_permission(request, member):
            raise PermissionDenied
        form = StaffReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            actor = request.user
            reason = form.cleaned_data["reason"]
            if action == "disable":
                services.user_disable(user=member, actor=actor, reason=reason)
                messages.success(request, _("Le compte est désactivé et toutes ses sessions sont fermées."))
            elif action == "enable":
                services.user_enable(user=member, actor=actor, reason=reason)
                messages.success(request, _("Le compte est réactivé."))
            else:
                services.sessions_revoke_all(user=member, actor=actor, reason=reason)
                messages.success(request, _("Toutes les sessions du compte sont fermées."))
            return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[member.pk]))
        titles = {
            "disable": _("Désactiver le compte"),
            "enable": _("Réactiver le compte"),
            "end_sessions": _("Fermer toutes les sessions"),
        }
        context = {
            **self.admin_site.each_context(request),
            "title": titles[action],
            "member": member,
            "form": form,
            "action": action,
            "opts": self.model._meta,
        }
        return render(request, "admin/accounts/user/reason_form.html", context)


@admin.register(AccountSession)
class AccountSessionAdmin(ReadOnlyAdminMixin, roles.StaffAccessAuditMixin, admin.ModelAdmin[AccountSession]):
    """Every open session, read-only. No links, no actions: their primary key is the session
    key, which must never appear in a page or a URL (the request log records URLs)."""

    list_display = ("user", "browser", "os", "ip", "created_at", "last_seen_at", "expire_date")
    list_display_links = None
    list_filter = ("browser", "os")
    search_fields = ("user__username", "user__email", "ip")
    list_select_related = ("user",)
    actions = None
    audit_kind = StaffAccess.Kind.SESSIONS


@admin.register(AccountEvent)
class AccountEventAdmin(ReadOnlyAdminMixin, roles.StaffAccessAuditMixin, admin.ModelAdmin[AccountEvent]):
    audit_kind = StaffAccess.Kind.PROFILE
    audit_search_kind = StaffAccess.Kind.MEMBER_SEARCH

    list_display = ("created_at", "user", "kind", "actor", "ip")
    list_filter = ("kind",)
    search_fields = ("user__username", "user__email", "ip", "reason")
    list_select_related = ("user", "actor")
    date_hierarchy = "created_at"


class GroupMembershipInline(admin.TabularInline[GroupMembership, Group]):
    model = GroupMembership
    extra = 0
    can_delete = False
    fields = ("user", "joined_at")
    readonly_fields = fields
    verbose_name_plural = _("membres (propriétaire compris)")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class GroupInvitationInline(admin.TabularInline[GroupInvitation, Group]):
    model = GroupInvitation
    extra = 0
    can_delete = False
    fields = ("email", "created_at", "expires_at", "accepted_at", "revoked_at")
    readonly_fields = fields
    verbose_name_plural = _("invitations")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Group)
class GroupAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Group]):
    """Groups (PV-1): searchable by name, owner or member; members, invitations and subscription shown."""

    list_display = ("name", "owner", "seats", "member_count", "created_at")
    search_fields = (
        "name",
        "owner__username",
        "owner__email",
        "memberships__user__username",
        "memberships__user__email",
    )
    list_select_related = ("owner",)
    fields = ("name", "owner", "seats", "created_at", "subscription")
    readonly_fields = fields
    inlines = (GroupMembershipInline, GroupInvitationInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        queryset: QuerySet[Group] = super().get_queryset(request)
        return queryset.annotate(member_total=Count("memberships", distinct=True))

    @admin.display(description=_("membres"), ordering="member_total")
    def member_count(self, obj: Group) -> int:
        return int(getattr(obj, "member_total", 0))

    @admin.display(description=_("abonnement"))
    def subscription(self, obj: Group) -> Any:
        # Billing (a layer above) holds the periods: link to its customer list, filtered on this group.
        url = reverse("admin:billing_customer_changelist") + f"?group__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Périodes et factures du groupe"))


@admin.register(StaffAccess)
class StaffAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[StaffAccess]):
    """Who of the staff opened whose personal data, when (TR-2): administrators only (their role's
    permission ``accounts.view_staffaccess``), never changed by hand."""

    list_display = ("created_at", "staff_username", "roles", "member", "kind", "reference")
    list_filter = ("kind",)
    search_fields = ("=staff_username", "=member__username", "=member__email", "reference")
    list_select_related = ("member",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
