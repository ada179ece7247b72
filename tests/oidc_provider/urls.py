from django.contrib.auth import views as auth_views
from django.urls import include, path

from tests.oidc_provider.idp import views

urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("test/client/", views.client_create),
    path("test/person/", views.person_create),
    path("test/fault/", views.fault_set),
]
