from django.urls import path

from . import views

app_name = "backoffice"

# Included before the staff site: /staff/ is the staff home, which also lists the staff site's apps.
urlpatterns = [
    path("staff/", views.home, name="home"),
    path("staff/home/refresh/", views.refresh, name="refresh"),
]
