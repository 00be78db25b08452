# China (mainland): supervision. Travel rule, large-value reports and the daily velocity limit; every
# figure comes from data/jurisdictions.json "CN" (see docs/policies.md).
package governance.jurisdictions.cn.supervision

import rego.v1

import data.governance.lib.amounts
import data.governance.lib.ctx
import data.governance.lib.limits
import data.governance.lib.reasons
import data.governance.lib.travel

J := "CN"

default require_travel_rule := false

require_travel_rule if travel.required(J)

problems := travel.problems(J)

deny contains reasons.make("TRAVEL_RULE_MISSING", J, travel.regulation(J)) if {
	travel.required(J)
	not travel.present
}

deny contains reasons.detail("TRAVEL_RULE_INVALID", J, travel.regulation(J), concat("; ", sort([p | some p in problems]))) if {
	travel.required(J)
	travel.present
	count(problems) > 0
}

deny contains reasons.make("DAILY_LIMIT_EXCEEDED", J, limits.daily_regulation(J)) if {
	limits.daily_limit_exceeded(J)
}

report contains r if {
	some r in limits.reports(J)
}

# Virtual-currency ban: a caller or sending account in mainland China may not deal in the asset
# classes listed under "banned_assets" (approvals included: they enable a transfer).
banned_assets := ctx.obj(object.get(ctx.jurisdiction(J), "banned_assets", {}))

deny contains reasons.detail("VIRTUAL_CURRENCY_BANNED", J, ctx.str(object.get(banned_assets, "regulation", "")), concat("", [ctx.str(object.get(ctx.asset, "symbol", "")), " (", ctx.asset_class, ") may not be transferred by a party in mainland China"])) if {
	ctx.is_write
	ctx.asset_class in ctx.arr(object.get(banned_assets, "asset_classes", []))
	J in {ctx.subject_jurisdiction, ctx.sender_jurisdiction}
}

# Annual FX quota of individuals, counted on cross-border outflows (aggregates already
# committed this calendar year plus this transfer).
fx_quota := ctx.obj(object.get(ctx.jurisdiction(J), "fx_quota", {}))

fx_quota_usd := amounts.usd(object.get(fx_quota, "annual_individual", 0), ctx.str(object.get(fx_quota, "currency", "")))

deny contains reasons.make("FX_QUOTA_EXCEEDED", J, ctx.str(object.get(fx_quota, "regulation", ""))) if {
	ctx.value_transfer
	ctx.subject_jurisdiction == J
	ctx.subject_kind == "individual"
	ctx.cross_border
	amounts.total_exceeds(ctx.annual_cross_border_usd, fx_quota_usd)
}
