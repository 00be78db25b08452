"""The decision table: policy input documents built as the gateway builds them
(docs/policy-input.md) -> expected outcome. tests/policy/test_decisions.py runs it on every
engine; tests/policy/test_fail_closed.py damages its inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from governance.domain.snapshot import RegoEvaluator
from governance.policy.evaluator import make_evaluator
from governance.policy.source import PolicySource, load_policy_source
from governance.policy.travel_rule import parse_travel_rule_header, travel_rule_header
from tests.conftest import aggregates_input, natural

POLICIES = Path(__file__).resolve().parents[2] / "policies"

ACCT = [
    "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
    "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
    "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc",
    "0x90f79bf6eb2c4f870365e785982e1f101e93b906",
    "0x15d34aaf54267db7d7c367839aaf71a00a2c6a65",
    "0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc",
    "0x976ea74026e726554db657fa54763abd0c3a0aa9",
    "0x14dc79964da2c08b23698b3d3cc7ca32193d9955",
    "0x23618e81e3f5cdf7f54c3d65f7fbc0abf5b21e8f",
    "0xa0ee7a142d267c1f36714e4a8f75612f20a79720",
]
SANCTIONED = "0xa79c58b0b11fb634112ccb08cccc3e29dd77d3d2"


def asset(symbol: str, cls: str, contract: str | None, decimals: int) -> dict[str, Any]:
    return {"symbol": symbol, "class": cls, "contract": contract, "decimals": decimals}


ETH = asset("ETH", "tokenized_deposit", None, 18)
USDC = asset("USDC", "stablecoin", "0x5fbdb2315678afecb367f032d93f642f64180aa3", 6)
WBTC = asset("WBTC", "virtual_currency", "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512", 8)
ABOND = asset("ABOND", "security_token", "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0", 0)
UNKNOWN = asset("UNKNOWN", "unknown", "0x000000000000000000000000000000000000dead", 18)


@cache
def source() -> PolicySource:
    return load_policy_source(POLICIES)


@cache
def evaluator(engine: str) -> RegoEvaluator:
    return make_evaluator(engine, source())


def reference() -> dict[str, Any]:
    ref: dict[str, Any] = source().data["reference"]
    return ref


def address_of(org: str, kind: str) -> str:
    return str(
        min(
            a
            for a, e in reference()["entities"].items()
            if isinstance(e, dict) and e["org"] == org and e["entity_kind"] == kind
        )
    )


def entity(address: str) -> dict[str, Any]:
    e = reference()["entities"].get(address)
    sanctioned = address in reference()["sanctions"]
    if not isinstance(e, dict):
        return {
            "address": address,
            "org": None,
            "jurisdiction": None,
            "entity_kind": None,
            "kyc": None,
            "sanctioned": sanctioned,
            "self_hosted": False,
            "known": False,
            "licences": [],
            "clients_abroad_only": False,
        }
    return {
        "address": address,
        "org": e["org"],
        "jurisdiction": e["jurisdiction"],
        "entity_kind": e["entity_kind"],
        "kyc": e["kyc"],
        "sanctioned": sanctioned,
        "self_hosted": e["self_hosted"],
        "known": True,
        "licences": [
            {k: x[k] for k in ("regime", "status", "valid_until")} for x in e.get("licences", [])
        ],
        "clients_abroad_only": e.get("clients_abroad_only", False),
    }


def subject(org: str, jurisdiction: str, kind: str = "institution", **over: Any) -> dict[str, Any]:
    doc = {
        "sub": f"{org}-user",
        "org": org,
        "jurisdiction": jurisdiction,
        "roles": ["trader"],
        "entity_kind": kind,
        "kyc": "verified",
    }
    doc.update(over)
    return doc


def request(kind: str, method: str) -> dict[str, Any]:
    return {
        "id": "01JDECISIONTABLE0000000000",
        "ledger": "main",
        "chain_id": 31337,
        "method": method,
        "kind": kind,
        "received_at": "2026-11-26T14:00:00.000000Z",
        "day": "2026-11-26",
        "year": "2026",
    }


def aggregates(j: str = "US", **over: float) -> dict[str, Any]:
    """What the person already spent: figures of jurisdiction `j`'s local day and year."""
    return aggregates_input({j: over})


def payload(sender: str, recipient: str, **beneficiary_extra: Any) -> dict[str, Any]:
    born = ("1980-01-01", "Springfield")
    person = natural("Doe", "US", given="Jane", born=born, customer_id="CUST-1")
    return {
        "originator": {"originatorPersons": [person], "accountNumber": [sender]},
        "beneficiary": {
            "beneficiaryPersons": [person],
            "accountNumber": [recipient],
            **beneficiary_extra,
        },
    }


def write(
    subj: dict[str, Any],
    sender: str,
    recipient: str,
    asset: dict[str, Any],
    usd: float,
    *,
    header: str | None = None,
    method: str = "eth_sendRawTransaction",
    chain_id: int | None = 31337,
    rate_known: bool = True,
    call: str | None = None,
    agg: dict[str, Any] | None = None,
) -> dict[str, Any]:
    token = asset["contract"] is not None
    travel_rule, errors = parse_travel_rule_header(header)
    rec = entity(recipient)
    return {
        "request": request("write", method),
        "subject": subj,
        "tx": {
            "from": sender,
            "to": asset["contract"] if token else recipient,
            "nonce": 0,
            "chain_id": chain_id,
            "value": "1",
            "asset": asset,
            "amount_usd": usd,
            "rate_known": rate_known,
            "selector": "0xa9059cbb" if token else None,
            "token_transfer": token and call != "approve",
            "token_call": (call or "transfer") if token else None,
            "cross_border": rec["jurisdiction"] != subj["jurisdiction"],
        },
        "parties": {"sender": entity(sender), "recipient": rec},
        "simulation": {"mode": "simulate_v1", "status": "ok", "reason": None},
        "travel_rule": travel_rule,
        "travel_rule_errors": errors,
        "screening": {"lists": [], "matches": []},
        "aggregates": agg or aggregates(),
        "read": None,
        "effects": [],
        "approvals": [],
        "contracts": [],
    }


MULTISEND = "0x5fc8d32690cc91d4c39d9d3abcbd16989f875707"
ROUTER = "0x0165878a594ca255338adfa4d48449f69242eb8f"
UNREGISTERED = "0x00000000000000000000000000000000000c0de1"


def effect(
    asset: dict[str, Any], sender: str, recipient: str, usd: float | None, depth: int = 1
) -> dict[str, Any]:
    return {
        "kind": "native" if asset["contract"] is None else "erc20",
        "asset": {**asset, "known": asset["class"] != "unknown"},
        "from": entity(sender),
        "to": entity(recipient),
        "value": "1",
        "token_id": None,
        "amount_usd": usd,
        "depth": depth,
    }


def call(
    subj: dict[str, Any],
    sender: str,
    contract: str,
    effects: list[dict[str, Any]],
    *,
    status: str = "ok",
    reason: str | None = None,
    contracts: list[dict[str, Any]] | None = None,
    header: str | None = None,
) -> dict[str, Any]:
    """A contract call moving no value of its own, with the effects its simulation found."""
    doc = write(subj, sender, contract, ETH, 0.0, header=header)
    doc["tx"].update(value="0", selector="0x8d80ff0a", cross_border=False)
    doc["simulation"] = {"mode": "simulate_v1", "status": status, "reason": reason}
    doc["effects"] = effects
    doc["approvals"] = []
    doc["contracts"] = contracts or []
    return doc


def read(
    subj: dict[str, Any], method: str, addresses: list[str], kind: str = "read"
) -> dict[str, Any]:
    parties = [entity(a) for a in addresses]
    return {
        "request": request(kind, method),
        "subject": subj,
        "tx": None,
        "parties": {},
        "travel_rule": None,
        "travel_rule_errors": [],
        "aggregates": aggregates(),
        "read": {
            "params": addresses,
            "parties": parties,
            "residency": sorted({p["jurisdiction"] for p in parties if p["jurisdiction"]}),
            "raw_state": False,
            "contract": None,
        },
        "simulation": None,
        "effects": [],
        "approvals": [],
        "contracts": [],
    }


def hdr(sender: str, recipient: str, **extra: Any) -> str:
    return travel_rule_header(payload(sender, recipient, **extra))


def vasp_hdr(sender: str, recipient: str, key: str, *, lei: str = "", name: str = "") -> str:
    """A payload naming the `key` VASP (originatingVASP or beneficiaryVASP) by LEI, name or
    both, as IVMS101 nests it."""
    legal: dict[str, Any] = {}
    if name:
        legal["name"] = {"nameIdentifier": [{"legalPersonName": name}]}
    if lei:
        legal["nationalIdentification"] = {
            "nationalIdentifier": lei,
            "nationalIdentifierType": "LEIX",
        }
    return travel_rule_header({**payload(sender, recipient), key: {key: {"legalPerson": legal}}})


@dataclass
class Case:
    name: str
    input: dict[str, Any]
    codes: set[str]  # "CODE@JURISDICTION"
    checks: dict[str, Any] = field(default_factory=dict)


ACME = subject("acme-us", "US")
WANG = subject("panda-cn", "CN", "individual")
PANDA = subject("panda-cn", "CN")
HANSE = subject("hanse-de", "DE")
ALPINE = subject("alpine-ch", "CH")
SAKURA = subject("sakura-jp", "JP")
JADE = subject("jade-hk", "HK")  # a CN -> HK standard contract, not filed


# fmt: off
def cases() -> list[Case]:
    ops = max(a for a, e in reference()["entities"].items() if isinstance(e, dict)
              and e["org"] == "acme-us" and e["entity_kind"] == "institution" and a != ACCT[0])
    anna = address_of("hanse-de", "individual")
    sakura = address_of("sakura-jp", "institution")
    mueller = address_of("alpine-ch", "individual")
    eur1000 = 1000 * reference()["rates"]["EUR"]
    attest = {"method": "signature", "address": ACCT[7], "verifiedAt": "2026-11-01"}
    a0, a2, a3, a4, a5, a7, a8, a9 = (ACCT[i] for i in (0, 2, 3, 4, 5, 7, 8, 9))
    w, r, c = write, read, Case
    masked = {"mask": ["/travel_rule/beneficiary", "/travel_rule/originator"]}
    logs = ["/*/data", "/*/topics"]
    regulator = subject("fincen", "US", roles=["regulator"])
    gulch, prairie = address_of("gulch-us", "vasp"), address_of("prairie-us", "vasp")
    nordlicht, merlion = address_of("nordlicht-de", "vasp"), address_of("merlion-sg", "vasp")
    lion = subject("lion-sg", "SG")
    lei = {a: e.get("lei", "") for a, e in reference()["entities"].items() if isinstance(e, dict)}
    to_prairie = "beneficiaryVASP"
    return [
        c("travel_rule_names_the_beneficiary_vasp",
          w(ACME, a0, prairie, USDC, 5000.0,
            header=vasp_hdr(a0, prairie, to_prairie, lei=lei[prairie])), set()),
        c("travel_rule_names_the_beneficiary_vasp_by_name",
          w(ACME, a0, prairie, USDC, 5000.0,
            header=vasp_hdr(a0, prairie, to_prairie, name="prairie coin exchange llc")), set()),
        c("travel_rule_without_the_beneficiary_vasp",
          w(ACME, a0, prairie, USDC, 5000.0, header=hdr(a0, prairie)),
          {"TRAVEL_RULE_INVALID@US"}),
        c("travel_rule_names_another_vasp",
          w(ACME, a0, prairie, USDC, 5000.0,
            header=vasp_hdr(a0, prairie, to_prairie, lei=lei[gulch])),
          {"TRAVEL_RULE_INVALID@US"}),
        c("travel_rule_names_an_unknown_lei",
          w(ACME, a0, ops, USDC, 5000.0,
            header=vasp_hdr(a0, ops, to_prairie, lei="5493009UNKNOWNVA0099")),
          {"TRAVEL_RULE_INVALID@US"}),
        c("us_to_unlicensed_vasp", w(ACME, a0, gulch, ABOND, 10.0),
          {"COUNTERPARTY_UNLICENSED@US"}),
        c("us_to_licensed_vasp", w(ACME, a0, prairie, ABOND, 10.0), set()),
        c("effects_multisend_to_unlicensed_vasp",
          call(ACME, a0, MULTISEND, [effect(ETH, a0, MULTISEND, 30.0, 0),
                                     effect(ETH, MULTISEND, gulch, 30.0)]),
          {"COUNTERPARTY_UNLICENSED@US"}),
        c("us_caller_acting_as_unlicensed_vasp",
          w(subject("acme-us", "US", "vasp"), a0, ops, ABOND, 10.0),
          {"COUNTERPARTY_UNLICENSED@US"}),
        c("eu_national_registration_day_before_mica_end",
          on_day(w(HANSE, a4, nordlicht, ABOND, 10.0), "2026-06-30"), set()),
        c("eu_national_registration_at_mica_end",
          on_day(w(HANSE, a4, nordlicht, ABOND, 10.0), "2026-07-01"),
          {"COUNTERPARTY_UNLICENSED@EU"}),
        c("sg_clients_abroad_only_day_before",
          on_day(w(lion, a5, merlion, ABOND, 10.0), "2025-06-29"), set()),
        c("sg_clients_abroad_only_from_30_june_2025",
          on_day(w(lion, a5, merlion, ABOND, 10.0), "2025-06-30"),
          {"COUNTERPARTY_UNLICENSED@SG"}),
        c("us_domestic_small", w(ACME, a0, ops, ETH, 100.0), set(),
          {"jurisdictions": ["US"], "require_travel_rule": False}),
        c("us_just_below_travel_rule", w(ACME, a0, ops, ETH, 2999.99), set()),
        c("us_travel_rule_at_threshold", w(ACME, a0, ops, ETH, 3000.0),
          {"TRAVEL_RULE_MISSING@US"}, {"require_travel_rule": True}),
        c("us_travel_rule_with_header", w(ACME, a0, ops, ETH, 3000.0, header=hdr(a0, ops)),
          set(), masked),
        c("us_travel_rule_broken_header", w(ACME, a0, ops, ETH, 3000.0, header="%%%"),
          {"TRAVEL_RULE_INVALID@US"}),
        c("us_travel_rule_wrong_accounts", w(ACME, a0, ops, ETH, 5000.0, header=hdr(a9, ops)),
          {"TRAVEL_RULE_INVALID@US"}),
        c("us_to_sg_stablecoin", w(ACME, a0, a5, USDC, 10.0), {"TRAVEL_RULE_MISSING@SG"},
          {"jurisdictions": ["SG", "US"]}),
        c("us_to_sg_with_header", w(ACME, a0, a5, USDC, 10.0, header=hdr(a0, a5)), set()),
        c("us_large_value_report", w(ACME, a0, ops, ABOND, 10000.01), set(),
          {"reports": ["large_value@US"]}),
        c("us_daily_limit", w(ACME, a0, ops, ABOND, 100.01,
                              agg=aggregates(person_daily_usd=4999900.0)),
          {"DAILY_LIMIT_EXCEEDED@US"}),
        c("us_unvalued_token", w(ACME, a0, ops, UNKNOWN, 0.0, rate_known=False),
          {"TRAVEL_RULE_MISSING@US", "DAILY_LIMIT_EXCEEDED@US"}, {"reports": ["large_value@US"]}),
        c("us_approve_moves_nothing", w(ACME, a0, a5, USDC, 5000.0, call="approve"), set()),
        c("kyc_pending_sending_account",
          w(subject("acme-us", "US", "individual"), ACCT[1], ops, ABOND, 10.0),
          {"KYC_REQUIRED@US"}),
        c("caller_kyc_pending", w(subject("acme-us", "US", kyc="pending"), a0, ops, ABOND, 10.0),
          {"KYC_REQUIRED@US"}),
        c("auditor_cannot_write",
          w(subject("acme-us", "US", roles=["auditor"]), a0, ops, ABOND, 10.0),
          {"ROLE_FORBIDDEN@US"}),
        c("sender_of_other_org", w(ACME, a3, ops, ABOND, 10.0), {"SENDER_NOT_OWNED@US"}),
        c("sanctioned_recipient", w(ACME, a0, SANCTIONED, ABOND, 10.0), {"SANCTIONED_PARTY@US"}),
        c("eu_listed_recipient", w(ACME, a0, EU_LISTED, ABOND, 10.0), {"SANCTIONED_PARTY@US"}),
        c("travel_rule_name_on_a_list", screened(w(ACME, a0, ops, ABOND, 10.0), 90.0),
          {"SANCTIONED_NAME_MATCH@US"}),
        c("travel_rule_name_below_threshold", screened(w(ACME, a0, ops, ABOND, 10.0), 89.9),
          set()),
        c("pre_eip155", w(ACME, a0, ops, ABOND, 10.0, chain_id=None), {"CHAIN_ID_MISMATCH@US"}),
        c("wrong_chain", w(ACME, a0, ops, ABOND, 10.0, chain_id=1), {"CHAIN_ID_MISMATCH@US"}),
        c("send_transaction_without_chain_id",
          w(ACME, a0, ops, ABOND, 10.0, chain_id=None, method="eth_sendTransaction"), set()),
        c("unknown_method", r(ACME, "debug_traceTransaction", [], kind="unknown"),
          {"METHOD_FORBIDDEN@US"}),
        c("admin_without_role", r(ACME, "admin_peers", [], kind="admin"),
          {"METHOD_FORBIDDEN@US"}),
        c("admin_with_role",
          r(subject("acme-us", "US", roles=["admin"]), "admin_peers", [], kind="admin"), set()),
        c("decoded_write_without_tx", {**w(ACME, a0, ops, ETH, 1.0), "tx": None, "parties": {}},
          {"INPUT_INVALID@US", "SENDER_NOT_OWNED@US"}),
        c("cn_virtual_currency", w(WANG, a2, a3, WBTC, 10.0), {"VIRTUAL_CURRENCY_BANNED@CN"}),
        c("cn_stablecoin", w(PANDA, a3, a2, USDC, 10.0), {"VIRTUAL_CURRENCY_BANNED@CN"}),
        c("cn_tokenized_deposit", w(WANG, a2, a3, ETH, 10.0), set()),
        c("cn_fx_quota", w(WANG, a2, a0, ETH, 100.01,
                           agg=aggregates("CN", person_annual_cross_border_usd=49900.0)),
          {"FX_QUOTA_EXCEEDED@CN"}),
        c("cn_fx_quota_at_quota", w(WANG, a2, a0, ETH, 100.0,
                                    agg=aggregates("CN", person_annual_cross_border_usd=49900.0)),
          set()),
        c("cn_cross_border_report", w(WANG, a2, a0, ABOND, 10000.0), set(),
          {"reports": ["large_value_cross_border_individual@CN"]}),
        c("cn_fx_quota_of_the_individual_whose_funds_move",
          w(PANDA, a2, a0, ETH, 100.01,
            agg=aggregates("CN", person_annual_cross_border_usd=49900.0)),
          {"FX_QUOTA_EXCEEDED@CN"}),
        c("cn_split_cross_border_report",
          w(WANG, a2, a0, ABOND, 4000.0,
            agg=aggregates("CN", person_daily_usd=6000.0, person_daily_cross_border_usd=6000.0)),
          set(), {"reports": ["large_value_cross_border_individual@CN"]}),
        c("cn_split_below_no_report",
          w(WANG, a2, a0, ABOND, 3999.0,
            agg=aggregates("CN", person_daily_usd=6000.0, person_daily_cross_border_usd=6000.0)),
          set(), {"reports": []}),
        c("cn_unknown_counterparty", w(PANDA, a3, a9, ETH, 10.0), {"UNKNOWN_COUNTERPARTY@CN"}),
        c("de_to_self_hosted_above", w(HANSE, a4, a7, USDC, eur1000 + 0.01, header=hdr(a4, a7)),
          {"SELF_HOSTED_UNVERIFIED@EU"}, {"jurisdictions": ["DE", "EU"]}),
        c("de_to_self_hosted_at", w(HANSE, a4, a7, USDC, eur1000, header=hdr(a4, a7)), set()),
        c("de_to_self_hosted_attested",
          w(HANSE, a4, a7, USDC, 5000.0, header=hdr(a4, a7, selfHostedVerification=attest)),
          set()),
        c("de_travel_rule_every_transfer", w(HANSE, a4, anna, USDC, 1.0),
          {"TRAVEL_RULE_MISSING@EU"}),
        c("ch_unknown_counterparty", w(ALPINE, a8, a9, USDC, 1.0),
          {"UNKNOWN_COUNTERPARTY@CH", "TRAVEL_RULE_MISSING@CH"}),
        c("ch_self_hosted", w(ALPINE, a8, a7, USDC, 1.0, header=hdr(a8, a7)),
          {"SELF_HOSTED_UNVERIFIED@CH"}),
        c("gb_alias", w(subject("thames-uk", "GB", "individual"), ACCT[6], ACCT[6], ABOND, 1.0),
          set(), {"jurisdictions": ["UK"]}),
        c("jp_fefta_report", w(SAKURA, sakura, a0, ABOND, 210000.0), set(),
          {"reports": ["fefta_payment_report@JP"]}),
        c("jp_fefta_receipt_report", w(subject("lion-sg", "SG"), a5, sakura, ABOND, 210000.0),
          set(), {"reports": ["fefta_receipt_report@JP"]}),
        c("ch_identification_over_30_days",
          w(subject("alpine-ch", "CH", kyc="pending"), a8, mueller, USDC, 500.0,
            header=hdr(a8, mueller), agg=aggregates_input(person_30d_usd=800.0)),
          {"KYC_REQUIRED@CH", "IDENTIFICATION_REQUIRED@CH"}),
        c("read_cn_individual_no_basis", r(SAKURA, "eth_getLogs", [a2]), set(),
          {"redact": logs, "jurisdictions": ["CN", "JP"]}),
        c("read_cn_individual_with_basis", r(ACME, "eth_getLogs", [a2]), set(), {"redact": []}),
        c("read_cn_individual_at_assessment_tier", exporting(r(ACME, "eth_getLogs", [a2]), 10**6),
          {"PIPL_SECURITY_ASSESSMENT_REQUIRED@CN"}),
        c("cn_payment_past_assessment_tier_exempt",
          exporting(w(WANG, a2, a0, ETH, 10.0), 10**6), set()),
        c("read_cn_individual_unfiled_contract_at_contract_tier",
          exporting(r(JADE, "eth_getLogs", [a2]), 10**5),
          {"PIPL_STANDARD_CONTRACT_REQUIRED@CN"}),
        c("read_cn_balance_no_basis", r(SAKURA, "eth_getBalance", [a2]),
          {"CROSS_BORDER_TRANSFER_RESTRICTED@CN"}),
        c("foreign_regulator_reads_eu_individual", r(regulator, "eth_getLogs", [anna]),
          {"DATA_SCOPE_FORBIDDEN@EU"}, {"redact": logs}),
        c("read_sanctioned_address", r(ACME, "eth_getLogs", [SANCTIONED]), set()),
        c("effects_multisend_to_sanctioned",
          call(ACME, a0, MULTISEND, [effect(ETH, a0, MULTISEND, 30.0, 0),
                                     effect(ETH, MULTISEND, SANCTIONED, 30.0)]),
          {"SANCTIONED_PARTY@US"}),
        c("effects_transfer_from_to_sanctioned",
          call(ACME, a0, ROUTER, [effect(USDC, a0, SANCTIONED, 100.0, 2)]),
          {"SANCTIONED_PARTY@US"}),
        c("effects_multisend_to_two_known_parties",
          call(ACME, a0, MULTISEND, [effect(ETH, a0, MULTISEND, 200.0, 0),
                                     effect(ETH, MULTISEND, ops, 100.0),
                                     effect(ETH, MULTISEND, a9, 100.0)]),
          set(), {"jurisdictions": ["US"]}),
        c("effects_travel_rule_per_beneficiary",
          call(ACME, a0, MULTISEND, [effect(USDC, a0, MULTISEND, 3000.0, 0),
                                     effect(USDC, MULTISEND, a9, 3000.0)]),
          {"TRAVEL_RULE_MISSING@US"}),
        c("effects_unknown_asset", call(ACME, a0, ROUTER, [effect(UNKNOWN, a0, a9, 0.0)]),
          {"UNKNOWN_ASSET@US", "TRAVEL_RULE_MISSING@US", "DAILY_LIMIT_EXCEEDED@US"}),
        c("effects_simulation_unavailable",
          call(ACME, a0, MULTISEND, [], status="unavailable", reason="node timeout"),
          {"SIMULATION_UNAVAILABLE@US"}),
        c("effects_simulation_reverted",
          call(ACME, a0, MULTISEND, [], status="reverted", reason="insufficient balance"),
          {"SIMULATION_REVERTED@US"}),
        c("effects_simulation_off_unregistered_contract",
          call(ACME, a0, UNREGISTERED, [], status="off"), {"UNREGISTERED_CONTRACT@US"}),
        c("effects_simulation_off_registered_contract",
          call(ACME, a0, MULTISEND, [], status="off"), set()),
        c("effects_ch_unregistered_contract",
          call(ALPINE, a8, UNREGISTERED, [], contracts=[{
              "address": UNREGISTERED, "registered": False, "name": None, "kind": None,
              "org": None, "jurisdiction": None}]),
          {"UNREGISTERED_CONTRACT@CH"}),
        c("effects_cn_ban_virtual_currency_to_prc_individual",
          call(ACME, a0, ROUTER, [effect(WBTC, ROUTER, a2, 10.0)], header=hdr(a0, ROUTER)),
          {"VIRTUAL_CURRENCY_BANNED@CN"}, {"jurisdictions": ["CN", "US"]}),
    ]
# fmt: on


EU_LISTED = "0x00000000000000000000000000000000000e0f5f"  # data/eu_fsf.csv


def on_day(doc: dict[str, Any], day: str) -> dict[str, Any]:
    """The document decided on `day` (request.day)."""
    return {**doc, "request": {**doc["request"], "day": day, "year": day[:4]}}


def exporting(doc: dict[str, Any], individuals: int, sensitive: int = 0) -> dict[str, Any]:
    """The document with the caller's org's export volume (input.exports)."""
    org = doc["subject"]["org"]
    volume = {"org": org, "year": "2026", "individuals": individuals, "sensitive": sensitive}
    return {**doc, "exports": volume}


def screened(doc: dict[str, Any], score: float) -> dict[str, Any]:
    """A write whose beneficiary name matched a listed name with `score`."""
    match = {
        "role": "beneficiary",
        "name": "D. Samplevich",
        "list": "eu_fsf",
        "entry": "990001",
        "listed_name": "Dmitry SAMPLEVICH",
        "score": score,
    }
    return {**doc, "screening": {"lists": [], "matches": [match]}}


def undecodable(doc: dict[str, Any], error: str) -> dict[str, Any]:
    """What the gateway builds for a raw transaction that does not decode: no tx, no parties."""
    return {
        **doc,
        "request": {**doc["request"], "decode_error": error},
        "tx": None,
        "parties": {},
        "effects": [],
        "approvals": [],
        "contracts": [],
    }


def without(doc: dict[str, Any], key: str) -> dict[str, Any]:
    """An input the gateway never builds: one of its sections left out."""
    return {k: v for k, v in doc.items() if k != key}


CASES = [
    *cases(),
    Case(
        "undecodable_write",
        undecodable(
            write(ACME, ACCT[0], ACCT[5], ETH, 100.0), "typed transaction: unknown type 0x7f"
        ),
        {"UNDECODABLE_TRANSACTION@US", "SENDER_NOT_OWNED@US"},
    ),
    Case(
        "write_without_effects_field",
        without(next(c.input for c in cases() if c.name == "us_domestic_small"), "effects"),
        {"INPUT_INVALID@US"},
    ),
]
