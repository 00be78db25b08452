# Licensing of virtual-asset service providers, driven by data/jurisdictions.json:
#
#   "licensing": {"regimes": [{"regime": "EU MiCA CASP"},
#                             {"regime": "EU national VASP registration", "until": "2026-07-01"}],
#                 "regulation": "...",
#                 "clients_abroad_only": {"from": "2025-06-30", "regulation": "..."}}
#
# A VASP established in `j` (a party's directory jurisdiction, EU member states counting as
# "EU") that is the sender or the recipient of a value transfer needs a licence of one of `j`'s
# regimes that is active and valid on the request day (`request.day`, ISO dates compare as
# strings): `valid_until` on or after the day, or null (no expiry); a regime with an `until` day counts
# only before it. So does the caller's own firm when the caller acts as a
# VASP (subject entity kind "vasp"), judged on the directory entries of its org. From
# `clients_abroad_only.from`, an entity serving clients abroad only is refused whatever it holds.
package governance.lib.licensing

import rego.v1

config(j) := data.governance.lib.ctx.entry(j, "licensing")

regulation(j) := data.governance.lib.ctx.str(object.get(config(j), "regulation", ""))

abroad_config(j) := data.governance.lib.ctx.obj(object.get(config(j), "clients_abroad_only", {}))

abroad_regulation(j) := data.governance.lib.ctx.str(object.get(abroad_config(j), "regulation", ""))

day := data.governance.lib.ctx.day

# `j`'s regime named `name` counts on the request day.
regime_counts(j, name) if {
	some r in data.governance.lib.ctx.arr(object.get(config(j), "regimes", []))
	r.regime == name
	before_until(r)
}

before_until(r) if object.get(r, "until", null) == null

before_until(r) if day < r.until

# An active licence valid on the request day.
valid_licence(l) if {
	l.status == "active"
	l.valid_until == null
}

valid_licence(l) if {
	l.status == "active"
	is_string(l.valid_until)
	l.valid_until >= day
}

licensed(j, e) if {
	some l in data.governance.lib.ctx.arr(object.get(e, "licences", []))
	valid_licence(l)
	regime_counts(j, l.regime)
}

# Serving clients abroad only, on or after the day `j` stops allowing it.
abroad_only(j, e) if {
	e.clients_abroad_only == true
	from := abroad_config(j).from
	is_string(from)
	day >= from
}

# The entity is established in `j`.
home(j, e) if j in data.governance.lib.ctx.with_groups({data.governance.lib.ctx.code(e.jurisdiction)})

# VASP parties established in `j`, where `j` licenses: the sender or recipient of a value
# transfer, and either side of a value movement the simulation found (a contract that pays a
# VASP).
vasp_parties(j) := transfer_vasps(j) | effect_vasps(j)

transfer_vasps(j) := {e |
	count(config(j)) > 0
	data.governance.lib.ctx.transfer.value_transfer
	some side in ["sender", "recipient"]
	e := data.governance.lib.ctx.doc.parties[side]
	e.known == true
	e.entity_kind == "vasp"
	home(j, e)
}

effect_vasps(j) := {e |
	count(config(j)) > 0
	some x in data.governance.lib.ctx.effects
	some side in ["from", "to"]
	e := x[side]
	e.known == true
	e.entity_kind == "vasp"
	home(j, e)
}

# Addresses of VASP parties in `j` without a licence `j` accepts on the request day.
unlicensed(j) := {e.address | some e in vasp_parties(j); not licensed(j, e)}

# Addresses of VASP parties in `j` that serve clients abroad only, from the day `j` refuses it.
abroad(j) := {e.address | some e in vasp_parties(j); abroad_only(j, e)}

# The caller's firm: the directory entries of its org with entity kind "vasp".
firm := [e |
	org := data.governance.lib.ctx.subject_org
	org != ""
	some e in data.governance.lib.ctx.directory_vasps
	e.org == org
]

# The caller acts as a VASP in `j` and its firm holds no licence `j` accepts on the request day.
firm_unlicensed(j) if {
	count(config(j)) > 0
	data.governance.lib.ctx.transfer.value_transfer
	data.governance.lib.ctx.doc.subject.entity_kind == "vasp"
	j in data.governance.lib.ctx.with_groups({data.governance.lib.ctx.subject_jurisdiction})
	count([e | some e in firm; licensed(j, e)]) == 0
}

# The caller acts as a VASP in `j` and its firm serves clients abroad only, from the day `j`
# refuses it.
firm_abroad(j) if {
	count(abroad_config(j)) > 0
	data.governance.lib.ctx.transfer.value_transfer
	data.governance.lib.ctx.doc.subject.entity_kind == "vasp"
	j in data.governance.lib.ctx.with_groups({data.governance.lib.ctx.subject_jurisdiction})
	some e in firm
	abroad_only(j, e)
}

# Who `j` refuses for want of a licence: VASP parties' addresses, and "the caller's firm".
refused(j) := unlicensed(j) | {"the caller's firm" | firm_unlicensed(j)}

# Who `j` refuses for serving clients abroad only.
refused_abroad(j) := abroad(j) | {"the caller's firm" | firm_abroad(j)}

message(j, who) := concat("", ["no ", j, " licence valid on ", day, ": ", concat(", ", sort([w | some w in who]))])
