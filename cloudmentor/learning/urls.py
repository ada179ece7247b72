from django.urls import path

from . import note_views, path_views, views

app_name = "learning"

urlpatterns = [
    path("", views.home, name="home"),
    path("courses/", views.catalog, name="catalog"),
    path("courses/<slug:course_slug>/", views.course_detail, name="course"),
    path("courses/<slug:course_slug>/<slug:lesson_slug>/", views.lesson_detail, name="lesson"),
    path("courses/<slug:course_slug>/<slug:lesson_slug>/complete/", views.lesson_complete, name="lesson_complete"),
    path("courses/<slug:course_slug>/<slug:lesson_slug>/quiz/", views.quiz_submit, name="quiz_submit"),
    path("courses/<slug:course_slug>/<slug:lesson_slug>/quiz/start/", views.quiz_start, name="quiz_start"),
    path("courses/<slug:course_slug>/<slug:lesson_slug>/note/", note_views.lesson_note, name="lesson_note"),
    path("courses/<slug:course_slug>/<slug:lesson_slug>/report/", views.report_error, name="report_error"),
    path(
        "courses/<slug:course_slug>/<slug:lesson_slug>/files/<int:resource_id>/",
        views.resource_download,
        name="resource_download",
    ),
    path("learn/", views.dashboard, name="dashboard"),
    path("learn/attempts/<int:attempt_id>/", views.attempt_detail, name="attempt"),
    path("learn/certificates/<str:code>.pdf", views.certificate_download, name="certificate_download"),
    path("learn/certificates/name/", views.legal_name, name="legal_name"),
    path("certificates/<str:code>/", views.certificate_verify, name="certificate_verify"),
    path("certificates/<str:code>/badge.jwt", views.certificate_badge, name="certificate_badge"),
    path("certificates/<str:code>/status.json", views.certificate_status, name="certificate_status"),
    path("account/reports/", views.report_list, name="reports"),
    path("account/group/progress/", views.group_progress, name="group_progress"),
    path("account/group/paths/", path_views.group_paths_page, name="group_paths"),
    path("account/group/paths/assign/", path_views.group_path_assign, name="group_path_assign"),
    path(
        "account/group/paths/<int:assignment_id>/withdraw/", path_views.group_path_unassign, name="group_path_unassign"
    ),
    path("paths/", path_views.path_list, name="paths"),
    path("paths/<slug:slug>/", path_views.path_detail, name="path"),
    path("paths/<slug:slug>/certificate/", path_views.path_complete, name="path_complete"),
    path("path-certificates/<str:code>/", path_views.path_certificate, name="path_certificate"),
]
