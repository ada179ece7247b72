"""The real multi-worker server of tests/multiprocess, for the SCIM test that goes through it over HTTP."""

from tests.multiprocess.conftest import _static_files, server, server_env  # noqa: F401  # fixtures are found by name
