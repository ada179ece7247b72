"""Forms of the accounts pages: validation only, every write is a service."""

from __future__ import annotations

import unicodedata
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import User


def _no_at_sign(value: str) -> None:
    if "@" in value:
        raise ValidationError(_("Le nom d'utilisateur ne peut pas contenir « @ »."), code="at_sign")


def _not_reserved(value: str) -> None:
    """Usernames of erased accounts (``deleted-<id>``, PV-10) are never given to anyone."""
    if value.lower().startswith("deleted-"):
        raise ValidationError(_("Ce nom d'utilisateur est réservé."), code="reserved")


def _password_field(label: Any, *, autocomplete: str = "new-password", help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


PASSWORD_HELP = _(
    "Au moins 12 caractères. Une phrase de passe facile à retenir convient très bien ; "
    "évitez les mots de passe courants et ceux qui ressemblent à votre nom ou à votre adresse."
)


class NormalizedEmailField(forms.EmailField):
    """An email field that reads look-alikes as the address they look like: NFKC before validation (TR-7)."""

    def to_python(self, value: Any) -> str:
        return str(super().to_python(unicodedata.normalize("NFKC", value) if isinstance(value, str) else value))


class UsernameField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            label=_("Nom d'utilisateur"),
            max_length=150,
            validators=[UnicodeUsernameValidator(), _no_at_sign, _not_reserved],
            help_text=_("150 caractères au plus : lettres, chiffres et . + - _"),
            widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
            **kwargs,
        )


class RegistrationForm(forms.Form):
    username = UsernameField()
    email = NormalizedEmailField(
        label=_("Adresse e-mail"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = _password_field(_("Mot de passe"), help_text=PASSWORD_HELP)
    accept_terms = forms.BooleanField(
        label=_("J'accepte les conditions d'utilisation et la politique de confidentialité"),
        error_messages={"required": _("Vous devez accepter les conditions d'utilisation pour créer un compte.")},
    )
    newsletter_opt_in = forms.BooleanField(
        label=_("Je souhaite recevoir la newsletter (désinscription en un clic à tout moment)"),
        required=False,
        initial=False,
    )

    def clean_username(self) -> str:
        username = str(self.cleaned_data["username"])
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("Ce nom d'utilisateur est déjà pris."), code="username_taken")
        return username

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password:
            candidate = User(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(password, candidate)
            except ValidationError as error:
                self.add_error("password", error)
        return cleaned


class LoginForm(forms.Form):
    identifier = forms.CharField(
        label=_("Nom d'utilisateur ou adresse e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "autofocus": True}),
    )
    password = _password_field(_("Mot de passe"), autocomplete="current-password")


class PasswordForgotForm(forms.Form):
    email = NormalizedEmailField(
        label=_("Adresse e-mail de votre compte"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class NewPasswordForm(forms.Form):
    """Step 2 of recovery: the new password, checked against the account's own data."""

    password = _password_field(_("Nouveau mot de passe"), help_text=PASSWORD_HELP)

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = str(self.cleaned_data["password"])
        password_validation.validate_password(password, self.user)
        return password


class PasswordChangeForm(NewPasswordForm):
    current_password = _password_field(_("Mot de passe actuel"), autocomplete="current-password")
    field_order = ["current_password", "password"]

    def clean_current_password(self) -> str:
        current = str(self.cleaned_data["current_password"])
        if self.user is None or not self.user.check_password(current):
            raise ValidationError(_("Le mot de passe actuel est incorrect."), code="wrong_password")
        return current


class ProfileForm(forms.Form):
    username = UsernameField()
    email = NormalizedEmailField(
        label=_("Adresse e-mail"),
        max_length=254,
        help_text=_(
            "Une nouvelle adresse ne remplace l'ancienne qu'après confirmation par le lien que nous y envoyons."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs["initial"] = {"username": user.username, "email": user.email, **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_username(self) -> str:
        username = str(self.cleaned_data["username"])
        if User.objects.filter(username__iexact=username).exclude(pk=self.user.pk).exists():
            raise ValidationError(_("Ce nom d'utilisateur est déjà pris."), code="username_taken")
        return username

    def clean_email(self) -> str:
        # Never "already used by another account": the address's owner is told by email (TR-7).
        return str(self.cleaned_data["email"]).strip()


class OtpTokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code à 6 chiffres de votre application d'authentification"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class StaffReasonForm(forms.Form):
    reason = forms.CharField(label=_("Motif"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


def confirmation_word() -> str:
    """The word a member types to confirm the erasure of their data, in their language."""
    return str(_("EFFACER"))


class PasswordConfirmForm(forms.Form):
    """The member's current password, asked again before their data leaves or is erased."""

    password = _password_field(_("Votre mot de passe"), autocomplete="current-password")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = str(self.cleaned_data["password"])
        if not self.user.check_password(password):
            raise ValidationError(_("Le mot de passe est incorrect."), code="wrong_password")
        return password


class ErasureWordMixin(forms.Form):
    """PV-10: the confirmation word (EFFACER / DELETE) typed before an erasure, in any case."""

    confirmation = forms.CharField(max_length=50, widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["confirmation"].label = _("Pour confirmer, tapez %(word)s") % {"word": confirmation_word()}
        self.fields["confirmation"].error_messages["required"] = _("Tapez %(word)s pour confirmer l'effacement.") % {
            "word": confirmation_word()
        }

    def clean_confirmation(self) -> str:
        typed = str(self.cleaned_data["confirmation"]).strip()
        if typed.casefold() != confirmation_word().casefold():
            raise ValidationError(
                _("Tapez exactement %(word)s pour confirmer l'effacement.") % {"word": confirmation_word()},
                code="confirmation",
            )
        return typed


class AccountEraseForm(ErasureWordMixin, PasswordConfirmForm):
    """PV-10: the password and the confirmation word, typed by the member."""


class StaffEraseForm(ErasureWordMixin):
    field_order = ["reason", "confirmation"]
    reason = forms.CharField(
        label=_("Motif (sans donnée personnelle : par ex. « demande reçue par e-mail le 12/03 »)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class GroupCreateForm(forms.Form):
    name = forms.CharField(label=_("Nom du groupe"), max_length=100)


class GroupInviteForm(forms.Form):
    email = NormalizedEmailField(label=_("Adresse e-mail de la personne à inviter"), max_length=254)
