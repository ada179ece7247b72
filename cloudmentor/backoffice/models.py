"""Figures of the staff home kept once computed (BZ-5, decision 0134)."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MonthlyFigure(models.Model):
    """A month's figures that never change once known: the recurring revenue on its first day, and
    the money received during it once it is over (``revenue`` stays empty until then).

    Periods are never backdated (a period starts when it is bought, or when the previous one ends)
    and payments are dated when received, so neither figure moves afterwards. Computed on the
    first staff home that needs them; a year of history costs one indexed read.
    """

    month = models.DateField(_("mois"))  # its first day, in the site's time zone
    currency = models.CharField(_("devise"), max_length=3)
    mrr_at_start = models.DecimalField(_("revenu récurrent mensuel au 1er"), max_digits=14, decimal_places=2)
    revenue = models.DecimalField(_("encaissé"), max_digits=14, decimal_places=2, null=True, blank=True)
    computed_at = models.DateTimeField(_("calculé le"), default=timezone.now)

    class Meta:
        verbose_name = _("chiffre mensuel")
        verbose_name_plural = _("chiffres mensuels")
        constraints = [models.UniqueConstraint(fields=["month", "currency"], name="backoffice_month_once")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.currency}"


class WeeklyFigure(models.Model):
    """A week that is over (Monday to Monday, site time zone): the periods sold in it and those that
    ended in it. Neither moves afterwards: a period is sold when created and its end never changes
    (decision 0134)."""

    week = models.DateField(_("semaine du"))  # its Monday
    sold = models.PositiveIntegerField(_("abonnements vendus"))
    ended = models.PositiveIntegerField(_("abonnements terminés"))
    computed_at = models.DateTimeField(_("calculé le"), default=timezone.now)

    class Meta:
        verbose_name = _("chiffre hebdomadaire")
        verbose_name_plural = _("chiffres hebdomadaires")
        constraints = [models.UniqueConstraint(fields=["week"], name="backoffice_week_once")]

    def __str__(self) -> str:
        return f"{self.week:%Y-%m-%d}"


class StaffHomeSnapshot(models.Model):
    """The staff home's figures over the big tables (members, periods, invoices, payments), as last
    computed: pages read this row, the scheduler recomputes it every minute, and a page that finds
    it older than BACKOFFICE_FIGURES_MAX_AGE_SECONDS recomputes it first (decision 0134)."""

    currency = models.CharField(_("devise"), max_length=3, primary_key=True)
    computed_at = models.DateTimeField(_("calculé le"))
    content = models.JSONField(_("chiffres"), encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("chiffres de l'accueil du personnel")
        verbose_name_plural = _("chiffres de l'accueil du personnel")

    def __str__(self) -> str:
        return f"{self.currency} {self.computed_at:%Y-%m-%d %H:%M:%S}"
