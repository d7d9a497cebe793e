"""Bad configuration is refused at start with a message naming the variable, not a traceback."""

import pytest

from epay_app.config import ConfigurationError, get_settings


@pytest.mark.parametrize(
    "variable,value",
    [
        ("EPAY_SMTP_PORT", "abc"),
        ("EPAY_SMTP_PORT", "70000"),
        ("EPAY_PSP_TIMEOUT_SECONDS", "0"),
        ("EPAY_LINK_TTL_HOURS", "-1"),
        ("EPAY_DEMO", "peut-être"),
        ("EPAY_OUTBOX_POLL_SECONDS", "x"),
    ],
)
def test_invalid_setting_names_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError) as err:
        get_settings()
    assert variable in str(err.value) and "Configuration invalide" in str(err.value)


def test_valid_settings_load(monkeypatch):
    monkeypatch.setenv("EPAY_SMTP_PORT", "2525")
    get_settings.cache_clear()
    assert get_settings().smtp_port == 2525
