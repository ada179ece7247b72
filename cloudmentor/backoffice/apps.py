from __future__ import annotations

from django.apps import AppConfig, apps
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# The staff site's names of third-party apps and models, which ship untranslated or with a name
# that says something else here (decision 0134). Set on the app configs and on each model's
# `_meta` at start-up: `Options.original_attrs`, what migrations compare, stays as it shipped, so
# no migration of a third-party app is ever asked for.
THIRD_PARTY_LABELS: dict[str, tuple[Promise | None, dict[str, tuple[Promise, Promise]]]] = {
    # django.contrib.auth's groups are the staff roles here (accounts.roles); members' groups are accounts'.
    "auth": (None, {"group": (_("rôle du personnel"), _("rôles du personnel"))}),
    "otp_totp": (
        _("Second facteur du personnel"),
        {"totpdevice": (_("appareil TOTP du personnel"), _("appareils TOTP du personnel"))},
    ),
    "django_tasks_database": (
        _("Tâches en arrière-plan"),
        {"dbtaskresult": (_("résultat de tâche"), _("résultats de tâches"))},
    ),
}


def third_party_labels_apply() -> None:
    """Give the third-party apps and models of the staff site their French and English names."""
    for label, (app_name, models) in THIRD_PARTY_LABELS.items():
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue  # not installed in this set-up
        if app_name is not None:
            config.verbose_name = app_name  # type: ignore[assignment]  # a lazy translation, as Django's own apps use
        for model_name, (singular, plural) in models.items():
            options = config.get_model(model_name)._meta
            options.verbose_name = singular  # type: ignore[assignment]  # lazy, like any model's
            options.verbose_name_plural = plural  # type: ignore[assignment]  # lazy, like any model's


class BackofficeConfig(AppConfig):
    """The staff home (BZ-5): the business at a glance, above the staff site's lists."""

    name = "cloudmentor.backoffice"
    label = "backoffice"
    verbose_name = _("Accueil du personnel")

    def ready(self) -> None:
        third_party_labels_apply()
