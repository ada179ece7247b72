from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from cloudmentor.backoffice import views as backoffice_views
from cloudmentor.billing import views as billing_views
from cloudmentor.core import views as core_views
from cloudmentor.learning import views as learning_views
from cloudmentor.operations import views as operations_views
from cloudmentor.sso import views as sso_views

admin.site.site_header = "CloudMentor@Scale — staff"
admin.site.site_title = "CloudMentor@Scale staff"

urlpatterns: list[URLPattern | URLResolver] = [
    path("healthz", operations_views.healthz, name="healthz"),
    # Browsers ask for it whatever the page links (backoffice: the site's own icon).
    path("favicon.ico", backoffice_views.favicon, name="favicon"),
    # Called by Stripe, not by a person: one address, whatever the language.
    path("billing/webhooks/stripe/", billing_views.stripe_webhook, name="billing_stripe_webhook"),
    # SCIM 2.0 (ID-2): called by a group's directory, not by a person: one address, whatever the language.
    path("scim/v2/", include("cloudmentor.scim.api_urls")),
    # Where every company's identity provider sends people back (ID-1): one address to register there.
    path("sso/callback/", sso_views.callback, name="sso_callback"),
    # The public key that signs the certificates' Open Badges (LX-2): one address, whatever the language.
    path(".well-known/jwks.json", learning_views.jwks, name="jwks"),
]

urlpatterns += i18n_patterns(
    # Request log pages first: /staff/statistics/ lies inside the staff site's prefix and
    # /account/activity/ inside the account pages'.
    path("", include("cloudmentor.analytics.urls")),
    # Before core: learning serves the home page (core's template, with the catalog).
    path("", include("cloudmentor.learning.urls")),
    path("", include(("cloudmentor.core.urls", "core"))),
    path("", include("cloudmentor.operations.urls")),
    path("", include("cloudmentor.newsletter.urls")),
    path("", include("cloudmentor.legal.urls")),
    path("", include("cloudmentor.accounts.urls")),
    path("", include("cloudmentor.billing.urls")),
    path("", include("cloudmentor.donations.urls")),
    path("", include("cloudmentor.scim.urls")),
    path("", include("cloudmentor.sso.urls")),
    # The staff home answers /staff/ (the staff site's index), before the staff site itself (BZ-5).
    path("", include("cloudmentor.backoffice.urls")),
    path("staff/", admin.site.urls),
    prefix_default_language=False,
)

handler400 = core_views.bad_request
handler403 = core_views.permission_denied
handler404 = core_views.page_not_found
handler500 = core_views.server_error
