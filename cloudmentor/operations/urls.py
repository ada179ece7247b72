from django.urls import path

from . import views

app_name = "operations"

urlpatterns = [
    path("contact/", views.ContactView.as_view(), name="contact"),
    path("contact/sent/", views.contact_sent, name="contact_sent"),
]
