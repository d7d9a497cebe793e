"""The transition table, checked for all 49 ordered pairs of statuses."""

import itertools

import pytest

from epay_app.domain.errors import IllegalTransition
from epay_app.domain.statuses import STATUS_LABELS, check_transition
from epay_app.domain.statuses import PaymentStatus as S

LEGAL = {
    (S.ENVOYE, S.AUTORISE),
    (S.ENVOYE, S.ANNULE),
    (S.ENVOYE, S.REJETE),
    (S.ENVOYE, S.ERREUR),
    (S.AUTORISE, S.A_REMBOURSER),
    (S.REJETE, S.AUTORISE),
    (S.ERREUR, S.AUTORISE),
    (S.ERREUR, S.ANNULE),
    (S.ERREUR, S.REJETE),
    (S.A_REMBOURSER, S.REMBOURSE),
}
PAIRS = list(itertools.product(S, S))


def test_there_are_seven_statuses_with_the_guide_labels():
    assert [STATUS_LABELS[s] for s in S] == [
        "Envoyé",
        "Autorisé",
        "Annulé",
        "Rejeté",
        "À rembourser",
        "Remboursé",
        "Erreur",
    ]
    assert len(PAIRS) == 49


@pytest.mark.parametrize("current,target", PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS])
def test_every_pair_against_the_table(current, target):
    if current == target:
        assert check_transition(current, target) is False  # same state: no-op
    elif (current, target) in LEGAL:
        assert check_transition(current, target) is True
    else:
        with pytest.raises(IllegalTransition) as err:
            check_transition(current, target)
        assert "Transition interdite" in str(err.value)


def test_refunded_and_cancelled_are_final():
    for final in (S.REMBOURSE, S.ANNULE):
        assert all(not check_transition(final, t) for t in [final])
        for target in S:
            if target != final:
                with pytest.raises(IllegalTransition):
                    check_transition(final, target)
