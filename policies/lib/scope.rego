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

import data.governance.lib.ctx

config(j) := ctx.obj(object.get(ctx.jurisdiction(j), "data_transfer", {}))

regulation(j) := ctx.str(object.get(config(j), "regulation", ""))

reader := ctx.subject_jurisdiction

protects(j, p) if {
	ctx.is_read
	ctx.covers(j, ctx.code(object.get(p, "jurisdiction", "")))
	object.get(p, "entity_kind", "") in ctx.arr(object.get(config(j), "protects", ["individual"]))
}

own_party(p) if {
	ctx.subject_org != ""
	object.get(p, "org", null) == ctx.subject_org
}

restricted_destination(j) if reader in ctx.arr(object.get(config(j), "restricted_destinations", []))

adequate(j) if reader in ctx.arr(object.get(config(j), "adequate", []))

has_basis(j) if {
	some b in ctx.arr(object.get(ctx.ref("transfer_bases"), ctx.subject_org, []))
	basis := ctx.obj(b)
	object.get(basis, "basis", "") in ctx.arr(object.get(config(j), "bases", []))
	ctx.covers(j, ctx.code(object.get(basis, "from", "")))
	ctx.code(object.get(basis, "to", "")) == reader
	expires := ctx.str(object.get(basis, "expires", ""))
	expires >= ctx.day
}

may_receive(j, p) if own_party(p)

may_receive(j, p) if ctx.covers(j, reader)

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
	some p in ctx.read_parties
	protects(j, p)
	not may_receive(j, p)
}

foreign_authorities(j) := ctx.obj(object.get(config(j), "foreign_authorities", {}))

# A regulator of another jurisdiction asks for data `j` protects and forbids handing to
# foreign authorities without approval.
foreign_regulator(j) if {
	object.get(foreign_authorities(j), "forbidden", false) == true
	ctx.has_role("regulator")
	not ctx.covers(j, reader)
	some p in ctx.read_parties
	protects(j, p)
	not own_party(p)
}
