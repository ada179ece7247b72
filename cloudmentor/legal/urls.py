from django.urls import path

from . import views

app_name = "legal"

urlpatterns = [
    path("legal/<slug:kind>/", views.policy, name="policy"),
]
