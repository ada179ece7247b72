"""Forms of the billing pages and staff actions: validation only, every write is a service."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from cloudmentor.accounts.forms import NormalizedEmailField, UsernameField
from cloudmentor.accounts.models import User
from cloudmentor.accounts.selectors import user_by_email, user_by_identifier

from .models import AccessLevel, Plan, Subscription
from .orders import consent_text
from .selectors import plan_list_for_members


class PlanChoiceField(forms.ModelChoiceField[Plan]):
    def label_from_instance(self, obj: Plan) -> str:
        return f"{obj.display_name} — {number_format(obj.price, decimal_pos=2, use_l10n=True)} {obj.currency}"


def _plan_field(form: forms.Form) -> forms.ModelChoiceField[Plan]:
    """Return the form's own copy of its ``plan`` field, whose plans are chosen per instance."""
    # `form.fields` is typed as plain Fields; every form here declares `plan` as a ModelChoiceField of plans.
    return cast("forms.ModelChoiceField[Plan]", form.fields["plan"])


def consent_field() -> forms.BooleanField:
    """The unticked box by which the buyer asks for immediate access and gives up the withdrawal right (BZ-2).

    Its label is set per form instance (`consent_label`): the words shown are the ones recorded.
    """
    return forms.BooleanField(
        required=True,
        error_messages={
            "required": _(
                "Pour commander, cochez la case : l'accès est ouvert dès la commande, ce qui suppose votre accord "
                "et la renonciation au droit de rétractation."
            )
        },
    )


def consent_label(form: forms.Form) -> None:
    form.fields["consent"].label = consent_text()


class SubscribeForm(forms.Form):
    """Registration with a plan (TM-6), or the extension of the account the email names (TM-8).

    ``extension_of`` is the existing account when the email belongs to one: its password
    must then be the account's, and the username is not asked for. What a new account would
    be refused for is kept in ``new_account_errors``: when that password is not the
    account's, the page shows exactly those (or, if none, « vérifiez votre boîte »), so the
    answer never tells whether the address has an account (TR-7, decision 0106).
    """

    plan = PlanChoiceField(label=_("Offre"), queryset=Plan.objects.none(), to_field_name="slug", empty_label=None)
    username = UsernameField(required=False)
    email = NormalizedEmailField(
        label=_("Adresse e-mail"),
        max_length=254,
        help_text=_("Si un compte utilise déjà cette adresse, l'offre prolonge ce compte."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        help_text=_(
            "Nouveau compte : au moins 12 caractères, une phrase de passe facile à retenir convient très bien. "
            "Compte existant : son mot de passe actuel."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    accept_terms = forms.BooleanField(
        label=_("J'accepte les conditions d'utilisation et la politique de confidentialité"),
        error_messages={"required": _("Vous devez accepter les conditions d'utilisation pour souscrire.")},
    )
    newsletter_opt_in = forms.BooleanField(
        label=_("Je souhaite recevoir la newsletter (désinscription en un clic à tout moment)"),
        required=False,
        initial=False,
    )
    consent = consent_field()  # BZ-2: immediate access, withdrawal right given up; recorded with the order

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _plan_field(self).queryset = plan_list_for_members()
        consent_label(self)
        self.extension_of: User | None = None
        self.new_account_errors: list[tuple[str, Any]] = []

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        email = cleaned.get("email")
        if not email:
            return cleaned
        self.new_account_errors = self._new_account_errors(cleaned, email)
        self.extension_of = user_by_email(email)
        if self.extension_of is not None:
            return cleaned  # the password is checked against the account by the view's service call
        for field, error in self.new_account_errors:
            self.add_error(field, error)
        return cleaned

    def _new_account_errors(self, cleaned: dict[str, Any], email: str) -> list[tuple[str, Any]]:
        """What a new account with this username, email and password would be refused for."""
        errors: list[tuple[str, Any]] = []
        username = cleaned.get("username")
        if not username and "username" not in self.errors:
            errors.append(
                (
                    "username",
                    _(
                        "Choisissez un nom d'utilisateur pour un nouveau compte. Pour prolonger un compte existant, "
                        "saisissez son mot de passe (ou connectez-vous d'abord)."
                    ),
                )
            )
        elif username and User.objects.filter(username__iexact=username).exists():
            errors.append(("username", _("Ce nom d'utilisateur est déjà pris.")))
        password = cleaned.get("password")
        if password:
            try:
                password_validation.validate_password(password, User(username=username or "", email=email))
            except ValidationError as error:
                errors.append(("password", error))
        return errors

    def refuse_as_new_account(self) -> bool:
        """Show what a new account would be refused for; return False when nothing would be (TR-7)."""
        for field, error in self.new_account_errors:
            self.add_error(field, error)
        return bool(self.new_account_errors)


class ExtendForm(forms.Form):
    """A logged-in member orders a period of a plan for their own account, from its summary (TM-8, BZ-2).

    ``order_key`` identifies the summary page: submitting it twice places one order.
    """

    plan = PlanChoiceField(label=_("Offre"), queryset=Plan.objects.none(), to_field_name="slug", empty_label=None)
    consent = consent_field()
    order_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _plan_field(self).queryset = plan_list_for_members()
        consent_label(self)
        if not self.is_bound:
            self.initial.setdefault("order_key", uuid.uuid4())

    def clean_order_key(self) -> uuid.UUID:
        return self.cleaned_data.get("order_key") or uuid.uuid4()


class GroupOrderForm(forms.Form):
    """A group's owner orders a group plan, from its summary (TM-2, BZ-2)."""

    group_name = forms.CharField(max_length=100, required=False)
    consent = consent_field()
    order_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        consent_label(self)
        if not self.is_bound:
            self.initial.setdefault("order_key", uuid.uuid4())

    def clean_order_key(self) -> uuid.UUID:
        return self.cleaned_data.get("order_key") or uuid.uuid4()


class BillingDetailsForm(forms.Form):
    billing_name = forms.CharField(
        label=_("Nom ou raison sociale sur les factures"),
        max_length=200,
        required=False,
        help_text=_("Vide : votre nom d'utilisateur."),
    )
    billing_address = forms.CharField(
        label=_("Adresse de facturation"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class GrantForm(forms.Form):
    """TM-4: free access at any level, for a period, to one member."""

    member = forms.CharField(label=_("Membre (nom d'utilisateur ou e-mail)"), max_length=254)
    access_level = forms.TypedChoiceField(label=_("Niveau d'accès"), choices=AccessLevel.choices, coerce=int)
    starts_at = forms.DateTimeField(label=_("Début"), initial=timezone.now)
    ends_at = forms.DateTimeField(label=_("Fin"))
    reason = forms.CharField(label=_("Motif"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_member(self) -> User:
        user = user_by_identifier(str(self.cleaned_data["member"]))
        if user is None:
            raise ValidationError(_("Aucun compte ne porte ce nom ou cette adresse."))
        return user

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("La fin doit suivre le début."))
        return cleaned


class ChangeDurationForm(forms.Form):
    """TM-8: staff move a running subscription to a longer plan of the same kind."""

    plan = forms.ModelChoiceField(label=_("Nouvelle offre (plus longue)"), queryset=Plan.objects.none())
    invoice_difference = forms.BooleanField(
        label=_("Facturer la différence de prix (prix actuel de la nouvelle offre moins le prix payé)"),
        required=False,
    )
    reason = forms.CharField(
        label=_("Motif (demande du membre)"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, subscription: Subscription, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plan = subscription.plan
        longer = Plan.objects.none()
        if plan is not None:
            longer = Plan.objects.filter(kind=plan.kind, duration_months__gt=plan.duration_months)
        _plan_field(self).queryset = longer


class RecordPaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("Montant reçu"), max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    currency = forms.CharField(label=_("Devise"), max_length=3)
    reference = forms.CharField(label=_("Référence du virement"), max_length=255, required=False)
    reenable = forms.BooleanField(label=_("Réactiver le compte s'il est désactivé"), required=False, initial=True)
    reason = forms.CharField(label=_("Commentaire"), max_length=1000, required=False)


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Motif"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
