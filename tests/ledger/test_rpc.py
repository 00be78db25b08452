from __future__ import annotations

import pytest

from governance.errors import GovernanceError, InvalidRequest, ParseError
from governance.ledger.rpc import parse_body


def test_single_and_batch() -> None:
    [req], is_batch = parse_body(b'{"jsonrpc":"2.0","id":7,"method":"eth_chainId"}', 10)
    assert not is_batch and not isinstance(req, GovernanceError)
    assert req.id == 7 and req.method == "eth_chainId" and not req.is_notification
    items, is_batch = parse_body(
        b'[{"jsonrpc":"2.0","id":"a","method":"m","params":[]},{"jsonrpc":"2.0","method":"n"},5]',
        10,
    )
    assert is_batch and len(items) == 3
    assert not isinstance(items[1], GovernanceError) and items[1].is_notification
    assert isinstance(items[2], InvalidRequest)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{", ParseError),
        (b"", ParseError),
        (b"[]", InvalidRequest),
        (b'"x"', InvalidRequest),
        (b'{"jsonrpc":"1.0","id":1,"method":"m"}', InvalidRequest),
        (b'{"jsonrpc":"2.0","id":1}', InvalidRequest),
        (b'{"jsonrpc":"2.0","id":{},"method":"m"}', InvalidRequest),
        (b'{"jsonrpc":"2.0","id":true,"method":"m"}', InvalidRequest),
        (b'{"jsonrpc":"2.0","id":1,"method":"m","params":"x"}', InvalidRequest),
        # a method is copied into the log's columns, where PostgreSQL refuses a NUL
        (b'{"jsonrpc":"2.0","id":1,"method":"eth_get\\u0000Balance"}', InvalidRequest),
        (b'{"jsonrpc":"2.0","id":1,"method":"eth_call\\n"}', InvalidRequest),
        # an unpaired surrogate escape parses in the exact parser but is not Unicode text:
        # nothing could serialise the call to the node, the engine or the log
        (b'{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["\\ud800"]}', ParseError),
        (b'{"jsonrpc":"2.0","id":"\\udfff","method":"eth_blockNumber"}', ParseError),
        (b'{"jsonrpc":"2.0","id":1.5,"method":"m","params":{"\\ud800":1}}', ParseError),
        (b"[" + b",".join([b'{"jsonrpc":"2.0","id":1,"method":"m"}'] * 11) + b"]", InvalidRequest),
    ],
)
def test_rejects(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_body(body, 10)
