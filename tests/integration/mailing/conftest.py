"""The fixtures of accounts's own tests: the emails checked here are the account's."""

from cloudmentor.accounts.tests.conftest import *  # noqa: F403  # fixtures are found by name
