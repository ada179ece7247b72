"""Pages of the accounts app: HTTP in, one service or selector call, HTTP out."""

from __future__ import annotations

import base64
import io
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.generic import FormView

from cloudmentor.core import personal_data
from cloudmentor.core.formcookies import FormCookieMixin
from cloudmentor.core.http import client_ip, user_agent_of
from cloudmentor.core.throttle import Limit, throttle_hit, throttle_request, throttle_retry_after, throttled

from . import services
from .exceptions import (
    AccountDisabled,
    AlreadyErased,
    EmailTaken,
    GroupError,
    GroupHasMembers,
    InvalidCredentials,
    InvalidToken,
    InvitationInvalid,
    NotGroupOwner,
    StaffAccountErasure,
    UsernameTaken,
)
from .forms import (
    AccountEraseForm,
    GroupCreateForm,
    GroupInviteForm,
    LoginForm,
    NewPasswordForm,
    OtpTokenForm,
    PasswordChangeForm,
    PasswordConfirmForm,
    PasswordForgotForm,
    ProfileForm,
    RegistrationForm,
)
from .limits import (
    data_export_limits,
    login_limits,
    password_confirm_limits,
    recovery_account_limits,
    recovery_ip_limits,
)
from .models import User
from .registration import registration_arguments, registration_throttled
from .selectors import (
    event_list,
    group_invitation_by_token,
    group_invitation_pending_list,
    group_member_list,
    group_membership_of,
    session_list,
    user_by_email,
)
from .tokens import password_reset_user


def _safe_next(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


class VisitorFormView(FormCookieMixin, FormView):  # type: ignore[type-arg]
    """A form for visitors: a member who is already logged in goes to their account."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect("accounts:profile")
        return super().get(request, *args, **kwargs)


class RegisterView(VisitorFormView):
    form_class = RegistrationForm
    form_cookie = "register"
    template_name = "accounts/register.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return registration_throttled(request) or super().post(request, *args, **kwargs)

    def form_valid(self, form: RegistrationForm) -> HttpResponse:
        try:
            user = services.user_register(**registration_arguments(self.request, form.cleaned_data))
        except EmailTaken:
            return self.render_to_response(self.get_context_data(form=form, email_exists=True))
        except UsernameTaken:
            form.add_error("username", _("Ce nom d'utilisateur est déjà pris."))
            return self.form_invalid(form)
        services.session_start(request=self.request, user=user)
        messages.success(
            self.request,
            _("Bienvenue %(username)s ! Votre compte est créé et vous êtes connecté.") % {"username": user.username},
        )
        # A group invitation link sends visitors here with ?next=<the link> (PV-1).
        return redirect(_safe_next(self.request, reverse("accounts:profile")))

    def form_invalid(self, form: RegistrationForm) -> HttpResponse:  # type: ignore[override]
        email = form.data.get("email", "")
        exists = bool(email) and "email" not in form.errors and user_by_email(email) is not None
        return self.render_to_response(self.get_context_data(form=form, email_exists=exists))


class LoginView(VisitorFormView):
    form_class = LoginForm
    form_cookie = "login"
    template_name = "accounts/login.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["next"] = _safe_next(self.request, "")
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Checked before any password hashing: a flood costs no Argon2 time.
        self.limits = login_limits(ip=client_ip(request), identifier=request.POST.get("identifier", ""))
        retry_after = throttle_retry_after(*self.limits)
        if retry_after is not None:
            return throttled(request, retry_after)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: LoginForm) -> HttpResponse:
        try:
            user = services.credentials_check(
                identifier=form.cleaned_data["identifier"],
                password=form.cleaned_data["password"],
                ip=client_ip(self.request),
                user_agent=user_agent_of(self.request),
            )
        except InvalidCredentials:
            throttle_hit(*self.limits)
            form.add_error(None, _("Nom d'utilisateur, adresse e-mail ou mot de passe incorrect."))
            return self.form_invalid(form)
        except AccountDisabled:
            return render(self.request, "accounts/disabled.html", status=403)
        services.session_start(request=self.request, user=user)
        return redirect(_safe_next(self.request, reverse("accounts:profile")))


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """End this device's session (CK-7); other devices stay logged in."""
    services.session_end(request=request)
    return redirect("core:home")


class PasswordForgotView(VisitorFormView):
    form_class = PasswordForgotForm
    form_cookie = "recover"
    template_name = "accounts/password_forgot.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # A logged-in member may ask for a link too (e.g. to set a forgotten password).
        return FormCookieMixin.get(self, request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return throttle_request(request, *recovery_ip_limits(ip=client_ip(request))) or super().post(
            request, *args, **kwargs
        )

    def form_valid(self, form: PasswordForgotForm) -> HttpResponse:
        email = form.cleaned_data["email"]
        per_address = recovery_account_limits(email=email)
        # The answer is the same whether the address exists or has had too many links.
        if throttle_retry_after(*per_address) is None:
            throttle_hit(*per_address)
            services.password_recovery_request(user=user_by_email(email), language=get_language() or "fr")
        return redirect("accounts:password_forgot_sent")


def password_forgot_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request, "accounts/password_forgot_sent.html", {"valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}
    )


class PasswordResetView(FormCookieMixin, FormView):  # type: ignore[type-arg]
    form_class = NewPasswordForm
    form_cookie = "reset"
    template_name = "accounts/password_reset.html"

    # The form cookie (SameSite=Strict, matched by the page) is this visitor form's CSRF
    # protection, as for every FormCookieMixin view: the override must keep the exemption.
    @method_decorator(csrf_exempt)
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.reset_user = password_reset_user(kwargs["token"])
        if self.reset_user is None:
            response: HttpResponse = never_cache(_invalid_link)(request)
            return response
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limits = recovery_ip_limits(ip=client_ip(request))
        retry_after = throttle_retry_after(*limits)
        if retry_after is not None:
            return throttled(request, retry_after)
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.reset_user}

    def form_cookie_form_kwargs(self) -> dict[str, Any]:
        return {"user": self.reset_user}

    def form_valid(self, form: NewPasswordForm) -> HttpResponse:
        user = self.reset_user
        assert user is not None
        services.password_reset_complete(user=user, password=form.cleaned_data["password"], ip=client_ip(self.request))
        if not user.is_active:
            return render(self.request, "accounts/disabled.html", status=403)
        services.session_start(request=self.request, user=user)
        messages.success(self.request, _("Votre nouveau mot de passe est enregistré. Vous êtes connecté."))
        return redirect("accounts:profile")


def _invalid_link(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_invalid.html", status=400)


@method_decorator([login_required, never_cache], name="dispatch")
class ProfileView(FormView):  # type: ignore[type-arg]
    """Everything stored about the member (PV-7); username and email editable."""

    form_class = ProfileForm
    template_name = "accounts/profile.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user: User = self.request.user  # type: ignore[assignment]
        context["member"] = user
        context["events"] = event_list(user=user)
        context["sessions"] = list(session_list(user=user))
        return context

    def form_valid(self, form: ProfileForm) -> HttpResponse:
        user: User = self.request.user  # type: ignore[assignment]
        try:
            if form.cleaned_data["username"] != user.username:
                services.username_change(user=user, username=form.cleaned_data["username"], actor=user)
                messages.success(self.request, _("Votre nom d'utilisateur est modifié."))
            new_email = form.cleaned_data["email"]
            if new_email.lower() != user.email.lower():
                services.email_change_request(user=user, new_email=new_email, language=get_language() or "fr")
                messages.info(
                    self.request,
                    _(
                        "Un lien de confirmation a été envoyé à %(email)s. Votre adresse changera quand vous l'aurez suivi."
                    )
                    % {"email": new_email},
                )
        except UsernameTaken:
            form.add_error("username", _("Ce nom d'utilisateur est déjà pris."))
            return self.form_invalid(form)
        except EmailTaken:
            form.add_error("email", _("Cette adresse est déjà utilisée par un autre compte."))
            return self.form_invalid(form)
        return redirect("accounts:profile")


@method_decorator([login_required, never_cache], name="dispatch")
class PasswordChangeView(FormView):  # type: ignore[type-arg]
    form_class = PasswordChangeForm
    template_name = "accounts/password_change.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        services.password_change(
            request=self.request,
            user=self.request.user,  # type: ignore[arg-type]
            password=form.cleaned_data["password"],
        )
        messages.success(self.request, _("Votre mot de passe est modifié. Vos autres appareils ont été déconnectés."))
        return redirect("accounts:profile")


@login_required
@never_cache
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Show the new address and apply it on POST (a mail scanner's GET changes nothing)."""
    user: User = request.user  # type: ignore[assignment]
    try:
        new_email = services.email_change_target(user=user, token=token)
    except InvalidToken:
        return render(request, "accounts/email_confirm.html", {"invalid": True}, status=400)
    if request.method == "POST":
        try:
            services.email_change_confirm(user=user, token=token)
        except (InvalidToken, EmailTaken):
            return render(request, "accounts/email_confirm.html", {"invalid": True}, status=400)
        messages.success(request, _("Votre adresse e-mail est maintenant %(email)s.") % {"email": new_email})
        return redirect("accounts:profile")
    return render(request, "accounts/email_confirm.html", {"new_email": new_email})


@login_required
@never_cache
def sessions_view(request: HttpRequest) -> HttpResponse:
    """The member's devices, each with "log out this device", and "log out everywhere"."""
    user: User = request.user  # type: ignore[assignment]
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "revoke_all":
            services.sessions_revoke_all(user=user, actor=user, reason="log out everywhere")
            services.session_end(request=request)
            return redirect("accounts:login")
        if action == "revoke":
            device_id = request.POST.get("device", "")
            current = _current_device_id(request)
            services.session_revoke(user=user, device_id=device_id)
            if device_id == current:
                services.session_end(request=request)
                return redirect("core:home")
            messages.success(request, _("L'appareil a été déconnecté."))
        return redirect("accounts:sessions")
    sessions = list(session_list(user=user))
    return render(
        request,
        "accounts/sessions.html",
        {
            "sessions": sessions,
            "current_key": request.session.session_key,
            "max_sessions": settings.ACCOUNTS_MAX_SESSIONS,
        },
    )


def _current_device_id(request: HttpRequest) -> str:
    from .models import AccountSession

    return str(
        AccountSession.objects.filter(session_key=request.session.session_key)
        .values_list("device_id", flat=True)
        .first()
        or ""
    )


@login_required
@never_cache
def report_unauthorized_use(request: HttpRequest) -> HttpResponse:
    """PV-14: one button ends every session, requires a new password and alerts staff."""
    if request.method == "POST":
        services.unauthorized_use_report(user=request.user, ip=client_ip(request))  # type: ignore[arg-type]
        services.session_end(request=request)
        return redirect("accounts:unauthorized_use_reported")
    return render(request, "accounts/report_unauthorized_use.html")


def unauthorized_use_reported(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/unauthorized_use_reported.html")


class _PasswordConfirmedView(FormView):  # type: ignore[type-arg]
    """A member's page whose form asks for the password again; wrong passwords are throttled."""

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.request.user}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:  # type: ignore[override]  # a streamed file is not an HttpResponse
        self.limits = password_confirm_limits(user_id=request.user.pk)
        retry_after = throttle_retry_after(*self.limits, *self.extra_limits())
        if retry_after is not None:
            return throttled(request, retry_after)
        return super().post(request, *args, **kwargs)

    def extra_limits(self) -> tuple[Limit, ...]:
        return ()

    def form_invalid(self, form: Any) -> HttpResponse:
        if "password" in form.errors:
            throttle_hit(*self.limits)
        return super().form_invalid(form)


@method_decorator([login_required, never_cache], name="dispatch")
class DataExportView(_PasswordConfirmedView):
    """PV-9: what is held, per app, and the whole of it as one JSON file, self-service."""

    form_class = PasswordConfirmForm
    template_name = "accounts/data.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sections"] = personal_data.sections()
        context["format"] = personal_data.EXPORT_FORMAT
        context["format_version"] = personal_data.EXPORT_FORMAT_VERSION
        return context

    def extra_limits(self) -> tuple[Limit, ...]:
        return data_export_limits(user_id=self.request.user.pk)

    def form_valid(self, form: PasswordConfirmForm) -> HttpResponseBase:  # type: ignore[override]  # streamed file
        throttle_hit(*data_export_limits(user_id=self.request.user.pk))
        pieces = services.account_data_export(
            user=self.request.user,  # type: ignore[arg-type]
            ip=client_ip(self.request),
            user_agent=user_agent_of(self.request),
        )
        response = StreamingHttpResponse(pieces, content_type="application/json; charset=utf-8")
        filename = f"cloudmentor-personal-data-{timezone.now():%Y%m%d}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        return response


@method_decorator([login_required, never_cache], name="dispatch")
class AccountEraseView(_PasswordConfirmedView):
    """PV-10: what erasure deletes and keeps (and why), then the password and the word."""

    form_class = AccountEraseForm
    template_name = "accounts/erase.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user: User = self.request.user  # type: ignore[assignment]
        context["sections"] = personal_data.sections()
        context["notices"] = personal_data.notices_for(user)
        context["is_staff"] = user.is_staff or user.is_superuser
        return context

    def form_valid(self, form: AccountEraseForm) -> HttpResponse:
        user: User = self.request.user  # type: ignore[assignment]
        try:
            outcomes = services.account_erase(user=user, actor=user)
        except StaffAccountErasure:
            form.add_error(
                None,
                _(
                    "Un compte de l'équipe ne peut pas être effacé ainsi : demandez à un autre membre de l'équipe "
                    "de retirer vos droits d'équipe, puis recommencez."
                ),
            )
            return self.form_invalid(form)
        except GroupHasMembers:
            form.add_error(
                None,
                _(
                    "Vous êtes propriétaire d'un groupe qui a encore des membres : retirez-les depuis « Mon groupe », "
                    "puis recommencez."
                ),
            )
            return self.form_invalid(form)
        except AlreadyErased:
            return redirect("core:home")
        services.session_end(request=self.request)
        return render(self.request, "accounts/erased.html", {"outcomes": outcomes})


def _staff_only(request: HttpRequest) -> HttpResponseBase | None:
    user: Any = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return render(
            request, "core/error.html", {"title": _("Accès refusé"), "message": _("Réservé à l'équipe.")}, status=403
        )
    return None


@login_required
@never_cache
def staff_verify(request: HttpRequest) -> HttpResponseBase:
    """Second factor of staff: a TOTP code after the password (django-otp)."""
    refused = _staff_only(request)
    if refused is not None:
        return refused
    from django_otp import devices_for_user

    next_url = _safe_next(request, reverse("admin:index"))
    if not any(True for _device in devices_for_user(request.user, confirmed=True)):
        return redirect(f"{reverse('accounts:staff_enroll')}?next={next_url}")
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.staff_otp_verify(request=request, user=request.user, token=form.cleaned_data["token"]):  # type: ignore[arg-type]
            return redirect(next_url)
        form.add_error("token", _("Code incorrect ou expiré. Attendez le code suivant et réessayez."))
    return render(request, "accounts/staff_verify.html", {"form": form, "next": next_url})


@login_required
@never_cache
def staff_enroll(request: HttpRequest) -> HttpResponseBase:
    """First visit of a staff member without a device: pair an authenticator app."""
    refused = _staff_only(request)
    if refused is not None:
        return refused
    from django_otp import devices_for_user

    next_url = _safe_next(request, reverse("admin:index"))
    if any(True for _device in devices_for_user(request.user, confirmed=True)):
        return redirect(f"{reverse('accounts:staff_verify')}?next={next_url}")
    device = services.staff_totp_device_start(user=request.user)  # type: ignore[arg-type]
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.staff_totp_device_confirm(request=request, device=device, token=form.cleaned_data["token"]):
            return redirect(next_url)
        form.add_error("token", _("Code incorrect. Vérifiez l'heure de votre téléphone et réessayez."))
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/staff_enroll.html",
        {"form": form, "next": next_url, "secret": secret, "qr_data_uri": _qr_data_uri(device.config_url)},
    )


def _qr_data_uri(text: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


# Groups (PV-1, TM-2) ----------------------------------------------------------------------


def _group_refused(request: HttpRequest, error: GroupError, status: int = 403) -> HttpResponse:
    return render(request, "accounts/group_refused.html", {"message": error.message}, status=status)


@login_required
@never_cache
def group_view(request: HttpRequest) -> HttpResponse:
    """The person's group: the owner manages members and invitations; a member sees it and can leave."""
    user: User = request.user  # type: ignore[assignment]
    membership = group_membership_of(user=user)
    create_form = GroupCreateForm()
    invite_form = GroupInviteForm()
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "create":
                create_form = GroupCreateForm(request.POST)
                if create_form.is_valid():
                    services.group_create(owner=user, name=create_form.cleaned_data["name"])
                    messages.success(request, _("Votre groupe est créé. Invitez ses membres par e-mail."))
                    return redirect("accounts:group")
            elif membership is None:
                raise GroupError
            elif action == "invite":
                invite_form = GroupInviteForm(request.POST)
                if invite_form.is_valid():
                    email = invite_form.cleaned_data["email"]
                    services.group_invite(
                        group=membership.group, actor=user, email=email, language=get_language() or "fr"
                    )
                    messages.success(request, _("Invitation envoyée à %(email)s.") % {"email": email})
                    return redirect("accounts:group")
            elif action == "revoke":
                services.group_invitation_revoke(
                    group=membership.group, actor=user, invitation_id=_int(request.POST.get("invitation"))
                )
                messages.success(request, _("L'invitation est annulée : son lien ne fonctionne plus."))
                return redirect("accounts:group")
            elif action == "remove":
                services.group_member_remove(
                    group=membership.group, actor=user, user_id=_int(request.POST.get("member"))
                )
                messages.success(request, _("Le membre a été retiré du groupe."))
                return redirect("accounts:group")
            elif action == "leave":
                services.group_leave(user=user)
                messages.success(request, _("Vous avez quitté le groupe."))
                return redirect("accounts:group")
            else:
                raise GroupError
        except NotGroupOwner as error:
            return _group_refused(request, error)
        except GroupError as error:
            if action == "invite":
                invite_form.add_error(None, error.message)
            else:
                return _group_refused(request, error, status=400)
    context: dict[str, Any] = {"membership": membership, "create_form": create_form, "invite_form": invite_form}
    if membership is not None and membership.group.owner_id == user.pk:
        group = membership.group
        context["members"] = list(group_member_list(group=group))
        context["invitations"] = list(group_invitation_pending_list(group=group))
        context["seats_used"] = len(context["members"]) + len(context["invitations"])
    status = 400 if (create_form.errors or invite_form.errors) else 200
    return render(request, "accounts/group.html", context, status=status)


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0


@never_cache
def group_join(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation link: a visitor registers or logs in first; a member joins with one POST."""
    invitation = group_invitation_by_token(token)
    if invitation is None or not invitation.is_pending():
        return _group_refused(request, InvitationInvalid(), status=404)
    if not request.user.is_authenticated:
        return render(request, "accounts/group_join.html", {"invitation": invitation, "next": request.path})
    if request.method == "POST":
        try:
            group = services.group_join(user=request.user, token=token)  # type: ignore[arg-type]
        except GroupError as error:
            return _group_refused(request, error, status=409)
        messages.success(request, _("Bienvenue dans le groupe %(group)s !") % {"group": group.name})
        return redirect("accounts:group")
    return render(request, "accounts/group_join.html", {"invitation": invitation})
