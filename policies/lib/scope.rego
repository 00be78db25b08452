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
#
# `restricted_in` and `foreign_regulator_in` are computed once per decision for every
# jurisdiction covering a party of the read; `restricted(J)` only looks the answer up.
package governance.lib.scope

import rego.v1

config(j) := data.governance.lib.ctx.entry(j, "data_transfer")

regulation(j) := data.governance.lib.ctx.str(object.get(config(j), "regulation", ""))

reader := data.governance.lib.ctx.subject_jurisdiction

# The parties of the read with the jurisdictions covering each: its own code and "EU" for a
# member state.
covered contains [j, p] if {
	data.governance.lib.ctx.call.read
	some p in data.governance.lib.ctx.read_parties
	c := data.governance.lib.ctx.code(object.get(p, "jurisdiction", ""))
	some j in data.governance.lib.ctx.with_groups({c})
	data.governance.lib.ctx.covers(j, c)
}

# The pairs [j, p] of `covered` where `j` protects the personal data of party `p`.
protected contains pair if {
	some pair in covered
	j := pair[0]
	p := pair[1]
	object.get(p, "entity_kind", "") in data.governance.lib.ctx.arr(object.get(config(j), "protects", ["individual"]))
}

own_party(p) if {
	org := data.governance.lib.ctx.doc.subject.org
	is_string(org)
	org != ""
	p.org == org
}

# Read once per decision (a rule is memoised, a data.reference path is not).
bases := data.governance.lib.ctx.arr(object.get(data.governance.lib.ctx.ref("transfer_bases"), data.governance.lib.ctx.subject_org, []))

# `cfg` is the data_transfer entry of `j`.
has_basis_in(j, cfg) if {
	some b in bases
	basis := data.governance.lib.ctx.obj(b)
	object.get(basis, "basis", "") in data.governance.lib.ctx.arr(object.get(cfg, "bases", []))
	data.governance.lib.ctx.covers(j, data.governance.lib.ctx.code(object.get(basis, "from", "")))
	data.governance.lib.ctx.code(object.get(basis, "to", "")) == reader
	expires := data.governance.lib.ctx.str(object.get(basis, "expires", ""))
	expires >= data.governance.lib.ctx.day
}

# Whatever the party: the caller is in `j`, or the destination is not restricted and the
# default, the adequacy list or a transfer basis allows it.
open_to_reader(j) if data.governance.lib.ctx.covers(j, reader)
else := true if {
	cfg := config(j)
	not reader in data.governance.lib.ctx.arr(object.get(cfg, "restricted_destinations", []))
	allowed_for_reader(j, cfg)
}

allowed_for_reader(j, cfg) if object.get(cfg, "default", "restrict") == "allow"
else := true if reader in data.governance.lib.ctx.arr(object.get(cfg, "adequate", []))
else := true if has_basis_in(j, cfg)

# The jurisdictions of the read's protected parties that are open to the caller.
open_jurisdictions contains j if {
	some pair in protected
	j := pair[0]
	open_to_reader(j)
}

# The jurisdictions some of whose protected parties' data may not reach the caller as is.
restricted_in contains j if {
	some pair in protected
	p := pair[1]
	not own_party(p)
	j := pair[0]
	not j in open_jurisdictions
}

# Some protected party's data may not reach the caller as is.
restricted(j) if j in restricted_in

foreign_authorities(j) := data.governance.lib.ctx.obj(object.get(config(j), "foreign_authorities", {}))

# The jurisdictions whose protected data a regulator of another jurisdiction asks for, where
# handing it to foreign authorities without approval is forbidden.
foreign_regulator_in contains j if {
	data.governance.lib.ctx.has_role("regulator")
	some pair in protected
	j := pair[0]
	object.get(foreign_authorities(j), "forbidden", false) == true
	not data.governance.lib.ctx.covers(j, reader)
	p := pair[1]
	not own_party(p)
}

# A regulator of another jurisdiction asks for data `j` protects and forbids handing to
# foreign authorities without approval.
foreign_regulator(j) if j in foreign_regulator_in
