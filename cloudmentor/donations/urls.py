from django.urls import path

from . import views

app_name = "donations"

urlpatterns = [
    path("donate/", views.donate, name="donate"),
    path("donate/thanks/<uuid:public_id>/", views.thanks, name="thanks"),
    path("donate/cancelled/<uuid:public_id>/", views.cancelled, name="cancelled"),
    path("account/donations/", views.account, name="account"),
]
