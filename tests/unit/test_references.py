import pytest
from hypothesis import given
from hypothesis import strategies as st

from epay_app.domain.errors import InvalidReference
from epay_app.domain.references import PaymentKind, TransactionReference


def test_the_guide_example_formats_and_parses():
    ref = TransactionReference(45, 61, PaymentKind.DEPOSIT, 26837, 1)
    assert str(ref) == "00045_000061_20000026837_1"
    assert ref.psp_reference == "00045000061200000268371"
    assert TransactionReference.parse("00045_000061_20000026837_1") == ref
    assert TransactionReference.from_psp_reference(ref.psp_reference) == ref


def test_reservation_reference_uses_type_1():
    ref = TransactionReference(51, 71, PaymentKind.RESERVATION, 3221, 1)
    assert str(ref) == "00051_000071_10000003221_1"


def test_next_attempt_adds_a_suffix():
    ref = TransactionReference.parse("00045_000061_20000026837_1")
    assert str(ref.next_attempt()) == "00045_000061_20000026837_2"
    assert str(ref.next_attempt().next_attempt()) == "00045_000061_20000026837_3"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "00045_000061_20000026837",
        "0045_000061_20000026837_1",
        "00045_000061_30000026837_1",
        "00045_000061_20000026837_0",
        "00045-000061-20000026837-1",
        "00045_000061_2000002683_1",
        "00045_000061_20000026837_1 ",
        "abcde_000061_20000026837_1",
    ],
)
def test_malformed_references_are_refused(bad):
    with pytest.raises(InvalidReference):
        TransactionReference.parse(bad)


def test_out_of_range_parts_are_refused():
    with pytest.raises(InvalidReference):
        TransactionReference(100_000, 1, PaymentKind.DEPOSIT, 1, 1)
    with pytest.raises(InvalidReference):
        TransactionReference(1, 1, PaymentKind.DEPOSIT, 1, 0)


@given(
    st.integers(0, 99_999),
    st.integers(0, 999_999),
    st.sampled_from(PaymentKind),
    st.integers(0, 9_999_999_999),
    st.integers(1, 9_999),
)
def test_round_trip(entity, pos, kind, number, attempt):
    ref = TransactionReference(entity, pos, kind, number, attempt)
    assert TransactionReference.parse(str(ref)) == ref
    assert TransactionReference.from_psp_reference(ref.psp_reference) == ref
    assert ref.psp_reference.isalnum()
