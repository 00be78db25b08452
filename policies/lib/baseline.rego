# Rules that apply to every call whatever the jurisdictions involved. Each reason names the
# caller's jurisdiction (the one whose gateway user was stopped; "ALL" if the token had none)
# and cites that jurisdiction's instrument from its authorization package
# (`citations` in policies/jurisdictions/<cc>/authorization.rego), else the code's default.
#
# Every rule body starts with its cheapest test; messages and citations are built only for a
# reason that fires (a rule head is evaluated after its body holds).
package governance.lib.baseline

import rego.v1

jurisdiction := j if {
	j := data.governance.lib.ctx.subject_jurisdiction
	j != ""
} else := "ALL"

# The citations of jurisdiction `j`'s authorization package (through the package list of
# governance/main.rego: a dynamic data.governance.jurisdictions[j] reference would make regorus
# evaluate every jurisdiction package).
_package_citation(j, code) := c if {
	p := data.governance.main.jurisdiction_package(lower(j), "authorization")
	c := p.citations[code]
	is_string(c)
}

citation(code) := c if {
	c := _package_citation(jurisdiction, code)
} else := c if {
	jurisdiction in data.governance.lib.ctx.eu_members
	c := _package_citation("EU", code)
} else := data.governance.lib.reasons.default_regulation(code)

reason(code, message) := data.governance.lib.reasons.detail(code, jurisdiction, citation(code), message)

known_kinds := {"read", "write", "admin"}

# ---- the input itself: what cannot be read is refused ----------------------------------------
# lib/validate.rego names every field that is missing or of the wrong type; the rules below
# would read such a field as its default, which must never allow.
deny contains reason("INPUT_INVALID", concat("", ["missing or of the wrong type: ", concat(", ", fields)])) if {
	count(data.governance.lib.validate.invalid) > 0
	fields := sort(data.governance.lib.validate.invalid)
}

# ---- methods -----------------------------------------------------------------------------
deny contains reason("METHOD_FORBIDDEN", concat("", [data.governance.lib.ctx.method, " is not in the gateway's method table"])) if {
	not data.governance.lib.ctx.kind in known_kinds
}

deny contains reason("METHOD_FORBIDDEN", concat("", [data.governance.lib.ctx.method, " is administrative and needs the admin role"])) if {
	data.governance.lib.ctx.doc.request.kind == "admin"
	not data.governance.lib.ctx.has_role("admin")
}

# ---- writes: what cannot be read is refused ------------------------------------------------
# A write whose raw transaction does not decode (or whose signature does not recover) has no
# sender, value or recipient to judge: refused for that reason, not by whatever else happens to
# fail on an empty transaction.
deny contains reason("UNDECODABLE_TRANSACTION", concat("", ["the transaction cannot be decoded: ", e])) if {
	data.governance.lib.ctx.doc.request.kind == "write"
	e := data.governance.lib.ctx.doc.request.decode_error
	is_string(e)
}

# ---- writes: who may write ----------------------------------------------------------------
deny contains reason("KYC_REQUIRED", "the caller's KYC is not verified") if {
	data.governance.lib.ctx.call.write
	not data.governance.lib.ctx.doc.subject.kyc == "verified"
}

deny contains reason("ROLE_FORBIDDEN", "writing needs the trader or admin role") if {
	data.governance.lib.ctx.call.write
	not data.governance.lib.ctx.has_role("trader")
	not data.governance.lib.ctx.has_role("admin")
}

sender_owned if {
	data.governance.lib.ctx.doc.parties.sender.known == true
	org := data.governance.lib.ctx.doc.subject.org
	is_string(org)
	org != ""
	data.governance.lib.ctx.doc.parties.sender.org == org
}

deny contains reason("SENDER_NOT_OWNED", concat("", [data.governance.lib.ctx.transfer.sender_address, " is not a known address of ", data.governance.lib.ctx.subject_org])) if {
	data.governance.lib.ctx.call.write
	not sender_owned
}

deny contains reason("KYC_REQUIRED", concat("", ["the sending account ", data.governance.lib.ctx.transfer.sender_address, " is not KYC verified"])) if {
	data.governance.lib.ctx.call.write
	sender_owned
	not data.governance.lib.ctx.doc.parties.sender.kyc == "verified"
}

# ---- writes: sanctions ------------------------------------------------------------------------
# Read once per decision (a rule is memoised, a data.reference path is not).
sanctions := data.governance.lib.ctx.ref("sanctions")

# The addresses screened: sender, recipient, and the transaction's `from` and `to` (the
# contract of a token call).
screened contains a if {
	some a in {data.governance.lib.ctx.transfer.sender_address, data.governance.lib.ctx.transfer.recipient_address}
	a != ""
}

screened contains a if {
	tx := data.governance.lib.ctx.doc.tx
	some field in ["from", "to"]
	x := tx[field]
	is_string(x)
	a := lower(x)
	a != ""
}

sanctioned contains a if {
	data.governance.lib.ctx.call.write
	some a in screened
	sanctions[a]
}

# Both sides of every effect, at any depth, and both sides of every approval.
screened contains a if {
	data.governance.lib.ctx.call.write
	some e in data.governance.lib.ctx.effects
	some side in ["from", "to"]
	a := data.governance.lib.ctx.effect_address(e, side)
	a != ""
}

screened contains a if {
	data.governance.lib.ctx.call.write
	some e in data.governance.lib.ctx.approvals
	some side in ["owner", "spender"]
	a := data.governance.lib.ctx.effect_address(e, side)
	a != ""
}

# Parties of effects and approvals the gateway flagged itself.
sanctioned contains a if {
	data.governance.lib.ctx.call.write
	some e in array.concat(data.governance.lib.ctx.effects, data.governance.lib.ctx.approvals)
	some side in ["from", "to", "owner", "spender"]
	entity := e[side]
	entity.sanctioned == true
	a := lower(data.governance.lib.ctx.str(object.get(entity, "address", "")))
}

# Entities the gateway flagged itself.
sanctioned contains a if {
	data.governance.lib.ctx.call.write
	parties := data.governance.lib.ctx.doc.parties
	some side in ["sender", "recipient"]
	entity := parties[side]
	entity.sanctioned == true
	a := lower(data.governance.lib.ctx.str(object.get(entity, "address", "")))
}

# The reason cites the list that names the party (data/sanction_lists.json), not one fixed list.
deny contains data.governance.lib.reasons.detail("SANCTIONED_PARTY", jurisdiction, list_regulation(l), concat("", [a, " is on the ", list_name(l)])) if {
	data.governance.lib.ctx.call.write
	some a in sanctioned
	l := listing(a)
}

# The list naming `a` ("" when only the gateway flagged it, e.g. in a test input).
listing(a) := l if {
	l := sanctions[a].list
	is_string(l)
} else := ""

lists := data.governance.lib.ctx.ref("sanction_lists")

list_name(l) := n if {
	n := lists[l].name
	is_string(n)
} else := "sanctions list"

list_regulation(l) := r if {
	r := lists[l].regulation
	is_string(r)
} else := citation("SANCTIONED_PARTY")

# ---- writes: travel-rule names screened against the lists' names ----------------------------
# The gateway scores each originator and beneficiary name against every listed name and alias
# (governance/policy/screening.py); data/screening.json sets the score that is a match.
name_match_threshold := t if {
	t := data.governance.lib.ctx.ref("screening").name_match_threshold
	is_number(t)
} else := 90

deny contains data.governance.lib.reasons.detail("SANCTIONED_NAME_MATCH", jurisdiction, list_regulation(m.list), msg) if {
	data.governance.lib.ctx.call.write
	some m in data.governance.lib.ctx.arr(data.governance.lib.ctx.obj(data.governance.lib.ctx.doc.screening).matches)
	data.governance.lib.ctx.num(m.score) >= name_match_threshold
	msg := sprintf("%v name \"%v\" matches \"%v\" on the %v (score %v, threshold %v)", [m.role, object.get(m, "name", "(masked)"), m.listed_name, list_name(m.list), m.score, name_match_threshold])
}

# ---- writes: replay protection ------------------------------------------------------------
# A signed transaction must carry this ledger's chain id (EIP-155). A raw transaction without
# one (pre-EIP-155) is replayable on any chain and is refused. eth_sendTransaction is signed
# by the node with its own chain id, so there only a chain id that is present must match.
deny contains reason("CHAIN_ID_MISMATCH", "pre-EIP-155 transaction without a chain id (replayable)") if {
	data.governance.lib.ctx.call.write
	data.governance.lib.ctx.transfer.has_tx
	data.governance.lib.ctx.transfer.tx_chain_id == null
	not data.governance.lib.ctx.doc.request.method == "eth_sendTransaction"
}

deny contains reason("CHAIN_ID_MISMATCH", sprintf("transaction chain id %v, ledger chain id %v", [t.tx_chain_id, t.ledger_chain_id])) if {
	data.governance.lib.ctx.call.write
	t := data.governance.lib.ctx.transfer
	t.has_tx
	t.tx_chain_id != null
	t.tx_chain_id != t.ledger_chain_id
}

# ---- reads of raw node state ----------------------------------------------------------------
# Storage slots, proofs and traces show every holder's balances at once and cannot be redacted
# party by party, so only roles that may see everything about the contract make them
# (`input.read.raw_state`, gateway method table): each role below with the scope it needs.
# `input.read.contract` is the contract as the entity directory knows it (null when the call
# does not name it, e.g. a trace by transaction hash: then only `any` roles pass).
raw_state_roles := {"admin": "any", "auditor": "org", "regulator": "jurisdiction"}

raw_state_reader if {
	some role, scope in raw_state_roles
	data.governance.lib.ctx.has_role(role)
	raw_state_scope(scope)
}

raw_state_scope("any") := true

raw_state_scope("org") if {
	org := data.governance.lib.ctx.subject_org
	org != ""
	data.governance.lib.ctx.doc.read.contract.org == org
}

raw_state_scope("jurisdiction") if {
	j := data.governance.lib.ctx.subject_jurisdiction
	j != ""
	data.governance.lib.ctx.covers(j, data.governance.lib.ctx.code(data.governance.lib.ctx.doc.read.contract.jurisdiction))
}

deny contains reason("ROLE_FORBIDDEN", concat("", [data.governance.lib.ctx.method, " reads raw node state: admin, an auditor of the contract's organisation or a regulator of its jurisdiction only"])) if {
	data.governance.lib.ctx.doc.read.raw_state == true
	not raw_state_reader
}

# ---- writes: effects (fail closed on what cannot be seen or valued) -----------------------
# A write is decided on its simulated effects (DESIGN.md section 4): a simulation that could
# not run, failed or reverted leaves nothing to decide on.
simulation := data.governance.lib.ctx.obj(object.get(data.governance.lib.ctx.doc, "simulation", {}))

simulation_statuses := {"ok", "off", "reverted", "unavailable"}

simulation_reason := concat("", [": ", r]) if {
	r := simulation.reason
	is_string(r)
	r != ""
} else := ""

deny contains reason("SIMULATION_UNAVAILABLE", concat("", ["the write could not be simulated", simulation_reason])) if {
	data.governance.lib.ctx.call.write
	data.governance.lib.ctx.transfer.has_tx
	is_object(data.governance.lib.ctx.doc.simulation)
	not object.get(simulation, "status", null) in (simulation_statuses - {"unavailable"})
}

deny contains reason("SIMULATION_UNAVAILABLE", "the write carries no simulation result") if {
	data.governance.lib.ctx.call.write
	data.governance.lib.ctx.transfer.has_tx
	not is_object(object.get(data.governance.lib.ctx.doc, "simulation", null))
}

deny contains reason("SIMULATION_REVERTED", concat("", ["the simulated write reverted", simulation_reason])) if {
	data.governance.lib.ctx.call.write
	simulation.status == "reverted"
}

deny contains reason("UNKNOWN_ASSET", concat("", [
	data.governance.lib.ctx.str(object.get(asset, "symbol", "")), " (",
	data.governance.lib.ctx.str(object.get(asset, "contract", "native")), ") has no assets.json entry or no rate",
])) if {
	data.governance.lib.ctx.call.write
	some e in data.governance.lib.ctx.unvalued_effects
	asset := data.governance.lib.ctx.obj(object.get(e, "asset", {}))
}

# The contract registry: policies/data/contracts.json (address -> {name, kind, org,
# jurisdiction}) and the gateway's `input.contracts` entries marked registered.
registry := data.governance.lib.ctx.ref("contracts")

registered(a) if registry[a]

registered(a) if {
	some c in data.governance.lib.ctx.arr(object.get(data.governance.lib.ctx.doc, "contracts", []))
	lower(data.governance.lib.ctx.str(object.get(c, "address", ""))) == a
	c.registered == true
}

# With simulation switched off nothing shows what a contract does with value: a call with
# calldata or value is allowed only to a registered contract (a plain transfer, without
# calldata, to an address of the entity directory stays allowed).
deny contains reason("UNREGISTERED_CONTRACT", concat("", ["simulation is off and ", to, " is not a registered contract"])) if {
	data.governance.lib.ctx.call.write
	simulation.status == "off"
	to := lower(data.governance.lib.ctx.str(object.get(data.governance.lib.ctx.tx, "to", "")))
	moves_value_to_unregistered(to)
}

calldata if {
	s := data.governance.lib.ctx.doc.tx.selector
	is_string(s)
	s != ""
}

moves_value_to_unregistered(to) if {
	calldata
	not registered(to)
}

moves_value_to_unregistered(to) if {
	not calldata
	data.governance.lib.ctx.value_moves
	not registered(to)
	not data.governance.lib.ctx.doc.parties.recipient.known == true
}
