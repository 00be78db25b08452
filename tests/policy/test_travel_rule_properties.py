"""Property tests of the IVMS101 (X-Travel-Rule) parser: any header value is decoded or
refused with messages (never an exception), and well-formed payloads round trip with no
errors."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from governance.policy.travel_rule import parse_travel_rule_header, travel_rule_header
from tests.conftest import legal, natural

FAST = settings(max_examples=300, deadline=None)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=25,
)


def check(value: str | None) -> tuple[dict[str, Any] | None, list[str]]:
    doc, errors = parse_travel_rule_header(value)
    assert doc is None or isinstance(doc, dict)
    assert all(isinstance(e, str) for e in errors)
    return doc, errors


@FAST
@given(st.text(max_size=200))
def test_any_header_text_is_decoded_or_refused(value: str) -> None:
    check(value)


@FAST
@given(json_values)
def test_any_json_document_is_decoded_or_refused(doc: Any) -> None:
    raw = json.dumps(doc).encode()
    check(base64.urlsafe_b64encode(raw).decode().rstrip("="))


@FAST
@given(json_values, st.sampled_from(["originator", "beneficiary"]))
def test_arbitrary_party_contents_give_messages(junk: Any, party: str) -> None:
    persons = "originatorPersons" if party == "originator" else "beneficiaryPersons"
    payload = {party: {persons: [junk], "accountNumber": [junk]}}
    check(travel_rule_header(payload))


names = st.text(
    alphabet=st.characters(min_codepoint=65, max_codepoint=122), min_size=1, max_size=30
)
countries = st.sampled_from(["US", "CN", "DE", "SG", "GB", "CH", "HK", "AE"])
addresses = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())


@FAST
@given(names, countries, names, countries, addresses, addresses, st.booleans(), st.booleans())
def test_well_formed_payloads_round_trip_without_errors(
    a: str, ca: str, b: str, cb: str, sender: str, recipient: str, a_legal: bool, b_legal: bool
) -> None:
    payload = {
        "originator": {
            "originatorPersons": [legal(a, ca) if a_legal else natural(a, ca)],
            "accountNumber": [sender],
        },
        "beneficiary": {
            "beneficiaryPersons": [legal(b, cb) if b_legal else natural(b, cb)],
            "accountNumber": [recipient],
        },
    }
    doc, errors = check(travel_rule_header(payload))
    assert errors == [] and doc == payload
