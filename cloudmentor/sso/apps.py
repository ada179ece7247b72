from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SsoConfig(AppConfig):
    name = "cloudmentor.sso"
    label = "sso"
    verbose_name = _("Authentification d'entreprise")
    default = True

    def ready(self) -> None:
        from cloudmentor.accounts.signals import password_login_checked
        from cloudmentor.core import personal_data
        from cloudmentor.core.cookies import REGISTRY

        from . import receivers
        from .cookies import FLOW_COOKIE
        from .personal_data import SECTION

        # The sign-in's cookie joins the closed registry: sealed like every cookie, listed on the policy page (CK-9).
        REGISTRY[FLOW_COOKIE.name] = FLOW_COOKIE
        personal_data.register(SECTION)
        password_login_checked.connect(receivers.password_login_checked, dispatch_uid="sso_password_login_checked")
