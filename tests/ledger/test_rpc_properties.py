"""Property tests of the JSON-RPC envelope parser: any body is parsed or refused with a
JSON-RPC error (never another exception), and every id the specification allows (strings,
integers of any size, finite fractions) comes back exactly as it was written."""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.errors import GovernanceError, InvalidRequest, ParseError
from governance.ledger.rpc import RpcRequest, error_id, error_response, parse_body

FAST = settings(max_examples=300, deadline=None)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
ids = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(2**200), max_value=2**200),
    st.floats(allow_nan=False, allow_infinity=False),
)


def parse(body: bytes) -> tuple[list[RpcRequest | GovernanceError], bool] | GovernanceError:
    try:
        return parse_body(body, max_batch=50)
    except GovernanceError as exc:  # the only refusal the parser may raise
        assert isinstance(exc, ParseError | InvalidRequest)
        return exc


@FAST
@given(st.binary(max_size=200))
def test_any_bytes_are_parsed_or_refused(body: bytes) -> None:
    parse(body)


@FAST
@given(json_values)
def test_any_json_value_is_parsed_or_refused(doc: Any) -> None:
    result = parse(json.dumps(doc).encode())
    if isinstance(result, tuple):
        for element in result[0]:
            # Every element can be answered, and the answer serialises.
            orjson.dumps(error_response(error_id(element), InvalidRequest("x")))


def echoed(rid_text: str, body_ids: list[str]) -> list[Any]:
    """The ids of the answers to a body whose ids were written as `body_ids`, as text."""
    calls = [f'{{"jsonrpc":"2.0","method":"eth_chainId","id":{t}}}' for t in body_ids]
    result = parse(("[" + ",".join(calls) + "]").encode() if len(calls) > 1 else calls[0].encode())
    assert isinstance(result, tuple), result
    answers = [orjson.dumps({"id": error_id(e)}).decode() for e in result[0]]
    return [json.loads(a, parse_int=str, parse_float=str)["id"] for a in answers]


@FAST
@given(ids)
def test_every_allowed_id_is_echoed_exactly(rid: Any) -> None:
    text = json.dumps(rid)
    [back] = echoed(text, [text])
    expected = json.loads(text, parse_int=str, parse_float=str)
    assert back == expected


@FAST
@given(st.lists(ids, min_size=2, max_size=8))
def test_batch_ids_are_echoed_in_order(batch: list[Any]) -> None:
    texts = [json.dumps(rid) for rid in batch]
    assert echoed("", texts) == [json.loads(t, parse_int=str, parse_float=str) for t in texts]


@FAST
@given(
    st.sampled_from(
        ["1e400", "-1e400", "1.50", "0.0", "-0", "1E+2", "123456789012345678901234567890.5"]
    )
)
def test_number_ids_keep_their_text(literal: str) -> None:
    body = f'{{"jsonrpc":"2.0","method":"eth_chainId","id":{literal}}}'.encode()
    result = parse(body)
    assert isinstance(result, tuple)
    answer = orjson.dumps({"id": error_id(result[0][0])}).decode()
    assert json.loads(answer, parse_int=str, parse_float=str)["id"] in (literal, "0")
