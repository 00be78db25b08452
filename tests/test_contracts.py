"""The Solidity test contracts (tests/fixtures/contracts/) behave as the tests that use them
assume, on a real anvil node; their artifacts come from the pinned compiler."""

from __future__ import annotations

import json

from tests.conftest import ACCOUNTS, CONTRACTS, ROOT
from tests.contracts import Deployed, artifact, transact_direct


def test_artifacts_match_sources_and_pinned_compiler() -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["solc"]
    for source in sorted(CONTRACTS.glob("*.sol")):
        art = artifact(source.stem)
        assert art["compiler"].startswith(f"solc {pinned}+"), art["compiler"]
        assert art["source"] == str(source.relative_to(ROOT))
        assert art["bytecode"].startswith("0x60") and art["abi"]


def test_multisend_forwards_ether_to_each_recipient(chain: Deployed) -> None:
    w3, a, b = chain.w3, ACCOUNTS[4].address, ACCOUNTS[5].address
    before = [w3.eth.get_balance(a), w3.eth.get_balance(b)]
    call = chain.multisend.functions.sendEther([a, b], [10**15, 2 * 10**15])
    transact_direct(w3, 0, call, value=3 * 10**15)
    assert [w3.eth.get_balance(a), w3.eth.get_balance(b)] == [
        before[0] + 10**15,
        before[1] + 2 * 10**15,
    ]
    assert w3.eth.get_balance(chain.multisend.address) == 0


def test_multisend_and_router_move_the_callers_tokens(chain: Deployed) -> None:
    w3, token = chain.w3, chain.erc20
    owner, a, b = ACCOUNTS[0].address, ACCOUNTS[4].address, ACCOUNTS[5].address
    transact_direct(w3, 0, token.functions.approve(chain.multisend.address, 300))
    transact_direct(w3, 0, chain.multisend.functions.sendTokens(token.address, [a, b], [100, 200]))
    transact_direct(w3, 0, token.functions.approve(chain.router.address, 50))
    receipt = transact_direct(w3, 0, chain.router.functions.route(token.address, a, 50))
    moves = [
        (e["args"]["from"], e["args"]["to"], e["args"]["value"])
        for e in token.events.Transfer().process_receipt(receipt)
    ]
    assert moves == [(owner, chain.router.address, 50), (chain.router.address, a, 50)]
    assert token.functions.balanceOf(a).call() == 150
    assert token.functions.balanceOf(b).call() == 200


def test_nft_and_multi_token_transfers_emit_their_events(chain: Deployed) -> None:
    w3, owner, a = chain.w3, ACCOUNTS[0].address, ACCOUNTS[4].address
    receipt = transact_direct(w3, 0, chain.erc721.functions.transferFrom(owner, a, 1))
    assert chain.erc721.events.Transfer().process_receipt(receipt)[0]["args"]["tokenId"] == 1
    assert chain.erc721.functions.ownerOf(1).call() == a
    call = chain.erc1155.functions.safeBatchTransferFrom(owner, a, [1, 2], [10, 20], b"")
    batch = chain.erc1155.events.TransferBatch().process_receipt(transact_direct(w3, 0, call))
    assert batch[0]["args"]["values"] == [10, 20]
    assert chain.erc1155.functions.balanceOf(2, a).call() == 20
