from django.urls import path

from . import views

app_name = "analytics"

# Included before the staff site (/staff/) and the account pages (/account/).
urlpatterns = [
    path("staff/statistics/", views.dashboard, name="dashboard"),
    path("staff/statistics/export/<slug:table>.csv", views.export_csv, name="export"),
    path("staff/statistics/members/", views.member_search, name="member_search"),
    path("staff/statistics/members/<int:user_id>/requests/", views.member_requests, name="member_requests"),
    path("account/activity/", views.activity, name="activity"),
]
