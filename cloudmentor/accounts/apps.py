from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "cloudmentor.accounts"
    label = "accounts"
    verbose_name = _("Comptes")
    default = True


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin whose default site is the staff site (login through the site + TOTP)."""

    default = False
    default_site = "cloudmentor.accounts.admin_site.StaffAdminSite"
