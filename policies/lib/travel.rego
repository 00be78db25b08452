# The travel rule (FATF R.16) as data-driven checks. Each jurisdiction's supervision package
# calls `required(J)` and `problems(J)`; what differs by country (threshold tiers, currency,
# asset classes, required IVMS101 fields) lives in data/jurisdictions.json under `travel_rule`:
#
#   {"regulation": "...", "currency": "USD", "asset_classes": [...],
#    "tiers": [{"from": 3000,
#               "originator":  {"naturalPerson": [["name"], ["geographicAddress"]], "legalPerson": [...]},
#               "beneficiary": {"naturalPerson": [["name"]], "legalPerson": [["name"]]}}]}
#
# A payload is required once the amount reaches the lowest tier; the fields required are the
# union of every tier reached. Each field list is an any-of group: the person must carry at
# least one field of each group (a field counts when present and non-empty).
#
# `reached` and `required_in` are computed once per decision for every jurisdiction of the
# write (rules are memoised, functions are not); `required(J)` only looks the answer up.
package governance.lib.travel

import rego.v1

config(j) := data.governance.lib.ctx.entry(j, "travel_rule")

regulation(j) := data.governance.lib.ctx.str(object.get(config(j), "regulation", ""))

# The tiers of each jurisdiction of the write whose travel rule covers it, in data order,
# that the amount reaches (jurisdictions without a reached tier are absent).
reached := {j: ts |
	data.governance.lib.ctx.transfer.value_transfer
	some j in data.governance.lib.ctx.transfer.write_jurisdictions
	cfg := data.governance.lib.ctx.entry(j, "travel_rule")
	covered := data.governance.lib.ctx.arr(object.get(cfg, "asset_classes", []))
	some class in data.governance.lib.ctx.transfer.asset_classes
	class in covered
	rate := data.governance.lib.amounts.rate(data.governance.lib.ctx.str(object.get(cfg, "currency", "")))
	ts := [t |
		some x in data.governance.lib.ctx.arr(object.get(cfg, "tiers", []))
		t := data.governance.lib.ctx.obj(x)
		data.governance.lib.amounts.travel_reaches(data.governance.lib.ctx.num(object.get(t, "from", 0)) * rate)
	]
	count(ts) > 0
}

# The jurisdictions whose travel rule applies to this write.
required_in := {j | some j; reached[j]}

# The travel rule of `j` applies to this write.
required(j) if j in required_in

# A payload was sent (a header that failed to decode counts as sent, and invalid).
present if data.governance.lib.ctx.call.travel_rule_present

present if count(data.governance.lib.ctx.transfer.travel_rule_errors) > 0

persons_key := {"originator": "originatorPersons", "beneficiary": "beneficiaryPersons"}

party(side) := data.governance.lib.ctx.obj(object.get(data.governance.lib.ctx.travel_rule, side, {}))

# Each side of the payload and its persons, read once per decision (several checks read them;
# a rule is memoised, a function is not).
sides := {side: party(side) | some side in ["originator", "beneficiary"]}

side_persons := {side: data.governance.lib.ctx.arr(object.get(sides[side], persons_key[side], [])) | some side in ["originator", "beneficiary"]}

# A field counts when present and not one of these.
empty_values := {null, "", [], {}}

# Whether the account numbers of `side` name `address` (case-insensitive).
names_address(side, address) if {
	address != ""
	some a in data.governance.lib.ctx.arr(object.get(sides[side], "accountNumber", []))
	contains(lower(data.governance.lib.ctx.str(a)), address)
}

side_address := {"originator": data.governance.lib.ctx.transfer.sender_address, "beneficiary": data.governance.lib.ctx.transfer.recipient_address}

# Every problem that makes the payload invalid for jurisdiction `j` (empty when valid).
problems(j) := (((structural | accounts) | no_persons) | missing_fields(j)) | vasps

structural := {concat("", ["payload: ", e]) | some x in data.governance.lib.ctx.travel_rule_errors; e := data.governance.lib.ctx.str(x)}

accounts := {msg |
	data.governance.lib.ctx.call.travel_rule_present
	some side in ["originator", "beneficiary"]
	not names_address(side, side_address[side])
	msg := concat("", [side, ".accountNumber does not name ", side_address[side]])
}

missing_fields(j) := {msg |
	data.governance.lib.ctx.call.travel_rule_present
	some side in ["originator", "beneficiary"]
	key := persons_key[side]
	persons := side_persons[side]
	some i
	raw := persons[i]
	person := data.governance.lib.ctx.obj(raw)
	some kind in ["naturalPerson", "legalPerson"]
	body := data.governance.lib.ctx.obj(object.get(person, kind, null))
	count(body) > 0
	some tier in reached[j]
	groups := data.governance.lib.ctx.arr(object.get(data.governance.lib.ctx.obj(object.get(tier, side, {})), kind, []))
	some group in groups
	not any_field(body, group)
	msg := concat("", [side, ".", key, "[", format_int(i, 10), "].", kind, ": needs ", concat(" or ", group)])
}

no_persons := {msg |
	data.governance.lib.ctx.call.travel_rule_present
	some side in ["originator", "beneficiary"]
	count(side_persons[side]) == 0
	msg := concat("", [side, ": no persons"])
}

# `body` carries some field of `group`.
any_field(body, group) if {
	some field in data.governance.lib.ctx.arr(group)
	not object.get(body, field, null) in empty_values
}

# Ownership attestation for a self-hosted address (docs/policies.md, "selfHostedVerification"):
# travel_rule.<side>.selfHostedVerification = {"method": signature|micro_payment|attestation,
# "address": "0x...", "verifiedAt": "YYYY-MM-DD"} naming `address` and dated no later than today.
ownership_methods := {"signature", "micro_payment", "attestation"}

ownership_attested(side, address) if {
	address != ""
	v := data.governance.lib.ctx.obj(object.get(party(side), "selfHostedVerification", {}))
	lower(data.governance.lib.ctx.str(object.get(v, "address", ""))) == address
	object.get(v, "method", "") in ownership_methods
	verified := data.governance.lib.ctx.str(object.get(v, "verifiedAt", ""))
	verified != ""
	verified <= data.governance.lib.ctx.day
}

# ---- the VASPs of the payload (IVMS101 originatingVASP, beneficiaryVASP) ----------------------
# Each side's VASP is named as {"<key>": {"<key>": {"legalPerson": {"name": {"nameIdentifier":
# [{"legalPersonName": ...}]}, "nationalIdentification": {"nationalIdentifier": <LEI>,
# "nationalIdentifierType": "LEIX"}}}}}. The directory's VASP for an address is the entry itself
# when it is a VASP, else the VASPs of its org. Where the directory knows one, the payload must
# name it (by LEI or legal name; every LEI and name given must be that VASP's); an LEI the
# directory does not know, or a directory VASP named for an address it does not serve, is
# invalid too. Names compare case-insensitively with single spaces.
vasp_key := {"originator": "originatingVASP", "beneficiary": "beneficiaryVASP"}

directory := data.governance.lib.ctx.ref("entities")

directory_vasps := data.governance.lib.ctx.directory_vasps

directory_leis := {upper(l) |
	some e in directory_vasps
	l := e.lei
	is_string(l)
}

# The VASPs the directory knows for `address`: the entry itself, or its org's VASPs. (The org
# is a function's argument, not a variable of the comprehension: rego-cpp matched every VASP
# against an org bound in an `else` body.)
vasps_for(address) := [e] if {
	e := directory[address]
	is_object(e)
	e.entity_kind == "vasp"
} else := vasps_of_org(org_of(address))

org_of(address) := org if {
	e := directory[address]
	is_object(e)
	org := e.org
	is_string(org)
} else := null

vasps_of_org(org) := [v | some v in directory_vasps; v.org == org]

# The legal person the payload names as `side`'s VASP ({} when absent): object.get follows the
# whole path in one call.
named_vasp(side) := data.governance.lib.ctx.obj(object.get(data.governance.lib.ctx.travel_rule, [vasp_key[side], vasp_key[side], "legalPerson"], {}))

fold(s) := concat(" ", [w | some w in split(lower(trim_space(s)), " "); w != ""])

# The LEIs and the folded names of the legal person `p` (a named VASP).
named_leis(p) := {upper(l) |
	nid := data.governance.lib.ctx.obj(object.get(p, "nationalIdentification", {}))
	nid.nationalIdentifierType == "LEIX"
	l := nid.nationalIdentifier
	is_string(l)
}

named_names(p) := {fold(n) |
	name := data.governance.lib.ctx.obj(object.get(p, "name", {}))
	some x in data.governance.lib.ctx.arr(object.get(name, "nameIdentifier", []))
	n := data.governance.lib.ctx.obj(x).legalPersonName
	is_string(n)
}

# Per side, once per decision (a function is not memoised, and `is_vasp` runs per directory
# VASP): the LEIs and folded names the payload gives for the side's VASP, and the directory's
# VASPs of the side's address.
named := {side: vasp_names(named_vasp(side)) | some side in ["originator", "beneficiary"]}

vasp_names(p) := {"leis": named_leis(p), "names": named_names(p)}

served := {side: vasps_for(side_address[side]) | some side in ["originator", "beneficiary"]}

# The LEIs named for `side` (a function: rego-cpp mixed the two sides' bindings when a
# comprehension below read `named[side].leis` itself).
leis_named(side) := named[side].leis

names_some_vasp(side) if {
	n := named[side]
	count(n.leis) + count(n.names) > 0
}

# Every LEI and name the payload gives for `side` is directory VASP `v`'s.
is_vasp(side, v) if {
	n := named[side]
	count(n.leis) + count(n.names) > 0
	count({l | some l in n.leis; l != upper(data.governance.lib.ctx.str(object.get(v, "lei", "")))}) == 0
	count({x | some x in n.names; x != fold(data.governance.lib.ctx.str(object.get(v, "legal_name", "")))}) == 0
}

vasps := {msg |
	data.governance.lib.ctx.call.travel_rule_present
	some side in ["originator", "beneficiary"]
	some msg in vasp_problems(side, side_address[side])
}

# `address` is the side's (`side_address`), whose directory VASPs are `served[side]`. No local
# variables in these comprehensions: rego-cpp mixed the two sides' bindings with them.
vasp_problems(side, address) := {msg |
	count(served[side]) > 0
	not names_some_vasp(side)
	msg := concat("", [vasp_key[side], " is required: the directory knows the VASP of ", address])
} | {msg |
	some l in leis_named(side)
	not l in directory_leis
	msg := concat("", [vasp_key[side], ": LEI ", l, " is not in the entity directory"])
} | {msg |
	names_some_vasp(side)
	count(served[side]) > 0
	count([v | some v in served[side]; is_vasp(side, v)]) == 0
	msg := concat("", [vasp_key[side], " is not the directory's VASP of ", address])
} | {msg |
	names_some_vasp(side) # is_vasp needs it: without a name, no walk over the directory's VASPs
	count(served[side]) == 0
	count([v | some v in directory_vasps; is_vasp(side, v)]) > 0
	msg := concat("", [vasp_key[side], " names a directory VASP that does not serve ", address])
}
