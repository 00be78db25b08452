# Cross-border personal-data rules for reads, driven by data/jurisdictions.json `data_transfer`:
#
#   {"regulation": "...", "protects": ["individual"], "default": "restrict" | "allow",
#    "adequate": ["JP", ...], "restricted_destinations": [...], "bases": ["scc", ...],
#    "foreign_authorities": {"forbidden": true, "regulation": "..."}}
#
# A read touches the personal data of a party when the party is named in the params
# (input.read.parties). Jurisdiction `j` protects parties it covers whose entity kind is in
# `protects`. The caller may receive such a party's data when any of these holds:
#   - the caller's organisation is the party's organisation (a counterparty sees its own);
#   - the caller is in `j` (domestic; a regulator of `j` sees `j`'s data);
#   - the destination is not restricted and either `default` is "allow", the caller's
#     jurisdiction is in `adequate`, or the caller's organisation has a transfer basis in
#     data/transfer_bases.json of an accepted type, from `j` to the caller's jurisdiction,
#     that has not expired (expires >= request.day, ISO dates compared as strings).
package governance.lib.scope

import rego.v1

config(j) := data.governance.lib.ctx.obj(object.get(data.governance.lib.ctx.jurisdiction(j), "data_transfer", {}))

regulation(j) := data.governance.lib.ctx.str(object.get(config(j), "regulation", ""))

reader := data.governance.lib.ctx.subject_jurisdiction

protects(j, p) if {
	data.governance.lib.ctx.is_read
	data.governance.lib.ctx.covers(j, data.governance.lib.ctx.code(object.get(p, "jurisdiction", "")))
	object.get(p, "entity_kind", "") in data.governance.lib.ctx.arr(object.get(config(j), "protects", ["individual"]))
}

own_party(p) if {
	data.governance.lib.ctx.subject_org != ""
	object.get(p, "org", null) == data.governance.lib.ctx.subject_org
}

restricted_destination(j) if reader in data.governance.lib.ctx.arr(object.get(config(j), "restricted_destinations", []))

adequate(j) if reader in data.governance.lib.ctx.arr(object.get(config(j), "adequate", []))

has_basis(j) if {
	some b in data.governance.lib.ctx.arr(object.get(data.governance.lib.ctx.ref("transfer_bases"), data.governance.lib.ctx.subject_org, []))
	basis := data.governance.lib.ctx.obj(b)
	object.get(basis, "basis", "") in data.governance.lib.ctx.arr(object.get(config(j), "bases", []))
	data.governance.lib.ctx.covers(j, data.governance.lib.ctx.code(object.get(basis, "from", "")))
	data.governance.lib.ctx.code(object.get(basis, "to", "")) == reader
	expires := data.governance.lib.ctx.str(object.get(basis, "expires", ""))
	expires >= data.governance.lib.ctx.day
}

may_receive(j, p) if own_party(p)

may_receive(j, p) if data.governance.lib.ctx.covers(j, reader)

may_receive(j, p) if {
	not restricted_destination(j)
	object.get(config(j), "default", "restrict") == "allow"
}

may_receive(j, p) if {
	not restricted_destination(j)
	adequate(j)
}

may_receive(j, p) if {
	not restricted_destination(j)
	has_basis(j)
}

# Some protected party's data may not reach the caller as is.
restricted(j) if {
	some p in data.governance.lib.ctx.read_parties
	protects(j, p)
	not may_receive(j, p)
}

foreign_authorities(j) := data.governance.lib.ctx.obj(object.get(config(j), "foreign_authorities", {}))

# A regulator of another jurisdiction asks for data `j` protects and forbids handing to
# foreign authorities without approval.
foreign_regulator(j) if {
	object.get(foreign_authorities(j), "forbidden", false) == true
	data.governance.lib.ctx.has_role("regulator")
	not data.governance.lib.ctx.covers(j, reader)
	some p in data.governance.lib.ctx.read_parties
	protects(j, p)
	not own_party(p)
}
