from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("accounts/register/", views.RegisterView.as_view(), name="register"),
    path("accounts/register/sent/", views.register_sent, name="register_sent"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/password/forgot/", views.PasswordForgotView.as_view(), name="password_forgot"),
    path("accounts/password/forgot/sent/", views.password_forgot_sent, name="password_forgot_sent"),
    path("accounts/password/reset/<str:token>/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/not-me/<str:token>/", views.security_report, name="security_report"),
    path("accounts/unauthorized-use-reported/", views.unauthorized_use_reported, name="unauthorized_use_reported"),
    path("accounts/staff/verify/", views.staff_verify, name="staff_verify"),
    path("accounts/staff/enroll/", views.staff_enroll, name="staff_enroll"),
    path("account/", views.ProfileView.as_view(), name="profile"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/email/confirm/<str:token>/", views.email_confirm, name="email_confirm"),
    path("account/group/", views.group_view, name="group"),
    path("groups/join/<str:token>/", views.group_join, name="group_join"),
    path("account/sessions/", views.sessions_view, name="sessions"),
    path("account/data/", views.DataExportView.as_view(), name="data"),
    path("account/delete/", views.AccountEraseView.as_view(), name="erase"),
    path("account/report-unauthorized-use/", views.report_unauthorized_use, name="report_unauthorized_use"),
]
