from collections.abc import Iterator

import pytest

pytest_plugins = [
    "tests.support.web",
    "tests.support.services",
    "tests.support.databases",
    "tests.support.worker",
    "tests.support.smtp",
    "tests.support.site",
    "tests.support.cli",
]


@pytest.fixture(autouse=True)
def _forget_process_settings() -> Iterator[None]:
    """Commands bind this process to their settings; each test starts unbound."""
    yield
    from workers import runtime

    runtime.use(None)
