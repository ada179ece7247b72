"""The request log (PV-5): raw records, the spool files they come from, and the rollups."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Device(models.TextChoices):
    DESKTOP = "desktop", _("ordinateur")
    MOBILE = "mobile", _("mobile")
    TABLET = "tablet", _("tablette")
    BOT = "bot", _("robot")
    OTHER = "other", _("autre")


class SpoolFile(models.Model):
    """One spool file written by one web process, and how far it has been ingested.

    ``offset`` is the checkpoint: the byte just after the last line stored as a record.
    It is updated in the same transaction as the records it covers, so a crash of the
    ingester can never store a line twice or skip one.
    """

    name = models.CharField(_("nom"), max_length=200, unique=True)
    offset = models.BigIntegerField(_("position ingérée (octets)"), default=0)
    records = models.BigIntegerField(_("lignes ingérées"), default=0)
    skipped = models.IntegerField(_("lignes endommagées ignorées"), default=0)
    created_at = models.DateTimeField(_("vu le"), auto_now_add=True)
    ingested_at = models.DateTimeField(_("dernière ingestion"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("fichier tampon")
        verbose_name_plural = _("fichiers tampons")

    def __str__(self) -> str:
        return self.name


class RequestRecord(models.Model):
    """One request that reached the application: who, what, with what, when, how it ended."""

    requested_at = models.DateTimeField(_("date"))
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    method = models.CharField(_("méthode"), max_length=10)
    path = models.CharField(_("page"), max_length=1024)
    query = models.CharField(_("paramètres"), max_length=1024, blank=True)
    browser = models.CharField(_("navigateur"), max_length=64)
    browser_version = models.CharField(_("version du navigateur"), max_length=32, blank=True)
    operating_system = models.CharField(_("système d'exploitation"), max_length=64)
    device = models.CharField(_("appareil"), max_length=8, choices=Device.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("membre"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="request_records",
        db_index=False,  # covered by the (user, requested_at) index
    )
    status = models.PositiveSmallIntegerField(_("statut"))
    duration_microseconds = models.PositiveIntegerField(_("durée (µs)"))
    spool_file = models.ForeignKey(
        SpoolFile, on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("fichier tampon")
    )
    spool_offset = models.BigIntegerField(_("position dans le fichier tampon"))

    class Meta:
        verbose_name = _("requête enregistrée")
        verbose_name_plural = _("requêtes enregistrées")
        constraints = [
            # Second guard of exactly-once ingestion, after the checkpoint.
            models.UniqueConstraint(fields=["spool_file", "spool_offset"], name="analytics_record_spool_line_unique"),
        ]
        indexes = [
            models.Index(fields=["requested_at"], name="analytics_record_at_idx"),
            models.Index(fields=["user", "-requested_at", "-id"], name="analytics_record_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.requested_at:%Y-%m-%d %H:%M:%S} {self.method} {self.path} {self.status}"

    @property
    def duration_milliseconds(self) -> float:
        return self.duration_microseconds / 1000

    @property
    def url(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path


class Frequency(models.TextChoices):
    HOUR = "hour", _("heure")
    DAY = "day", _("jour")


class StatCount(models.Model):
    """One value of one metric for one hour or one day, optionally for one subgroup.

    Hours start on the UTC hour; days start at local midnight (settings.TIME_ZONE).
    """

    metric = models.CharField(_("mesure"), max_length=32)
    frequency = models.CharField(_("fréquence"), max_length=4, choices=Frequency.choices)
    bucket_at = models.DateTimeField(_("début de la période"))
    subgroup = models.CharField(_("sous-groupe"), max_length=255, blank=True, default="")
    value = models.BigIntegerField(_("valeur"))

    class Meta:
        verbose_name = _("agrégat")
        verbose_name_plural = _("agrégats")
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "frequency", "bucket_at", "subgroup"], name="analytics_statcount_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric}/{self.frequency} {self.bucket_at:%Y-%m-%d %H:%M} {self.subgroup}={self.value}"


class FillState(models.Model):
    """How far one metric's rollup has been filled (Zulip ``analytics`` fill state).

    Every bucket that starts before ``filled_until`` is complete; the run that follows
    resumes there (recomputing a short look-back window for late records).
    """

    metric = models.CharField(_("mesure"), max_length=32)
    frequency = models.CharField(_("fréquence"), max_length=4, choices=Frequency.choices)
    filled_until = models.DateTimeField(_("rempli jusqu'au"))
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True)

    class Meta:
        verbose_name = _("état de remplissage")
        verbose_name_plural = _("états de remplissage")
        constraints = [
            models.UniqueConstraint(fields=["metric", "frequency"], name="analytics_fillstate_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.metric}/{self.frequency} → {self.filled_until:%Y-%m-%d %H:%M}"
