from sqlmodel import func, select

from epay_app.db import session_scope
from epay_app.domain.roles import GroupType
from epay_app.models import EPayment, PspConfig, User
from epay_app.services.access import auth
from epay_app.services.admin.secrets import decrypt_secret
from epay_app.services.demo import demo_data


def test_demo_seed_is_idempotent_and_logins_work(db_url):
    url = db_url
    with session_scope(url) as s:
        assert demo_data.seed(s) is True
    with session_scope(url) as s:
        assert demo_data.seed(s) is False
        groups = {u.group_type for u in s.exec(select(User)).all()}
        assert groups == {g.value for g in GroupType}
        assert s.exec(select(func.count()).select_from(EPayment)).one() == 6
        # "Point de vente 1 (Vincent S.)" on Worldline Direct with the sandbox's demo merchant,
        # keeping the Sips merchant of its older payments; every secret encrypted.
        config = s.exec(select(PspConfig).order_by(PspConfig.id)).first()
        assert (config.protocol, config.merchant_id, config.api_key_id, config.webhook_key_id) == (
            "direct",
            "openflexdemo",
            "DEMOAPIKEY0001",
            "DEMOWEBHOOK0001",
        )
        assert decrypt_secret(config.key_ciphertext) == demo_data.DEMO_DIRECT["api_secret"]
        assert decrypt_secret(config.webhook_secret_ciphertext) == demo_data.DEMO_DIRECT["webhook_secret"]
        assert config.sips_merchant_id == demo_data.DEMO_MERCHANT_ID
        assert decrypt_secret(config.sips_key_ciphertext) == demo_data.DEMO_MERCHANT_KEY
        others = s.exec(select(PspConfig).where(PspConfig.id != config.id)).all()
        assert {c.protocol for c in others} == {"sips2"}
        assert all(demo_data.DEMO_MERCHANT_KEY not in (c.key_ciphertext, c.sips_key_ciphertext) for c in others)
        token = auth.login(s, "VENDEUR@openflex.demo ", demo_data.DEMO_PASSWORD)
    with session_scope(url) as s:
        assert auth.user_for_token(s, token).email == "vendeur@openflex.demo"
        auth.logout(s, token)
    with session_scope(url) as s:
        assert auth.user_for_token(s, token) is None


def test_wrong_password_is_refused(db_url):
    url = db_url
    with session_scope(url) as s:
        demo_data.seed(s)
        try:
            auth.login(s, "vendeur@openflex.demo", "nope")
        except auth.LoginFailed as exc:
            assert str(exc) == "Identifiant ou mot de passe incorrect."
        else:
            raise AssertionError("login with a wrong password succeeded")


def test_login_waits_after_five_failures_from_one_address_even_with_the_right_password(seeded_db_url):
    for _ in range(auth.MAX_FAILED_LOGINS):
        with session_scope(seeded_db_url) as s:
            try:
                auth.login(s, "chef@openflex.demo", "wrong", client_address="203.0.113.9")
            except auth.LoginLocked:
                raise AssertionError("locked too early") from None
            except auth.LoginFailed:
                pass
    with session_scope(seeded_db_url) as s:
        try:
            auth.login(s, "chef@openflex.demo", demo_data.DEMO_PASSWORD, client_address="203.0.113.9")
        except auth.LoginLocked as exc:
            assert "Trop de tentatives" in str(exc)
        else:
            raise AssertionError("the 6th attempt was not refused")
    # Another account is not affected, nor the owner from her own address.
    with session_scope(seeded_db_url) as s:
        assert auth.login(s, "vendeur@openflex.demo", demo_data.DEMO_PASSWORD, client_address="203.0.113.9")
    with session_scope(seeded_db_url) as s:
        assert auth.login(s, "chef@openflex.demo", demo_data.DEMO_PASSWORD, client_address="198.51.100.7")


def test_demo_activity_gives_the_demo_users_live_tiles(db_url):
    from epay_app.services.dashboards import tracking

    with session_scope(db_url) as s:
        demo_data.seed(s, activity=True)
    with session_scope(db_url, write=False) as s:
        directeur = s.exec(select(User).where(User.email == "directeur@openflex.demo")).one()
        counts = tracking.tile_counts(s, tracking.viewer_for(s, directeur))
    assert {status.value: n for status, n in counts.items()} == {"a_rembourser": 1, "envoye": 3}


def test_the_live_pages_session_check_agrees_with_user_for_token(seeded_db_url):
    """auth.session_user_id (one query, asked at each live refresh) says what user_for_token says:
    the user of a valid session; None once it expired, its user was deactivated, or it ended."""
    from datetime import timedelta

    from epay_app.domain.dates import utcnow
    from epay_app.models import UserSession

    url = seeded_db_url
    with session_scope(url) as s:
        token = auth.login(s, "chef@openflex.demo", demo_data.DEMO_PASSWORD)
    with session_scope(url) as s:
        user = auth.user_for_token(s, token)
        assert user is not None and auth.session_user_id(s, token) == user.id
        assert auth.session_user_id(s, "") is None and auth.session_user_id(s, token + "x") is None
        user.active = False
        s.add(user)
    with session_scope(url) as s:
        assert auth.user_for_token(s, token) is None and auth.session_user_id(s, token) is None
        user = s.exec(select(User).where(User.email == "chef@openflex.demo")).one()
        user.active = True
        s.add(user)
        for row in s.exec(select(UserSession).where(UserSession.user_id == user.id)).all():
            row.expires_at = utcnow() - timedelta(seconds=1)
            s.add(row)
    with session_scope(url) as s:
        assert auth.user_for_token(s, token) is None and auth.session_user_id(s, token) is None
