"""The tests' OpenID Provider as a WSGI application (gunicorn)."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
