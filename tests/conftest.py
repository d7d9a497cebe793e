"""Every test run gets its own master-key file and mail folder: nothing is written in the repo."""

import os
import tempfile

import pytest

_RUN_DIR = tempfile.mkdtemp(prefix="epay-tests-")
os.environ.setdefault("EPAY_MASTER_KEY_FILE", os.path.join(_RUN_DIR, "master.key"))
os.environ.setdefault("EPAY_MAIL_SINK_DIR", os.path.join(_RUN_DIR, "mails"))
os.environ.setdefault("EPAY_LINK_SECRET", "tests-link-secret")
# Production is the default (config.py); the suites run the demo set-up (demo accounts, the
# public Sips simulation key, a key file), so they say so. Production tests set it to false.
os.environ.setdefault("EPAY_DEMO", "true")


@pytest.fixture(autouse=True)
def _fresh_settings():
    from epay_app.config import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


pytest_plugins = ["tests.support.fixtures"]
