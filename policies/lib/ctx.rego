# Safe accessors for the policy input (docs/policy-input.md) and the reference data.
#
# Every other module reads the input through this package, never `input` directly, so that:
# - a missing or null field never makes a rule undefined (each accessor has a default), and
# - tests can replace the whole document with `with data.governance.lib.ctx.doc as {...}`
#   (replacing `input` itself with `with input as {...}` crashes regopy 1.5.2).
package governance.lib.ctx

import rego.v1

doc := input

# ---- type guards -----------------------------------------------------------------------
obj(x) := x if is_object(x)
else := {}

arr(x) := x if is_array(x)
else := []

str(x) := x if is_string(x)
else := ""

num(x) := x if is_number(x)
else := 0

# A jurisdiction code in upper case, "" when absent. Codes listed under a jurisdiction's
# `aliases` in data/jurisdictions.json map to it (the ISO code GB maps to the package UK).
code(x) := object.get(aliases, upper(str(x)), upper(str(x)))

aliases := {k: v |
	some j
	cfg := data.reference.jurisdictions[j]
	is_object(cfg)
	some a in arr(object.get(cfg, "aliases", []))
	k := upper(str(a))
	v := j
}

# ---- reference data ----------------------------------------------------------------------
ref(name) := obj(object.get(data.reference, name, {}))

jurisdiction(j) := obj(object.get(ref("jurisdictions"), j, {}))

eu_members := {m | some m in arr(object.get(jurisdiction("EU"), "members", []))}

# A set of country codes plus "EU" when any of them is an EU member state.
with_groups(codes) := codes | {"EU" | some c in codes; c in eu_members}

# The countries a jurisdiction package speaks for: "EU" covers its member states.
covers(j, c) if {
	c != ""
	j == c
}

covers("EU", c) if c in eu_members

# ---- input sections ----------------------------------------------------------------------
request := obj(object.get(doc, "request", {}))

subject := obj(object.get(doc, "subject", {}))

tx := obj(object.get(doc, "tx", {}))

parties := obj(object.get(doc, "parties", {}))

sender := obj(object.get(parties, "sender", {}))

recipient := obj(object.get(parties, "recipient", {}))

aggregates := obj(object.get(doc, "aggregates", {}))

read := obj(object.get(doc, "read", {}))

read_parties := [p | some x in arr(object.get(read, "parties", [])); p := obj(x)]

travel_rule := obj(object.get(doc, "travel_rule", {}))

travel_rule_present if is_object(object.get(doc, "travel_rule", null))

travel_rule_errors := [e | some e in arr(object.get(doc, "travel_rule_errors", []))]

# ---- request -----------------------------------------------------------------------------
kind := str(object.get(request, "kind", ""))

method := str(object.get(request, "method", ""))

day := str(object.get(request, "day", ""))

is_write if kind == "write"

is_read if kind == "read"

# ---- subject -----------------------------------------------------------------------------
subject_jurisdiction := code(object.get(subject, "jurisdiction", ""))

subject_org := str(object.get(subject, "org", ""))

subject_kind := str(object.get(subject, "entity_kind", ""))

roles := {r | some r in arr(object.get(subject, "roles", [])); is_string(r)}

has_role(r) if r in roles

# ---- parties -----------------------------------------------------------------------------
sender_jurisdiction := code(object.get(sender, "jurisdiction", ""))

recipient_jurisdiction := code(object.get(recipient, "jurisdiction", ""))

sender_address := a if {
	a := lower(str(object.get(sender, "address", "")))
	a != ""
} else := lower(str(object.get(tx, "from", "")))

recipient_address := lower(str(object.get(recipient, "address", "")))

known(entity) if object.get(entity, "known", false) == true

self_hosted(entity) if object.get(entity, "self_hosted", false) == true

# Jurisdictions with a nexus to a write: the caller's, the sender's and the recipient's (plus
# "EU" for member states). For a read only the caller's.
write_jurisdictions := with_groups({j | some j in [subject_jurisdiction, sender_jurisdiction, recipient_jurisdiction]; j != ""})

origin_jurisdictions := with_groups({j | some j in [subject_jurisdiction, sender_jurisdiction]; j != ""})

# The jurisdiction `j` is a party to this write (any side).
involves(j) if {
	is_write
	j in write_jurisdictions
}

# The jurisdiction `j` is on the originating side (caller or sender).
originates_in(j) if {
	is_write
	j in origin_jurisdictions
}

subject_in(j) if covers(j, subject_jurisdiction)

# ---- the transfer ------------------------------------------------------------------------
asset := obj(object.get(tx, "asset", {}))

asset_class := c if {
	c := str(object.get(asset, "class", ""))
	c != ""
} else := "unknown"

amount_usd := num(object.get(tx, "amount_usd", 0))

token_call := str(object.get(tx, "token_call", ""))

token_transfer if object.get(tx, "token_transfer", false) == true

# Unknown recipients count as cross-border (docs/policy-input.md); so does a missing flag.
cross_border if object.get(tx, "cross_border", true) != false

value_moves if {
	v := str(object.get(tx, "value", "0"))
	v != "0"
	v != ""
}

# Title documents carry no monetary value of their own; every other class does.
value_bearing if asset_class != "trade_document"

# A value-bearing asset moved without a known USD rate: every amount test treats it as above
# its threshold (fail closed) until rates.json has a rate for it.
unvalued if {
	is_write
	object.get(tx, "rate_known", true) == false
	value_moves
	value_bearing
}

# A write that moves value (an ERC-20 approve moves nothing).
value_transfer if {
	is_write
	token_transfer
}

value_transfer if {
	is_write
	token_call != "approve"
	amount_usd > 0
}

value_transfer if {
	token_call != "approve"
	unvalued
}

# ---- aggregates --------------------------------------------------------------------------
daily_usd := num(object.get(aggregates, "subject_daily_usd", 0))

annual_cross_border_usd := num(object.get(aggregates, "subject_annual_cross_border_usd", 0))
