"""Pure rules of the PSP settings: search folding and the masked key."""
from epay_app.services.psp_config import fold, key_hint
from epay_app.services.secrets import mask


def test_search_ignores_case_and_accents():
    assert fold("  Point de Vente 2 (Vincent S.) ") == "point de vente 2 (vincent s.)"
    assert fold("PÔINT DE VÈNTE") == fold("point de vente")
    assert fold("Mâcon Évry Œuvre") == "macon evry œuvre"


def test_only_the_last_four_characters_of_a_long_enough_key_are_shown():
    assert mask(key_hint("002001000000002_KEY1")) == "••••••••KEY1"
    assert key_hint("short-key") == ""  # four characters of a nine-character key say too much
