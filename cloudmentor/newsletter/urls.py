from django.urls import path

from . import views

app_name = "newsletter"

urlpatterns = [
    path("newsletter/", views.SubscribeView.as_view(), name="subscribe"),
    path("newsletter/sent/", views.subscribe_sent, name="subscribe_sent"),
    path("newsletter/confirm/<str:token>/", views.confirm, name="confirm"),
    path("newsletter/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("account/newsletter/", views.account_newsletter, name="account"),
]
