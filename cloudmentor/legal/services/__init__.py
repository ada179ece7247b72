"""Every write of the legal app: seeding, drafts, publishing, member emails, acceptances (TM-1).

One module per flow; callers import from `cloudmentor.legal.services`.
"""

from .acceptance import acceptance_record_registration as acceptance_record_registration
from .acceptance import terms_acknowledge as terms_acknowledge
from .notices import DEFAULT_NOTIFY_BATCH_SIZE as DEFAULT_NOTIFY_BATCH_SIZE
from .notices import policy_notify_members as policy_notify_members
from .notices import policy_notify_pending as policy_notify_pending
from .publishing import CONTENT_DIR as CONTENT_DIR

# Migration 0002 seeds version 1 of each policy with it (a migration is never edited).
from .publishing import _read_seed as _read_seed
from .publishing import policy_draft_delete as policy_draft_delete
from .publishing import policy_draft_save as policy_draft_save
from .publishing import policy_publish as policy_publish
from .publishing import policy_seed as policy_seed
