# Switzerland: supervision. Travel rule, the daily velocity limit and the identification threshold
# for virtual-currency exchange; every
# figure comes from data/jurisdictions.json "CH" (see docs/policies.md).
package governance.jurisdictions.ch.supervision

import rego.v1

import data.governance.lib.amounts
import data.governance.lib.counterparty
import data.governance.lib.limits
import data.governance.lib.reasons
import data.governance.lib.travel

J := "CH"

# Each rule first asks the lib whether it applies (travel.required(J) looks up an answer
# computed once per decision); a reason and its message are built only when a rule holds.
default require_travel_rule := false

require_travel_rule if travel.required(J)

deny contains reasons.make("TRAVEL_RULE_MISSING", J, travel.regulation(J)) if {
	travel.required(J)
	not data.governance.lib.travel.present
}

deny contains reasons.detail("TRAVEL_RULE_INVALID", J, travel.regulation(J), concat("; ", sort([p | some p in problems]))) if {
	travel.required(J)
	data.governance.lib.travel.present
	problems := travel.problems(J)
	count(problems) > 0
}

deny contains reasons.make("DAILY_LIMIT_EXCEEDED", J, limits.daily_regulation(J)) if {
	limits.daily_limit_exceeded(J)
}

# Self-hosted addresses: ownership must be attested above the threshold in "self_hosted".
deny contains reasons.make("SELF_HOSTED_UNVERIFIED", J, counterparty.self_hosted_regulation(J)) if {
	counterparty.self_hosted_unverified(J)
}

# Identification for virtual-currency exchange: the person's transfers of the last 30 days
# (transactions that appear linked) plus this one reach the threshold in "identification", so
# the customer whose funds move (and the caller acting for it) must be identified.
deny contains reasons.detail("IDENTIFICATION_REQUIRED", J, data.governance.lib.ctx.str(object.get(spec, "regulation", "")), "the linked transfers of the last 30 days reach the identification threshold and the customer is not identified") if {
	data.governance.lib.ctx.transfer.value_transfer
	data.governance.lib.ctx.originates_in(J)
	spec := data.governance.lib.ctx.entry(J, "identification")
	some class in data.governance.lib.ctx.transfer.asset_classes
	class in data.governance.lib.ctx.arr(object.get(spec, "asset_classes", []))
	amounts.total_meets(spec, data.governance.lib.ctx.transfer.person_30d_usd)
	not identified
}

identified if {
	data.governance.lib.ctx.doc.subject.kyc == "verified"
	data.governance.lib.ctx.transfer.sender_known
	data.governance.lib.ctx.transfer.sender_kyc == "verified"
}
