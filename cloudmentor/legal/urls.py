from django.urls import path

from . import views

app_name = "legal"

urlpatterns = [
    path("legal/terms/acknowledge/", views.terms_acknowledge, name="terms_acknowledge"),
    path("legal/<slug:kind>/", views.policy, name="policy"),
    path("legal/<slug:kind>/v<int:version>/", views.policy_version, name="policy_version"),
    path("account/policies/", views.acceptance_list, name="acceptances"),
]
