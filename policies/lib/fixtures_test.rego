# Test fixtures: builders for policy input documents (docs/policy-input.md) over the shipped
# reference data. Loaded with the tests only (the file name ends in _test.rego); holds no tests.
#
# Tests replace the input with `with data.governance.lib.ctx.doc as <document>`; never
# `with input as ...` (it crashes regopy 1.5.2).
package tests.fixtures

import rego.v1

# Anvil default accounts (docs/policies.md, "Demo directory").
# acme-us, US institution
acct0 := "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"

# acme-us, US individual, KYC pending
acct1 := "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"

# panda-cn, CN individual
acct2 := "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc"

# panda-cn, CN institution
acct3 := "0x90f79bf6eb2c4f870365e785982e1f101e93b906"

# hanse-de, DE institution
acct4 := "0x15d34aaf54267db7d7c367839aaf71a00a2c6a65"

# lion-sg, SG institution
acct5 := "0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc"

# thames-uk, GB individual
acct6 := "0x976ea74026e726554db657fa54763abd0c3a0aa9"

# self-hosted wallet, DE
acct7 := "0x14dc79964da2c08b23698b3d3cc7ca32193d9955"

# alpine-ch, CH institution
acct8 := "0x23618e81e3f5cdf7f54c3d65f7fbc0abf5b21e8f"

# not in the directory
acct9 := "0xa0ee7a142d267c1f36714e4a8f75612f20a79720"

sanctioned_address := "0xa79c58b0b11fb634112ccb08cccc3e29dd77d3d2"

# The first (sorted) directory address of `org` with entity kind `kind`.
address_of(org, kind) := x if {
	found := sort([a |
		some a
		e := data.reference.entities[a]
		is_object(e)
		e.org == org
		e.entity_kind == kind
	])
	x := found[0]
}

# Shipped thresholds in USD: travel-rule tier `i` of `j`, daily limit of `j` for `kind`.
tr_usd(j, i) := usd(data.reference.jurisdictions[j].travel_rule.tiers[i].from, data.reference.jurisdictions[j].travel_rule.currency)

daily_usd(j, kind) := usd(data.reference.jurisdictions[j].daily_limit.limits[kind], data.reference.jurisdictions[j].daily_limit.currency)

day := "2026-11-26"

entity(address) := {
	"address": address,
	"org": object.get(e, "org", null),
	"jurisdiction": object.get(e, "jurisdiction", null),
	"entity_kind": object.get(e, "entity_kind", null),
	"kyc": object.get(e, "kyc", null),
	"sanctioned": is_object(object.get(data.reference.sanctions, address, null)),
	"self_hosted": object.get(e, "self_hosted", false),
	"known": true,
	"licences": [{"regime": l.regime, "status": l.status, "valid_until": l.valid_until} | some l in object.get(e, "licences", [])],
	"clients_abroad_only": object.get(e, "clients_abroad_only", false),
} if {
	e := data.reference.entities[address]
	is_object(e)
} else := {
	"address": address,
	"org": null,
	"jurisdiction": null,
	"entity_kind": null,
	"kyc": null,
	"sanctioned": is_object(object.get(data.reference.sanctions, address, null)),
	"self_hosted": false,
	"known": false,
	"licences": [],
	"clients_abroad_only": false,
}

subject(org, jurisdiction, kind) := {
	"sub": concat("", [org, "-user"]),
	"org": org,
	"jurisdiction": jurisdiction,
	"roles": ["trader"],
	"entity_kind": kind,
	"kyc": "verified",
}

request(kind, method) := {
	"id": "01JTEST00000000000000000000",
	"ledger": "main",
	"chain_id": 31337,
	"method": method,
	"kind": kind,
	"received_at": "2026-11-26T14:00:00.000000Z",
	"day": day,
	"year": "2026",
}

# Nothing spent yet, in every jurisdiction of the reference data.
zero_figures := {
	"day": day,
	"year": "2026",
	"person_daily_usd": 0,
	"person_annual_usd": 0,
	"person_daily_cross_border_usd": 0,
	"person_annual_cross_border_usd": 0,
}

zero_aggregates := {
	"person": "test-person",
	"person_30d_usd": 0,
	"by_jurisdiction": {j: zero_figures | some j, cfg in data.reference.jurisdictions; is_object(cfg)},
}

# `doc` where the person already spent `usd` as figure `name` of jurisdiction `j`
# (`person_daily_usd`, ...; docs/policy-input.md "aggregates").
spent(doc, j, name, usd) := put2(doc, "aggregates", "by_jurisdiction", put(doc.aggregates.by_jurisdiction, j, put(doc.aggregates.by_jurisdiction[j], name, usd)))

asset_of_class := {
	"tokenized_deposit": {"symbol": "ETH", "class": "tokenized_deposit", "contract": null, "decimals": 18},
	"stablecoin": {"symbol": "USDC", "class": "stablecoin", "contract": "0x5fbdb2315678afecb367f032d93f642f64180aa3", "decimals": 6},
	"virtual_currency": {"symbol": "WBTC", "class": "virtual_currency", "contract": "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512", "decimals": 8},
	"security_token": {"symbol": "ABOND", "class": "security_token", "contract": "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0", "decimals": 0},
	"trade_document": {"symbol": "EBL", "class": "trade_document", "contract": "0xcf7ed3acca5a467e9e704c703e8d87f634fb0fc9", "decimals": 0},
	"unknown": {"symbol": "UNKNOWN", "class": "unknown", "contract": "0x000000000000000000000000000000000000dead", "decimals": 18},
}

# A write by `subj` from `from` to `to` moving `usd` dollars of an asset of `class`.
transfer(subj, from, to, class, usd) := {
	"request": request("write", "eth_sendRawTransaction"),
	"subject": subj,
	"tx": {
		"from": from,
		"to": to,
		"nonce": 0,
		"chain_id": 31337,
		"value": "1",
		"asset": asset_of_class[class],
		"amount_usd": usd,
		"rate_known": true,
		"selector": null,
		"token_transfer": class != "tokenized_deposit",
		"token_call": token_call(class),
		"cross_border": entity(to).jurisdiction != subj.jurisdiction,
	},
	"parties": {"sender": entity(from), "recipient": entity(to)},
	"simulation": simulation_ok,
	"travel_rule": null,
	"travel_rule_errors": [],
	"screening": {"lists": [], "matches": []},
	"aggregates": zero_aggregates,
	"read": null,
	"effects": [],
	"approvals": [],
	"contracts": [],
}

token_call(class) := null if class == "tokenized_deposit"
else := "transfer"

# A read of `method` by `subj` naming `addresses` in its params.
reading(subj, method, addresses) := {
	"request": request("read", method),
	"subject": subj,
	"tx": null,
	"parties": {},
	"travel_rule": null,
	"travel_rule_errors": [],
	"aggregates": zero_aggregates,
	"read": {
		"params": [a | some a in addresses],
		"parties": [entity(a) | some a in addresses],
		"residency": sort([j | some j in {e.jurisdiction | some a in addresses; e := entity(a); is_string(e.jurisdiction)}]),
		"raw_state": false,
		"contract": null,
	},
	"simulation": null,
	"effects": [],
	"approvals": [],
	"contracts": [],
}

# doc with top-level `key` replaced by `value` (object.union merges nested objects differently
# on the engines, so documents are rebuilt key by key).
put(doc, key, value) := {k: v |
	some k in object.keys(doc) | {key}
	v := _pick(doc, k, key, value)
}

_pick(doc, k, key, value) := value if k == key
else := doc[k]

# doc with doc[outer][inner] replaced by `value`.
put2(doc, outer, inner, value) := put(doc, outer, put(object.get(doc, outer, {}), inner, value))

# ---- effects (docs/policy-input.md "effects") ------------------------------------------------
multisend := "0x5fc8d32690cc91d4c39d9d3abcbd16989f875707"

router := "0x0165878a594ca255338adfa4d48449f69242eb8f"

unregistered_contract := "0x00000000000000000000000000000000000c0de1"

simulation_ok := {"mode": "simulate_v1", "status": "ok", "reason": null}

# A value movement of `usd` dollars of an asset of `class` from `from` to `to` at `depth`.
effect(class, from, to, usd, depth) := {
	"kind": _effect_kind(class),
	"asset": object.union(asset_of_class[class], {"known": class != "unknown"}),
	"from": entity(from),
	"to": entity(to),
	"value": "1",
	"token_id": null,
	"amount_usd": usd,
	"depth": depth,
}

_effect_kind(class) := "native" if class == "tokenized_deposit"
else := "erc20"

# A contract call by `subj` from `from` to contract `to` (no value of its own) that the
# simulation found to make `effects`.
call(subj, from, to, effects) := put(put(put(transfer(subj, from, to, "tokenized_deposit", 0), "tx", {
	"from": from,
	"to": to,
	"nonce": 0,
	"chain_id": 31337,
	"value": "0",
	"asset": asset_of_class.tokenized_deposit,
	"amount_usd": 0,
	"rate_known": true,
	"selector": "0x8d80ff0a",
	"token_transfer": false,
	"token_call": null,
	"cross_border": false,
}), "effects", effects), "simulation", simulation_ok)

# doc with its simulation status replaced.
simulated(doc, status, reason) := put(doc, "simulation", {"mode": "simulate_v1", "status": status, "reason": reason})

# USD amount of `amount` units of `currency` at the shipped rates.
usd(amount, currency) := amount * data.reference.rates[currency]

# A structurally complete IVMS101 payload naming `from` and `to`; natural persons with every
# identifying field, so it satisfies every jurisdiction's field requirements.
person := {"naturalPerson": {
	"name": {"nameIdentifier": [{"primaryIdentifier": "Doe", "secondaryIdentifier": "Jane", "nameIdentifierType": "LEGL"}]},
	"geographicAddress": [{"addressType": "HOME", "streetName": "Main St", "buildingNumber": "1", "townName": "Springfield", "country": "US"}],
	"nationalIdentification": {"nationalIdentifier": "X1234567", "nationalIdentifierType": "CCPT", "countryOfIssue": "US"},
	"customerIdentification": "CUST-1",
	"dateAndPlaceOfBirth": {"dateOfBirth": "1980-01-01", "placeOfBirth": "Springfield"},
}}

# A natural person with a name only.
name_only := {"naturalPerson": {"name": {"nameIdentifier": [{"primaryIdentifier": "Doe", "nameIdentifierType": "LEGL"}]}}}

payload(from, to) := payload_with(from, to, person, person)

payload_with(from, to, originator, beneficiary) := object.union(object.union(
	{
		"originator": {"originatorPersons": [originator], "accountNumber": [from]},
		"beneficiary": {"beneficiaryPersons": [beneficiary], "accountNumber": [to]},
	},
	vasp_named("originatingVASP", from),
), vasp_named("beneficiaryVASP", to))

# The directory's VASP for `address`: the entry itself when it is a VASP, else the first VASP
# (by address) of its org.
vasp_of(address) := e if {
	e := data.reference.entities[address]
	is_object(e)
	e.entity_kind == "vasp"
} else := v if {
	e := data.reference.entities[address]
	is_object(e)
	is_string(e.org)
	found := sort([a |
		some a
		x := data.reference.entities[a]
		is_object(x)
		x.org == e.org
		x.entity_kind == "vasp"
	])
	v := data.reference.entities[found[0]]
}

# The IVMS101 VASP field `key` naming the directory's VASP for `address` by LEI ({} when the
# directory knows none).
vasp_named(key, address) := {key: {key: {"legalPerson": {"nationalIdentification": lei(v.lei)}}}} if {
	v := vasp_of(address)
} else := {}

lei(x) := {"nationalIdentifier": x, "nationalIdentifierType": "LEIX"}

# doc carrying a travel-rule payload for its own sender and recipient.
with_payload(doc) := put(doc, "travel_rule", payload(doc.parties.sender.address, doc.parties.recipient.address))

with_payload_of(doc, originator, beneficiary) := put(doc, "travel_rule", payload_with(doc.parties.sender.address, doc.parties.recipient.address, originator, beneficiary))

# The reason codes of a set of reasons, and of a decision.
codes(reasons) := {r.code | some r in reasons}

codes_in(reasons, jurisdiction) := {r.code | some r in reasons; r.jurisdiction == jurisdiction}

decision_codes(d) := {r.code | some r in d.reasons}

# ---- expectations --------------------------------------------------------------------------
# A test case is {"input": <document>, <expectations>...}; every expectation given must hold
# for the decision on that input (absent ones are not checked):
#   "allow": bool                       decision.allow
#   "in": "US"                          restrict codes/has/lacks/reports to that jurisdiction
#   "codes": [...]                      the reason codes are exactly these (as a set)
#   "has": [...], "lacks": [...]        these codes are / are not among the reasons
#   "jurisdictions": [...]              decision.jurisdictions
#   "require_travel_rule": bool         obligations.require_travel_rule
#   "redact": [...]                     obligations.redact
#   "reports": [...]                    the kinds of obligations.report (as a set)
#   "mask": [...]                       decision.mask
#   "regulations": {"CODE": "..."}      a reason with that code cites exactly that regulation
#   "fails": true                       the expectations must NOT hold (tests the harness itself)
# Every decision must also be well formed: the documented keys, sorted reasons, and every
# reason with a listed code, a jurisdiction, a regulation and a message.
verdict(c, d) if {
	well_formed(d)
	_same(c, "allow", d.allow)
	_same(c, "jurisdictions", d.jurisdictions)
	_same(c, "require_travel_rule", d.obligations.require_travel_rule)
	_same(c, "redact", d.obligations.redact)
	_same(c, "mask", d.mask)
	_codes_ok(c, d)
	count({x | some x in object.get(c, "has", [])} - scoped_codes(c, d)) == 0
	count({x | some x in object.get(c, "lacks", [])} & scoped_codes(c, d)) == 0
	_reports_ok(c, d)
	cited := {code | some code in object.keys(object.get(c, "regulations", {})); _cites(c, d, code)}
	count(cited) == count(object.get(c, "regulations", {}))
}

# (`every` and `not x in f(...)` are avoided: regopy 1.5.2 lets them pass vacuously)

_cites(c, d, code) if {
	some r in d.reasons
	r.code == code
	_in_scope(c, r.jurisdiction)
	r.regulation == c.regulations[code]
}

# (two rules: regopy evaluates `a == (b == c)` to undefined when b == c is false)
_allow_matches_reasons(d) if {
	count(d.reasons) == 0
	d.allow == true
}

_allow_matches_reasons(d) if {
	count(d.reasons) > 0
	d.allow == false
}

well_formed(d) if {
	object.keys(d) == {"allow", "reasons", "obligations", "jurisdictions", "mask"}
	object.keys(d.obligations) == {"redact", "report", "require_travel_rule"}
	_allow_matches_reasons(d)
	d.reasons == sort(d.reasons)
	count([r | some r in d.reasons; _reason_ok(r)]) == count(d.reasons)
}

_reason_ok(r) if {
	data.governance.lib.reasons.codes[r.code]
	r.jurisdiction != ""
	r.regulation != ""
	r.message != ""
}

_same(c, key, actual) if object.get(c, key, null) == null

_same(c, key, actual) if object.get(c, key, null) == actual

_in_scope(c, jurisdiction) if object.get(c, "in", "") == ""

_in_scope(c, jurisdiction) if object.get(c, "in", "") == jurisdiction

scoped_codes(c, d) := {r.code | some r in d.reasons; _in_scope(c, r.jurisdiction)}

_codes_ok(c, d) if object.get(c, "codes", null) == null

_codes_ok(c, d) if {
	is_array(c.codes)
	scoped_codes(c, d) == {x | some x in c.codes}
}

_reports_ok(c, d) if object.get(c, "reports", null) == null

_reports_ok(c, d) if {
	is_array(c.reports)
	{r.kind | some r in d.obligations.report; _in_scope(c, r.jurisdiction)} == {x | some x in c.reports}
}

# ---- licences (data/jurisdictions.json "licensing") -------------------------------------------
# A licence as the gateway puts it into an entity of the input.
licence(regime, status, valid_until) := {"regime": regime, "status": status, "valid_until": valid_until}

# A VASP the directory knows, established in `jurisdiction`, holding `licences`.
vasp(jurisdiction, licences) := {
	"address": "0x00000000000000000000000000000000000ba5e1",
	"org": "test-vasp",
	"jurisdiction": jurisdiction,
	"entity_kind": "vasp",
	"kyc": "verified",
	"sanctioned": false,
	"self_hosted": false,
	"known": true,
	"licences": licences,
	"clients_abroad_only": false,
}

# doc with its recipient replaced by entity `e`.
to_party(doc, e) := put2(doc, "parties", "recipient", e)

# doc decided on `d` (request.day).
on_day(doc, d) := put2(doc, "request", "day", d)
