from typing import Any

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "cloudmentor.accounts"
    label = "accounts"
    verbose_name = _("Comptes")
    default = True

    def ready(self) -> None:
        # Cached sessions and accounts are checked against change stamps: every save or
        # delete, wherever it comes from (services, staff site, cascades), bumps them.
        from . import caching
        from .models import AccountSession, User

        post_save.connect(caching.on_user_saved_or_deleted, sender=User, dispatch_uid="accounts_user_saved")
        post_delete.connect(caching.on_user_saved_or_deleted, sender=User, dispatch_uid="accounts_user_deleted")
        post_save.connect(caching.on_session_saved, sender=AccountSession, dispatch_uid="accounts_session_saved")
        post_delete.connect(caching.on_session_deleted, sender=AccountSession, dispatch_uid="accounts_session_deleted")

        # Staff roles (TR-1): each role's group gets its permissions once every app's exist.
        post_migrate.connect(_ensure_roles, dispatch_uid="accounts_staff_roles")

        # Personal data (PV-9, PV-10): the account's own section, and the outbox's.
        from cloudmentor.core import personal_data
        from cloudmentor.mailing.services import SCRUB_AFTER_SEND, SECRET_TEMPLATES

        from .group_personal_data import SECTION as GROUPS_SECTION
        from .personal_data import MAILING_SECTION, SECTION
        from .services import ERASED_EMAIL_TEMPLATE

        personal_data.register(SECTION)
        personal_data.register(GROUPS_SECTION)
        personal_data.register(MAILING_SECTION)
        SCRUB_AFTER_SEND.add(ERASED_EMAIL_TEMPLATE)
        # Emails whose link opens or acts on the account: stored sealed, body dropped once sent (TR-3).
        SECRET_TEMPLATES.update(SECRET_EMAIL_TEMPLATES)


def _ensure_roles(sender: AppConfig, **kwargs: Any) -> None:
    """Set the roles' permissions after the last app's post_migrate (Django creates each app's then)."""
    from django.apps import apps

    last = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
    if sender.label != last.label:
        return
    from django.contrib.auth.management import create_permissions

    from .roles import roles_ensure

    # accounts comes before django.contrib.auth: its receiver runs first, so the last app's
    # permissions are created here (create_permissions is idempotent).
    using = str(kwargs.get("using") or "default")
    create_permissions(sender, verbosity=0, using=using, apps=kwargs.get("apps") or apps)
    roles_ensure(using=using)


# The account emails whose link opens or changes the account without a login (TR-3, TR-4).
SECRET_EMAIL_TEMPLATES = frozenset(
    f"accounts/emails/{name}" for name in ("password_reset", "email_change", "group_invitation", "security_notice")
)


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin whose default site is the staff site (login through the site + TOTP)."""

    default = False
    default_site = "cloudmentor.accounts.admin_site.StaffAdminSite"
