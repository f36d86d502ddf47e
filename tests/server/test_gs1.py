"""Bracketed GS1 and GS1 Digital Link URLs turned into element strings, without a database."""

from __future__ import annotations

import pytest

from server.errors import Invalid
from server.scanning.gs1 import GROUP_SEPARATOR as GS
from server.scanning.gs1 import element_string, from_brackets, from_digital_link, known_ai


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("(01)04006381333931", "0104006381333931"),
        ("(01)04006381333931(10)LOT42", "010400638133393110LOT42"),
        ("(01)04006381333931(10)LOT42(17)271231", f"010400638133393110LOT42{GS}17271231"),
        ("(01)04006381333931(17)271231(10)LOT42", "01040063813339311727123110LOT42"),
        ("(01) 04006381333931 (10) LOT42 (30) 12", f"010400638133393110LOT42{GS}3012"),
        ("(00)106141412345678908(02)00614141123452(37)25", "0010614141234567890802006141411234523725"),
    ],
)
def test_bracketed_gs1_becomes_its_element_string(code: str, expected: str) -> None:
    assert element_string(code) == expected


def test_a_variable_length_value_is_closed_by_a_separator_only_when_something_follows() -> None:
    assert from_brackets("(10)LOT42(21)SER7") == f"10LOT42{GS}21SER7"
    assert from_brackets("(21)SER7") == "21SER7"


def test_brackets_that_are_no_application_identifier_stay_in_the_value() -> None:
    assert from_brackets("(01)04006381333931(10)LOT(4)") == "010400638133393110LOT(4)"
    assert known_ai("4") is None and known_ai("10") is not None


@pytest.mark.parametrize("code", ["()", "(0x)12", "(4)LOT", "(01)", "(01)04006381333931(10)", "(999)1"])
def test_bracketed_text_without_gs1_data_is_refused_with_a_reason(code: str) -> None:
    with pytest.raises(Invalid) as refused:
        element_string(code)

    assert refused.value.message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://id.gs1.org/01/04006381333931", "0104006381333931"),
        ("https://id.gs1.org/01/04006381333931/10/LOT42?17=271231", f"010400638133393110LOT42{GS}17271231"),
        ("HTTPS://ID.GS1.ORG/01/04006381333931/10/LOT42", "010400638133393110LOT42"),
        ("https://example.com/shop/01/4006381333931/10/LOT%2F42", "010400638133393110LOT/42"),
        ("http://example.com/01/04006381333931?3103=000195&utm_source=label", "01040063813339313103000195"),
    ],
)
def test_a_digital_link_url_becomes_its_element_string(url: str, expected: str) -> None:
    assert element_string(url) == expected


@pytest.mark.parametrize("url", ["https://example.com/", "https://example.com/about?x=1", "https://[::1", "http://"])
def test_a_web_address_that_is_no_digital_link_is_refused_with_a_reason(url: str) -> None:
    with pytest.raises(Invalid) as refused:
        from_digital_link(url)

    assert "not a GS1 Digital Link" in refused.value.message


@pytest.mark.parametrize("code", ["4006381333931", "010400638133393110LOT42", "WH1-A-01", "LOT(4)", "", "  "])
def test_anything_else_is_not_for_this_module(code: str) -> None:
    assert element_string(code) is None
