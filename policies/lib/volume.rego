# Export volumes (CAC Provisions on Promoting and Regulating Cross-Border Data Flows, 22 Mar
# 2024, arts. 7-8). The gateway counts, per caller organisation and calendar year in China, the
# distinct individuals whose personal data left the jurisdiction through it, and sends the count
# with every decision that would carry such data abroad (input.exports, this decision's
# individuals included; null when the decision carries none; docs/policy-input.md). The
# jurisdiction's `data_transfer.volume` sets the tiers: from `contract_individuals` individuals,
# or with any sensitive one, the organisation needs a basis of `contract_bases`; from
# `assessment_individuals` individuals or `assessment_sensitive` sensitive ones, a basis of
# `assessment_bases`, for every destination of the data; a contract-tier basis of a kind in
# `filing_required` counts only when filed. Below both tiers nothing is added to the other
# rules (a read still needs a basis, lib/scope.rego). Writes are counted but never refused
# here: they are payments, which art. 5(1) exempts.
package governance.lib.volume

import rego.v1

config(j) := data.governance.lib.ctx.obj(object.get(data.governance.lib.scope.config(j), "volume", {}))

exports := e if {
	e := data.governance.lib.ctx.doc.exports
	is_object(e)
}

individuals := data.governance.lib.ctx.num(object.get(exports, "individuals", 0))

sensitive := data.governance.lib.ctx.num(object.get(exports, "sensitive", 0))

# The tier ("assessment" or "contract") whose basis the caller's organisation lacks, for a read
# whose protected data reaches a caller abroad as is (a redacted or refused read is the remedy
# for a missing basis already). Writes are payments, exempt from the tiers (art. 5(1) of the
# Provisions): they are counted, never refused here.
read_short_of(j, tier) if {
	data.governance.lib.ctx.is_read
	is_object(exports)
	not data.governance.lib.ctx.covers(j, data.governance.lib.scope.reader)
	not data.governance.lib.scope.restricted(j)
	short_of(j, tier)
}

needs_assessment(j) if individuals >= config(j).assessment_individuals

needs_assessment(j) if sensitive >= config(j).assessment_sensitive

needs_contract(j) if individuals >= config(j).contract_individuals

needs_contract(j) if sensitive > 0

short_of(j, "assessment") if {
	needs_assessment(j)
	not holds(j, "assessment")
}

short_of(j, "contract") if {
	not needs_assessment(j)
	needs_contract(j)
	not holds(j, "contract")
}

# An unexpired basis of the tier to where the data goes: the reader's jurisdiction (the tiers
# bind reads only).
holds(j, tier) if basis_to(j, tier, data.governance.lib.scope.reader)

basis_to(j, tier, destination) if {
	accepted := data.governance.lib.ctx.arr(object.get(config(j), concat("", [tier, "_bases"]), []))
	some b in data.governance.lib.scope.bases
	basis := data.governance.lib.ctx.obj(b)
	object.get(basis, "basis", "") in accepted
	data.governance.lib.ctx.covers(j, data.governance.lib.ctx.code(object.get(basis, "from", "")))
	data.governance.lib.ctx.code(object.get(basis, "to", "")) == destination
	data.governance.lib.ctx.str(object.get(basis, "expires", "")) >= data.governance.lib.ctx.day
	filed_for(j, tier, basis)
}

# From the contract tier on, a basis of a kind in `filing_required` (the CN standard contract)
# counts only once filed (`"filed": true` in transfer_bases.json).
filed_for(_, "assessment", _) := true

filed_for(j, "contract", basis) if not object.get(basis, "basis", "") in data.governance.lib.ctx.arr(object.get(config(j), "filing_required", []))

filed_for(_, "contract", basis) if object.get(basis, "filed", false) == true
