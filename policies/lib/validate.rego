# The shape of the input (docs/policy-input.md): every field a rule reads, with the types the
# gateway sends. A field that is missing, null where a value is required, or of another type is
# named in `invalid`, and lib/baseline.rego refuses the call with INPUT_INVALID: no rule may
# fall back to a default that allows what the complete input would refuse (a dropped
# `read.residency` would drop a jurisdiction, a null amount a limit). A missing nullable field
# reads as null, which is how the rules read it too.
package governance.lib.validate

import rego.v1

# Types are literal sets, a nullable field's with "null": the tables are rebuilt on every
# decision, and a helper function would add a call per field (docs/policies.md, "Performance").
entity := {
	"address": {"string"},
	"org": {"string", "null"},
	"jurisdiction": {"string", "null"},
	"entity_kind": {"string", "null"},
	"kyc": {"string", "null"},
	"sanctioned": {"boolean"},
	"self_hosted": {"boolean"},
	"known": {"boolean"},
	"licences": {"array"},
	"clients_abroad_only": {"boolean"},
}

# An item of an entity's `licences` (the policy reads no licence number).
licence := {
	"regime": {"string"},
	"status": {"string"},
	"valid_until": {"string", "null"},
}

asset := {
	"symbol": {"string", "null"},
	"class": {"string", "null"},
	"contract": {"string", "null"},
	"decimals": {"number", "null"},
}

fields := {
	"": {
		"request": {"object"},
		"subject": {"object"},
		"tx": {"object", "null"},
		"parties": {"object"},
		"travel_rule_errors": {"array"},
		"aggregates": {"object"},
		"read": {"object", "null"},
		"simulation": {"object", "null"},
		"effects": {"array"},
		"approvals": {"array"},
		"contracts": {"array"},
		"screening": {"object", "null"},
		"exports": {"object", "null"},
	},
	# The caller's organisation's export volume (docs/policy-input.md, "exports").
	"exports": {
		"org": {"string"},
		"year": {"string"},
		"individuals": {"number"},
		"sensitive": {"number"},
	},
	"screening": {
		"lists": {"array"},
		"matches": {"array"},
	},
	"request": {
		"method": {"string"},
		"kind": {"string"},
		"day": {"string"},
		"year": {"string"},
		"chain_id": {"number"},
		"decode_error": {"string", "null"},
	},
	"subject": {
		"sub": {"string"},
		"org": {"string"},
		"jurisdiction": {"string"},
		"roles": {"array"},
		"entity_kind": {"string"},
		"kyc": {"string"},
	},
	"aggregates": {
		"person": {"string", "null"},
		"person_30d_usd": {"number"},
		"by_jurisdiction": {"object"},
	},
	"tx": {
		"from": {"string"},
		"to": {"string", "null"},
		"nonce": {"number", "null"}, # eth_sendTransaction may leave it to the node
		"chain_id": {"number", "null"},
		"value": {"string"},
		"asset": {"object"},
		"amount_usd": {"number"},
		"rate_known": {"boolean"},
		"selector": {"string", "null"},
		"token_transfer": {"boolean"},
		"token_call": {"string", "null"},
		"cross_border": {"boolean"},
	},
	"tx.asset": asset,
	"parties.sender": entity,
	"parties.recipient": entity,
	"read": {
		"params": {"array"},
		"parties": {"array"},
		"residency": {"array"},
		"raw_state": {"boolean"},
		"contract": {"object", "null"},
		"phase": {"string", "null"},
		"item": {"string", "null"},
	},
	"read.contract": entity,
	"simulation": {
		"mode": {"string"},
		"status": {"string"},
		"reason": {"string", "null"},
	},
}

# Objects that must be there whenever their parent is (a write's parties).
required_objects := {"parties.sender", "parties.recipient"}

document := object_or_empty(data.governance.lib.ctx.doc)

object_or_empty(x) := x if is_object(x)
else := {}

joined(path, name) := name if path == ""
else := concat(".", [path, name])

invalid contains "input" if not is_object(data.governance.lib.ctx.doc)

# Each section read once per decision (a rule is memoised, a function call is not), by its
# dotted path ("" is the input itself; null when absent): object.get follows a path given as
# an array in one call, cheaper than a helper function looking up one name at a time.
sections[""] := data.governance.lib.ctx.doc

sections[path] := object.get(document, split(path, "."), null) if {
	some path, _ in fields
	path != ""
}

# The request section, an object ({} when it is not one).
request := object_or_empty(sections.request)

# The arrays whose items are checked, by path (a path whose value is not an array is absent).
arrays[path] := x if {
	some path in ["subject.roles", "read.residency", "travel_rule_errors", "read.parties", "effects", "approvals", "screening.matches", "contracts"]
	x := object.get(document, split(path, "."), null)
	is_array(x)
}

invalid contains joined(path, name) if {
	some path, spec in fields
	section := sections[path]
	is_object(section)
	some name, types in spec
	not type_name(object.get(section, name, null)) in types
}

# A decoded write carries its transaction; a read (or an unknown method) its read section.
invalid contains "tx" if {
	request.kind == "write"
	not is_string(object.get(request, "decode_error", null))
	not is_object(sections.tx)
}

# A write carries the screening of its travel-rule names (the gateway sends it for every
# write, with or without a payload): without it a listed name would pass unseen.
invalid contains "screening" if {
	request.kind == "write"
	not is_object(sections.screening)
}

invalid contains "read" if {
	request.kind in {"read", "unknown"}
	not is_object(sections.read)
}

# A decoded write is attributed to a person and carries that person's figures for every
# jurisdiction of the reference data, each in its own local day and year: a jurisdiction
# without them would read its limits as nothing spent.
invalid contains "aggregates.person" if {
	decoded_write
	not is_string(object.get(object_or_empty(sections.aggregates), "person", null))
}

invalid contains concat(".", ["aggregates.by_jurisdiction", j]) if {
	decoded_write
	by_jurisdiction := object_or_empty(object.get(object_or_empty(sections.aggregates), "by_jurisdiction", null))
	some j, cfg in data.governance.lib.ctx.jurisdictions
	is_object(cfg)
	not valid(object.get(by_jurisdiction, j, null), figures)
}

figures := {
	"day": {"string"},
	"year": {"string"},
	"person_daily_usd": {"number"},
	"person_annual_usd": {"number"},
	"person_daily_cross_border_usd": {"number"},
	"person_annual_cross_border_usd": {"number"},
}

decoded_write if {
	request.kind == "write"
	not is_string(object.get(request, "decode_error", null))
}

# The parties of a write: both sides are entities.
invalid contains path if {
	is_object(sections.tx)
	some path in required_objects
	not is_object(sections[path])
}

# Items of the arrays: effects, approvals, contracts, read parties, roles, residency.
invalid contains concat("", [name, "[", format_int(i, 10), "]"]) if {
	some name in ["subject.roles", "read.residency", "travel_rule_errors"]
	some i, x in arrays[name]
	not is_string(x)
}

invalid contains concat("", ["read.parties[", format_int(i, 10), "]"]) if {
	some i, p in arrays["read.parties"]
	not valid(p, entity)
}

invalid contains concat("", ["effects[", format_int(i, 10), "]"]) if {
	some i, e in arrays["effects"]
	not valid_effect(e)
}

invalid contains concat("", ["approvals[", format_int(i, 10), "]"]) if {
	some i, a in arrays["approvals"]
	not valid_approval(a)
}

invalid contains concat("", ["screening.matches[", format_int(i, 10), "]"]) if {
	some i, m in arrays["screening.matches"]
	not valid(m, name_match)
}

# A name match; its `name` (the payload's) is masked in stored records, so replays read null.
name_match := {
	"role": {"string"},
	"name": {"string", "null"},
	"list": {"string"},
	"listed_name": {"string"},
	"score": {"number"},
}

invalid contains concat("", ["contracts[", format_int(i, 10), "]"]) if {
	some i, c in arrays["contracts"]
	not valid(c, contract)
}

# `x` is an object whose fields have the types of `spec`.
valid(x, spec) if {
	is_object(x)
	every name, types in spec {
		type_name(object.get(x, name, null)) in types
	}
}

effect := {
	"kind": {"string"},
	"asset": {"object"},
	"from": {"object"},
	"to": {"object"},
	"value": {"string"},
	"token_id": {"string", "null"},
	"amount_usd": {"number", "null"},
	"depth": {"number"},
}

effect_asset := object.union(asset, {"known": {"boolean"}})

valid_effect(e) if {
	valid(e, effect)
	valid(e.asset, effect_asset)
	valid(e.from, entity)
	valid(e.to, entity)
}

approval := {
	"kind": {"string"},
	"owner": {"object"},
	"spender": {"object"},
	"asset": {"object"},
	"amount": {"string", "null"},
	"approved": {"boolean"},
}

valid_approval(a) if {
	valid(a, approval)
	valid(a.asset, effect_asset)
	valid(a.owner, entity)
	valid(a.spender, entity)
}

contract := {
	"address": {"string"},
	"registered": {"boolean"},
	"name": {"string", "null"},
	"kind": {"string", "null"},
	"org": {"string", "null"},
	"jurisdiction": {"string", "null"},
}

# An entity the directory knows carries its directory fields (only `org` may be null): a known
# party without its jurisdiction would take that jurisdiction's rules out of the decision.
directory_fields := ["jurisdiction", "entity_kind", "kyc"]

invalid contains concat(".", [p.path, name]) if {
	some p in placed_entities
	p.entity.known == true
	some name in directory_fields
	not is_string(object.get(p.entity, name, null))
}

placed_entities contains {"path": path, "entity": e} if {
	some path in ["parties.sender", "parties.recipient", "read.contract"]
	e := sections[path]
	is_object(e)
}

placed_entities contains {"path": concat("", ["read.parties[", format_int(i, 10), "]"]), "entity": e} if {
	some i, e in arrays["read.parties"]
	is_object(e)
}

placed_entities contains {"path": concat("", [name, "[", format_int(i, 10), "].", side]), "entity": e} if {
	some name in ["effects", "approvals"]
	some i, x in arrays[name]
	some side in ["from", "to", "owner", "spender"]
	e := x[side]
	is_object(e)
}

# The licences of every placed entity: a licence of another shape licenses nothing, so it is
# named rather than skipped.
invalid contains concat("", [p.path, ".licences[", format_int(i, 10), "]"]) if {
	some p in placed_entities
	licences := object.get(p.entity, "licences", [])
	is_array(licences)
	some i, l in licences
	not valid(l, licence)
}
