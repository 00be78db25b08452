# Safe accessors for the policy input (docs/policy-input.md) and the reference data.
#
# Every other module reads the input through this package, never `input` directly, so that:
# - a missing or null field never makes a rule undefined (each accessor has a default), and
# - tests can replace the whole document with `with data.governance.lib.ctx.doc as {...}`
#   (replacing `input` itself with `with input as {...}` crashes regopy 1.5.2).
#
# Cost (docs/policies.md, "Performance"): on regorus the first reference from another package
# to each rule of this package costs a scan of every module, and a reference to
# `data.reference` costs it on every use. So other packages read the facts bundled in `call`
# and `transfer` (end of this file), `doc`, and the functions below, which read this package's
# rules by their local names (no scan). A comparison or membership test on a raw field
# (`data.governance.lib.ctx.doc.request.kind == "admin"`) needs no accessor: a missing field
# makes it undefined, exactly as a non-matching default would (negate the match,
# `not x == "verified"`, where a missing field must count as a mismatch).
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
code(x) := c if {
	is_string(x)
	u := upper(x)
	c := object.get(aliases, u, u)
} else := ""

aliases := {upper(a): j |
	some j
	cfg := jurisdictions[j]
	a := cfg.aliases[_]
	is_string(a)
}

# ---- reference data ----------------------------------------------------------------------
# The reference documents, read once per decision: a rule is memoised, a `data.reference`
# path is not.
reference := r if {
	r := data.reference
	is_object(r)
} else := {}

ref(name) := obj(object.get(reference, name, {}))

# The entity directory's VASP entries, in address order. The gateway lists them when it loads
# the reference data (data.reference.directory_vasps): a decision that walked the whole
# directory would cost more with every address it holds. Without that list (data loaded by
# another tool) the directory is walked.
directory_vasps := v if {
	v := reference.directory_vasps
	is_array(v)
} else := [e |
	some e in ref("entities")
	is_object(e)
	e.entity_kind == "vasp"
]

jurisdictions := ref("jurisdictions")

jurisdiction(j) := c if {
	c := jurisdictions[j]
	is_object(c)
} else := {}

# The `name` entry (an object) of jurisdiction `j`'s reference data, {} when absent.
entry(j, name) := c if {
	cfg := jurisdictions[j]
	c := cfg[name]
	is_object(c)
} else := {}

eu_members := m if {
	m := jurisdictions.EU.members
	is_array(m)
} else := []

# A set of country codes plus "EU" when any of them is an EU member state.
with_groups(codes) := codes | {"EU" | some c in codes; c in eu_members}

# The countries a jurisdiction package speaks for: "EU" covers its member states.
covers(j, c) if {
	c != ""
	j == c
} else := true if {
	j == "EU"
	c in eu_members
}

# ---- input sections ----------------------------------------------------------------------
# Each reads the raw document once with its own default; a field of a section that is not an
# object is missing, as in an empty object.
request := obj(object.get(doc, "request", {}))

subject := obj(object.get(doc, "subject", {}))

tx := obj(object.get(doc, "tx", {}))

parties := obj(object.get(doc, "parties", {}))

sender := obj(object.get(parties, "sender", {}))

recipient := obj(object.get(parties, "recipient", {}))

aggregates := obj(object.get(doc, "aggregates", {}))

read := obj(object.get(doc, "read", {}))

read_parties := [p |
	ps := doc.read.parties
	is_array(ps)
	some x in ps
	p := obj(x)
]

residency := r if {
	r := doc.read.residency
	is_array(r)
} else := []

travel_rule := obj(object.get(doc, "travel_rule", {}))

default travel_rule_present := false

travel_rule_present if is_object(doc.travel_rule)

travel_rule_errors := e if {
	e := doc.travel_rule_errors
	is_array(e)
} else := []

# ---- request -----------------------------------------------------------------------------
kind := k if {
	k := doc.request.kind
	is_string(k)
} else := ""

method := m if {
	m := doc.request.method
	is_string(m)
} else := ""

day := d if {
	d := doc.request.day
	is_string(d)
} else := ""

default is_write := false

is_write if doc.request.kind == "write"

default is_read := false

is_read if doc.request.kind == "read"

# ---- subject -----------------------------------------------------------------------------
subject_jurisdiction := code(j) if j := doc.subject.jurisdiction
else := ""

subject_org := o if {
	o := doc.subject.org
	is_string(o)
} else := ""

subject_kind := k if {
	k := doc.subject.entity_kind
	is_string(k)
} else := ""

roles := {r |
	rs := doc.subject.roles
	is_array(rs)
	some r in rs
	is_string(r)
}

has_role(r) if r in roles

# ---- parties -----------------------------------------------------------------------------
sender_jurisdiction := code(j) if j := doc.parties.sender.jurisdiction
else := ""

recipient_jurisdiction := code(j) if j := doc.parties.recipient.jurisdiction
else := ""

sender_address := a if {
	x := doc.parties.sender.address
	is_string(x)
	a := lower(x)
	a != ""
} else := a if {
	x := doc.tx.from
	is_string(x)
	a := lower(x)
} else := ""

recipient_address := a if {
	x := doc.parties.recipient.address
	is_string(x)
	a := lower(x)
} else := ""

known(entity) if entity.known == true

self_hosted(entity) if entity.self_hosted == true

# The jurisdictions of the call (decision.jurisdictions before groups): the caller's, each
# party's (the sender and recipient, and both sides of every effect of a write) and, for
# reads, the residency of the data.
call_jurisdictions := (party_jurisdictions | effect_jurisdictions) | {j |
	some r in residency
	j := code(r)
	j != ""
}

party_jurisdictions := {j |
	some j in {subject_jurisdiction, sender_jurisdiction, recipient_jurisdiction}
	j != ""
}

# Jurisdictions with a nexus to a write: the caller's, the sender's, the recipient's and those
# of both sides of every effect (plus "EU" for member states).
write_jurisdictions := with_groups(party_jurisdictions | effect_jurisdictions)

origin_jurisdictions := with_groups({j | some j in {subject_jurisdiction, sender_jurisdiction}; j != ""})

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
	c := doc.tx.asset.class
	is_string(c)
	c != ""
} else := "unknown"

tx_amount_usd := a if {
	a := doc.tx.amount_usd
	is_number(a)
} else := 0

# The amount limits, quotas and reports compare: the total leaving the caller's org.
amount_usd := tx_amount_usd if count(effects) == 0
else := max([tx_amount_usd, effects_outflow_usd])

# The amount the travel rule compares: the largest sum paid to one beneficiary.
travel_amount_usd := tx_amount_usd if count(effects) == 0
else := max([tx_amount_usd, largest_outflow_usd])

token_call := c if {
	c := doc.tx.token_call
	is_string(c)
} else := ""

token_transfer if doc.tx.token_transfer == true

# Unknown recipients count as cross-border (docs/policy-input.md); so does a missing flag.
default cross_border := true

cross_border := false if {
	doc.tx.cross_border == false
	not effects_cross_border
}

# The asset moves: `value` is a non-empty decimal string other than "0" (missing counts as "0").
value_moves if {
	v := doc.tx.value
	is_string(v)
	v != "0"
	v != ""
}

# Title documents carry no monetary value of their own; every other class does.
value_bearing if asset_class != "trade_document"

# A value-bearing asset moved without a known USD rate: every amount test treats it as above
# its threshold (fail closed) until rates.json has a rate for it. So is an effect that cannot
# be valued (the baseline also refuses it as UNKNOWN_ASSET).
default unvalued := false

unvalued if {
	is_write
	doc.tx.rate_known == false
	value_moves
	value_bearing
}

unvalued if {
	is_write
	count(unvalued_effects) > 0
}

# A write that moves value (an ERC-20 approve moves nothing).
default value_transfer := false

value_transfer if {
	is_write
	token_transfer
}

value_transfer if {
	is_write
	not doc.tx.token_call == "approve"
	amount_usd > 0
}

value_transfer if {
	not doc.tx.token_call == "approve"
	unvalued
}

value_transfer if {
	is_write
	effects_outflow_usd > 0
}

# ---- effects (docs/policy-input.md "effects") ------------------------------------------------
# Every value movement the simulation found. The amounts the rules compare are the larger of
# what `tx` shows and what leaves the caller's org according to the effects (fail closed).
effects := [e |
	is_write
	some x in arr(object.get(doc, "effects", []))
	e := obj(x)
]

approvals := [a |
	is_write
	some x in arr(object.get(doc, "approvals", []))
	a := obj(x)
]

effect_party(e, side) := obj(object.get(e, side, {}))

# (object.get follows a path in one call, cheaper than reading the party first)
effect_address(e, side) := lower(str(object.get(e, [side, "address"], "")))

effect_class(e) := c if {
	c := e.asset.class
	is_string(c)
	c != ""
} else := "unknown"

effect_jurisdictions := {j |
	count(effects) > 0
	some e in effects
	some side in ["from", "to"]
	j := code(object.get(e, [side, "jurisdiction"], null))
	j != ""
}

# Effects that cannot be valued: an asset the gateway does not know, or no USD amount for a
# value-bearing class (trade documents carry no monetary value of their own).
unvalued_effects := [e |
	some e in effects
	not_valued(e)
]

not_valued(e) if e.asset.known == false
else := true if {
	not is_number(object.get(e, "amount_usd", null))
	effect_class(e) != "trade_document"
}

# Whether an effect's party belongs to the caller's org.
in_subject_org(entity) if {
	subject_org != ""
	entity.org == subject_org
}

# An asset's key: its contract, "native" for the ledger's own asset.
asset_key(e) := lower(c) if {
	c := e.asset.contract
	is_string(c)
} else := "native"

# Each effect reduced once to what the amount rules need (functions are not memoised).
rows := [{"from": effect_address(e, "from"), "to": effect_address(e, "to"), "key": asset_key(e), "usd": num(object.get(e, "amount_usd", 0)), "external": external(effect_party(e, "to"))} | some e in effects]

external(entity) := false if in_subject_org(entity)
else := true

# Value leaving the caller's org, per beneficiary (address -> USD). Per asset, every address
# outside the org receives its net inflow: a contract that forwards what it receives (a
# multisend, a router) nets to zero and is not a beneficiary; the parties it pays are.
outflow := {a: usd |
	some a in {r.to | some r in rows; r.external}
	a != ""
	usd := sum([net |
		some k in {r.key | some r in rows}
		net := sum([r.usd | some r in rows; r.key == k; r.to == a]) - sum([r.usd | some r in rows; r.key == k; r.from == a])
		net > 0
	])
	usd > 0
}

# The beneficiaries' entities.
beneficiaries := {a: entity |
	some i, r in rows
	a := r.to
	outflow[a]
	entity := obj(object.get(effects[i], "to", {}))
}

effects_outflow_usd := sum([usd | some usd in outflow])

largest_outflow_usd := max(array.concat([0], [usd | some usd in outflow]))

# Asset classes moved by the write: the tx's and every effect's.
asset_classes := {asset_class} if count(effects) == 0
else := {asset_class} | {effect_class(e) | some e in effects}

# Some beneficiary of the effects is abroad (or unknown) from the caller's point of view.
effects_cross_border if {
	some a, entity in beneficiaries
	not code(object.get(entity, "jurisdiction", null)) == subject_jurisdiction
}

# ---- aggregates (docs/policy-input.md "aggregates") -----------------------------------------
# What the person whose funds move has spent, per jurisdiction (a package code: "EU" for the
# member states) in that jurisdiction's local day and year; lib/limits.rego `spent(j, name)`
# reads one figure. A missing figure reads 0 there; lib/validate.rego refuses a write whose
# aggregates lack a jurisdiction's figures, so no rule sees the default.
by_jurisdiction := obj(object.get(aggregates, "by_jurisdiction", {}))

person_30d_usd := num(object.get(aggregates, "person_30d_usd", 0))

# Jurisdictions on the receiving side of a write: the recipient's and every beneficiary's.
# (The beneficiaries' codes are a rule of their own: rego-cpp rejects a comprehension passed
# as a function argument.)
receipt_jurisdictions := with_groups({j |
	some j in array.concat([recipient_jurisdiction], beneficiary_codes)
	j != ""
})

beneficiary_codes := [c | some e in beneficiaries; c := code(object.get(e, "jurisdiction", null))]

# ---- facts in two rules -------------------------------------------------------------------
# What most rules read, bundled so that another package pays for one reference per bundle
# (docs/policies.md, "Performance"). Read a fact as data.governance.lib.ctx.call.<name> or
# data.governance.lib.ctx.transfer.<name>; a boolean fact is true or false.

# Facts of every call.
call := {
	"write": is_write,
	"read": is_read,
	"jurisdictions": call_jurisdictions,
	"subject_jurisdiction": subject_jurisdiction,
	"travel_rule_present": travel_rule_present,
}

# Facts of a write (evaluate only after `call.write`).
transfer := {
	"sender_address": sender_address,
	"recipient_address": recipient_address,
	"asset_class": asset_class,
	"asset_classes": asset_classes,
	"amount_usd": amount_usd,
	"travel_amount_usd": travel_amount_usd,
	"unvalued": unvalued,
	"value_transfer": value_transfer,
	"cross_border": cross_border,
	"sender_jurisdiction": sender_jurisdiction,
	"subject_kind": subject_kind,
	"sender_known": object.get(sender, "known", false) == true,
	"sender_kind": str(object.get(sender, "entity_kind", "")),
	"sender_kyc": str(object.get(sender, "kyc", "")),
	"recipient_kind": str(object.get(recipient, "entity_kind", "")),
	"person_30d_usd": person_30d_usd,
	"aggregates": by_jurisdiction,
	"origin_jurisdictions": origin_jurisdictions,
	"receipt_jurisdictions": receipt_jurisdictions,
	"write_jurisdictions": write_jurisdictions,
	"travel_rule_errors": travel_rule_errors,
	"has_tx": count(tx) > 0,
	"tx_chain_id": object.get(tx, "chain_id", null),
	"ledger_chain_id": object.get(request, "chain_id", null),
}
