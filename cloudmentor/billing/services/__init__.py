"""Every write of the billing app: purchases, extensions, grants, invoices, payments, the billing run.

One module per flow: customers, purchases, invoicing (with the billing run), payments,
stripe (card payments through the provider), demo (the demo provider's page), erasure. Callers import from here.

Lock order, everywhere: customer, then invoices, then the year's invoice sequence, then
the account (accounts' services). Emails and tasks leave after commit.
"""

from .checkout import Order as Order
from .checkout import order_extend as order_extend
from .checkout import order_find as order_find
from .checkout import order_group as order_group
from .consents import Consent as Consent
from .credit_notes import credit_note_pdf_render as credit_note_pdf_render
from .customers import customer_details_update as customer_details_update
from .customers import customer_for_group as customer_for_group
from .customers import customer_for_user as customer_for_user
from .demo import demo_checkout_abandon as demo_checkout_abandon
from .demo import demo_checkout_decline as demo_checkout_decline
from .demo import demo_checkout_get as demo_checkout_get
from .demo import demo_checkout_pay as demo_checkout_pay
from .erasure import BillingErasure as BillingErasure
from .erasure import billing_erase_for_user as billing_erase_for_user
from .invoicing import BillingRunReport as BillingRunReport
from .invoicing import billing_run as billing_run
from .invoicing import invoice_issue_due as invoice_issue_due
from .invoicing import invoice_pdf_render as invoice_pdf_render
from .invoicing import invoices_disable_overdue as invoices_disable_overdue
from .invoicing import periods_record_ended as periods_record_ended
from .invoicing import subscription_invoice_issue_now as subscription_invoice_issue_now
from .invoicing import vat_split as vat_split
from .payments import PaymentOutcome as PaymentOutcome
from .payments import invoice_record_payment as invoice_record_payment
from .payments import invoice_void as invoice_void
from .purchases import group_subscription_buy as group_subscription_buy
from .purchases import member_register_with_plan as member_register_with_plan
from .purchases import subscription_change_duration as subscription_change_duration
from .purchases import subscription_extend as subscription_extend
from .purchases import subscription_extend_with_password as subscription_extend_with_password
from .purchases import subscription_grant as subscription_grant
from .purchases import subscription_purchase as subscription_purchase
from .reminders import expiry_reminders_send as expiry_reminders_send
from .stripe import CheckoutSession as CheckoutSession
from .stripe import card_payment_form_action as card_payment_form_action
from .stripe import card_payment_is_demo as card_payment_is_demo
from .stripe import card_payment_is_enabled as card_payment_is_enabled
from .stripe import checkout_session_get as checkout_session_get
from .stripe import invoice_checkout_start as invoice_checkout_start
from .stripe import payment_session_create as payment_session_create
from .stripe import payment_webhook_handle as payment_webhook_handle
from .stripe import stripe_checkout_completed as stripe_checkout_completed
from .stripe import stripe_checkout_is_enabled as stripe_checkout_is_enabled
from .stripe import stripe_checkout_return as stripe_checkout_return
from .stripe import stripe_checkout_session_get as stripe_checkout_session_get
from .stripe import stripe_payment_session_create as stripe_payment_session_create
from .stripe import stripe_webhook_handle as stripe_webhook_handle
