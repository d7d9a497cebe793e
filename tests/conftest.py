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


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the groups
def pytest_collection_modifyitems(config, items):
    """For pytest-xdist's `--dist loadgroup` (scripts/test.sh): the e2e tier stays one group, run
    by one worker in its usual order (one prod build at a time in the checkout's .web, and
    test_zz_* last over every app it started); elsewhere each module is a group, so a module's
    fixtures are set up once."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        group = "e2e" if path.startswith("tests/e2e/") else path
        item.add_marker(pytest.mark.xdist_group(group))
