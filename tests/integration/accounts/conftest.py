"""The fixtures of accounts's own tests, for the tests here that also involve other apps."""

from cloudmentor.accounts.tests.conftest import *  # noqa: F403  # fixtures are found by name

from .staff_world import world  # noqa: F401  # the staff-role tests' member and her data (TR-1, TR-2)
