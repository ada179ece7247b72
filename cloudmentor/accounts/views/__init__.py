"""Pages of the accounts app, one module per flow: HTTP in, one service or selector call, HTTP out."""

from __future__ import annotations

from .groups import group_join as group_join
from .groups import group_view as group_view
from .profile import AccountEraseView as AccountEraseView
from .profile import DataExportView as DataExportView
from .profile import PasswordChangeView as PasswordChangeView
from .profile import ProfileView as ProfileView
from .profile import email_confirm as email_confirm
from .recovery import PasswordForgotView as PasswordForgotView
from .recovery import PasswordResetView as PasswordResetView
from .recovery import password_forgot_sent as password_forgot_sent
from .recovery import report_unauthorized_use as report_unauthorized_use
from .recovery import unauthorized_use_reported as unauthorized_use_reported
from .registration import RegisterView as RegisterView
from .registration import register_sent as register_sent
from .security import security_report as security_report
from .sessions import LoginView as LoginView
from .sessions import logout_view as logout_view
from .sessions import sessions_view as sessions_view
from .staff import staff_enroll as staff_enroll
from .staff import staff_verify as staff_verify
