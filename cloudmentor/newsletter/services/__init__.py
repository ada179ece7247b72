"""Every write of the newsletter: subscriptions and their consent record, issues and their sending (PV-4).

One module per flow; callers import from `cloudmentor.newsletter.services`.
"""

from ._common import LANGUAGES as LANGUAGES
from ._common import ONE_CLICK_HEADERS as ONE_CLICK_HEADERS
from .erasure import newsletter_erase_for_user as newsletter_erase_for_user
from .issues import issue_recipients as issue_recipients
from .issues import issue_send_batch as issue_send_batch
from .issues import issue_send_start as issue_send_start
from .issues import issue_send_test as issue_send_test
from .issues import issues_send_resume as issues_send_resume
from .members import subscriber_email_follow as subscriber_email_follow
from .members import subscriber_register_member as subscriber_register_member
from .members import subscriber_subscribe_member as subscriber_subscribe_member
from .members import subscriber_unsubscribe_member as subscriber_unsubscribe_member
from .subscribing import confirm_token_is_valid as confirm_token_is_valid
from .subscribing import subscription_confirm as subscription_confirm
from .subscribing import subscription_request as subscription_request
from .unsubscribing import subscriber_for_unsubscribe_token as subscriber_for_unsubscribe_token
from .unsubscribing import subscriber_unsubscribe as subscriber_unsubscribe
from .unsubscribing import subscriber_unsubscribe_by_token as subscriber_unsubscribe_by_token
