from django.urls import path

from . import credit_note_views, views

app_name = "billing"

urlpatterns = [
    path("plans/", views.plans, name="plans"),
    path("plans/extend/", views.extend, name="extend"),
    path("plans/<slug:slug>/subscribe/", views.SubscribeView.as_view(), name="subscribe"),
    path("plans/<slug:slug>/group/", views.group_subscribe, name="group_subscribe"),
    path("account/billing/", views.account, name="account"),
    path("account/billing/invoices/<int:invoice_id>/", views.invoice_detail, name="invoice"),
    path("account/billing/invoices/<int:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("account/billing/invoices/<int:invoice_id>/checkout/", views.invoice_checkout, name="invoice_checkout"),
    path(
        "account/billing/invoices/<int:invoice_id>/checkout/return/",
        views.checkout_return,
        name="checkout_return",
    ),
    path("account/history/", views.history, name="history"),
    path("account/billing/orders/<uuid:order_key>/", views.order_detail, name="order"),
    path("billing/demo/checkout/<str:session_id>/", views.demo_checkout, name="demo_checkout"),
    path(
        "account/billing/credit-notes/<int:credit_note_id>/pdf/",
        credit_note_views.credit_note_pdf,
        name="credit_note_pdf",
    ),
]
