# China (mainland): supervision. Large-value reports, the daily velocity limit, the virtual-currency
# ban and the FX quota; every figure comes from data/jurisdictions.json "CN" (see docs/policies.md).
# No travel rule: VASP business is illegal in mainland China (the ban below).
package governance.jurisdictions.cn.supervision

import rego.v1

import data.governance.lib.amounts
import data.governance.lib.limits
import data.governance.lib.reasons

J := "CN"

deny contains reasons.make("DAILY_LIMIT_EXCEEDED", J, limits.daily_regulation(J)) if {
	limits.daily_limit_exceeded(J)
}

report contains r if {
	some r in limits.reports(J)
}

# Virtual-currency ban: a caller or sending account in mainland China may not deal in the asset
# classes listed under "banned_assets" (approvals included: they enable a transfer).
deny contains reasons.detail("VIRTUAL_CURRENCY_BANNED", J, data.governance.lib.ctx.str(object.get(banned, "regulation", "")), concat("", [data.governance.lib.ctx.str(object.get(data.governance.lib.ctx.asset, "symbol", "")), " (", class, ") may not be transferred by a party in mainland China"])) if {
	data.governance.lib.ctx.call.write
	J in {data.governance.lib.ctx.call.subject_jurisdiction, data.governance.lib.ctx.transfer.sender_jurisdiction}
	banned := data.governance.lib.ctx.obj(object.get(data.governance.lib.ctx.jurisdiction(J), "banned_assets", {}))
	some class in data.governance.lib.ctx.transfer.asset_classes
	class in data.governance.lib.ctx.arr(object.get(banned, "asset_classes", []))
}

# Both sides: virtual currency delivered to or taken from a PRC individual is banned whoever
# sends it, for the transaction's recipient and for every effect of the write.
deny contains reasons.detail("VIRTUAL_CURRENCY_BANNED", J, data.governance.lib.ctx.str(object.get(banned, "regulation", "")), concat("", [data.governance.lib.ctx.str(object.get(data.governance.lib.ctx.asset, "symbol", "")), " (", class, ") may not be delivered to an individual in mainland China"])) if {
	data.governance.lib.ctx.call.write
	prc_individual(data.governance.lib.ctx.recipient)
	banned := data.governance.lib.ctx.obj(object.get(data.governance.lib.ctx.jurisdiction(J), "banned_assets", {}))
	class := data.governance.lib.ctx.transfer.asset_class
	class in data.governance.lib.ctx.arr(object.get(banned, "asset_classes", []))
}

deny contains reasons.detail("VIRTUAL_CURRENCY_BANNED", J, data.governance.lib.ctx.str(object.get(banned, "regulation", "")), concat("", [symbol, " (", class, ") moved from ", data.governance.lib.ctx.effect_address(e, "from"), " to ", data.governance.lib.ctx.effect_address(e, "to"), ": a party is an individual in mainland China"])) if {
	data.governance.lib.ctx.call.write
	some e in data.governance.lib.ctx.effects
	some side in ["from", "to"]
	prc_individual(data.governance.lib.ctx.effect_party(e, side))
	banned := data.governance.lib.ctx.obj(object.get(data.governance.lib.ctx.jurisdiction(J), "banned_assets", {}))
	class := data.governance.lib.ctx.effect_class(e)
	class in data.governance.lib.ctx.arr(object.get(banned, "asset_classes", []))
	symbol := data.governance.lib.ctx.str(object.get(data.governance.lib.ctx.obj(object.get(e, "asset", {})), "symbol", ""))
}

prc_individual(entity) if {
	entity.entity_kind == "individual"
	data.governance.lib.ctx.code(object.get(entity, "jurisdiction", null)) == J
}

# Annual FX quota of individuals, counted against the individual whose funds move, whoever
# calls: cross-border outflows already committed this calendar year (China Standard Time) by
# that person plus this transfer.
deny contains reasons.make("FX_QUOTA_EXCEEDED", J, data.governance.lib.ctx.str(object.get(quota, "regulation", ""))) if {
	data.governance.lib.ctx.transfer.value_transfer
	funds_of_individual
	leaves_mainland
	quota := data.governance.lib.ctx.obj(object.get(data.governance.lib.ctx.jurisdiction(J), "fx_quota", {}))
	quota_usd := amounts.usd(object.get(quota, "annual_individual", 0), data.governance.lib.ctx.str(object.get(quota, "currency", "")))
	amounts.total_exceeds(limits.spent(J, "person_annual_cross_border_usd"), quota_usd)
}

# The funds belong to a mainland individual: the sending account's owner when the directory
# knows it (an institution moving its customer's funds), else the caller.
funds_of_individual if {
	data.governance.lib.ctx.transfer.sender_known
	data.governance.lib.ctx.transfer.sender_kind == "individual"
	data.governance.lib.ctx.transfer.sender_jurisdiction == J
}

funds_of_individual if {
	not data.governance.lib.ctx.transfer.sender_known
	data.governance.lib.ctx.call.subject_jurisdiction == J
	data.governance.lib.ctx.transfer.subject_kind == "individual"
}

# Cross-border for the caller, or a recipient or beneficiary outside mainland China.
leaves_mainland if data.governance.lib.ctx.transfer.cross_border

leaves_mainland if count(data.governance.lib.ctx.transfer.receipt_jurisdictions - {J}) > 0
