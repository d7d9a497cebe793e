"""The e-Paiement modal's history in a salesperson's words (issue 14)."""

from epay_app.pages import history


def _actor(source, to_status, *, actor="", from_status="envoye", code="", seller="Thomas MARTIN"):
    return history.event_actor(
        source=source, actor=actor, from_status=from_status, to_status=to_status, psp_code=code, seller_name=seller
    )


def test_history_uses_the_tables_status_words():
    assert history.status_change(None, "envoye") == "Créé : En attente"
    assert history.status_change("envoye", "rejete") == "En attente → Refusé"
    assert history.status_change("envoye", "autorise") == "En attente → Payé"


def test_actors_are_people_and_roles_not_sources():
    assert _actor("psp:notify", "autorise", actor="002001000000002", code="00") == "Client — paiement en ligne"
    assert _actor("psp:webhook", "rejete", code="05") == "Worldline — paiement refusé (code 05)"
    assert _actor("psp:return", "annule") == "Client — paiement abandonné"
    assert _actor("user", "envoye", actor="Claire DUBOIS", from_status=None) == "Claire DUBOIS"
    # The demo's seeded events have no actor: the seller who sent the link is named.
    assert _actor("demo", "envoye", from_status=None) == "Thomas MARTIN"
    assert _actor("system", "annule", actor="e-réservation expirée sans paiement") == (
        "Système — e-réservation expirée sans paiement"
    )
    assert _actor("psp:office", "rembourse", actor="Vincent SIMON", from_status="a_rembourser") == (
        "Vincent SIMON — remboursement par Worldline"
    )


def test_automatic_reminder_reads_as_the_system():
    assert history.mail_line("reminder:12:2026-12-01", "Rappel") == (
        "Lien de paiement renvoyé au client",
        "Système — relance automatique",
    )
    assert history.mail_line("request:12:0", "x")[0] == "Lien de paiement envoyé au client"
    assert history.mail_line("request:12:1", "x")[0] == "Lien de paiement renvoyé au client"
