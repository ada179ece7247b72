"""Every write of donations (TM-10): start a checkout, record its payment once, abandon, erase.

One module per flow: checkout (a pending donation and its Stripe Checkout Session),
payments (recording what a session paid), abandonment, erasure. Callers import from here.
"""

from .abandonment import donation_mark_abandoned as donation_mark_abandoned
from .abandonment import donations_abandon_stale as donations_abandon_stale
from .checkout import donation_checkout_start as donation_checkout_start
from .checkout import donation_create as donation_create
from .checkout import donation_currency as donation_currency
from .checkout import donation_start as donation_start
from .erasure import DonationsErasure as DonationsErasure
from .erasure import donations_erase_for_user as donations_erase_for_user
from .payments import DonationOutcome as DonationOutcome
from .payments import donation_checkout_completed as donation_checkout_completed
from .payments import donation_checkout_return as donation_checkout_return
from .payments import donation_record_payment as donation_record_payment
from .payments import receipt_reference as receipt_reference
