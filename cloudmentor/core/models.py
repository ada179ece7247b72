"""The rows core keeps so every process and machine shares one truth (SC-2, SC-3, decision 0091).

Both tables are small, hold no personal data in clear and are purged by `core_purge`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ThrottleBucket(models.Model):
    """One limit's state for one subject: a GCRA bucket (core.throttle).

    `theoretical_arrival_us` is the time (microseconds since the epoch) at which the bucket
    would be empty again; it only moves through one conditional UPDATE, so every process
    and machine counts the same hits. A row whose time is past says the same as no row.
    """

    scope = models.CharField(_("portée"), max_length=40)
    # A keyed hash (HMAC of SECRET_KEY) of the subject: never an address or an email.
    subject_digest = models.CharField(_("empreinte du sujet"), max_length=64)
    theoretical_arrival_us = models.BigIntegerField(_("arrivée théorique (µs)"))

    class Meta:
        verbose_name = _("compteur de limite")
        verbose_name_plural = _("compteurs de limite")
        constraints = [
            models.UniqueConstraint(fields=["scope", "subject_digest"], name="core_throttle_one_bucket_per_subject"),
        ]
        indexes = [models.Index(fields=["theoretical_arrival_us"], name="core_throttle_arrival")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.subject_digest[:8]}"


class SpentFormCookie(models.Model):
    """A form cookie's id that has been claimed by a submission (core.formcookies).

    The unique digest decides between simultaneous submissions: the one whose insert wins
    is processed. `result_url` is where its success redirected, so a repeated submission
    (a double click) is sent to the same result. Kept until the cookie itself expires.
    """

    token_digest = models.CharField(_("empreinte de l'identifiant"), max_length=64, unique=True)
    form = models.CharField(_("formulaire"), max_length=40)
    claimed_at = models.DateTimeField(_("utilisé le"))
    expires_at = models.DateTimeField(_("expire le"), db_index=True)
    result_url = models.CharField(_("adresse du résultat"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("formulaire envoyé")
        verbose_name_plural = _("formulaires envoyés")

    def __str__(self) -> str:
        return f"{self.form}:{self.token_digest[:8]}"
