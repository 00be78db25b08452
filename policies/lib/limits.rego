# Velocity limits and large-value reports, driven by data/jurisdictions.json:
#
#   "daily_limit": {"currency": "USD", "limits": {"individual": 50000, "institution": 5000000,
#                   "vasp": 5000000}, "regulation": "..."}
#   "reports": [{"kind": "large_value", "threshold": 10000, "currency": "USD", "op": "gt",
#                "scope": "any|cross_border|domestic", "entity_kinds": ["individual"],
#                "asset_classes": [...], "regulation": "..."}]
package governance.lib.limits

import rego.v1

import data.governance.lib.amounts
import data.governance.lib.ctx

daily_config(j) := ctx.obj(object.get(ctx.jurisdiction(j), "daily_limit", {}))

daily_regulation(j) := ctx.str(object.get(daily_config(j), "regulation", ""))

# The caller's limit; a caller of unknown kind gets the individual limit (the strictest).
daily_limit_usd(j) := amounts.usd(limit, ctx.str(object.get(cfg, "currency", ""))) if {
	cfg := daily_config(j)
	limits := ctx.obj(object.get(cfg, "limits", {}))
	limit := object.get(limits, ctx.subject_kind, object.get(limits, "individual", null))
	is_number(limit)
}

# Limits bind the caller in its own jurisdiction (EU limits bind callers in member states).
daily_limit_exceeded(j) if {
	ctx.value_transfer
	ctx.subject_in(j)
	amounts.total_exceeds(ctx.daily_usd, daily_limit_usd(j))
}

# The kind of the customer the reporting institution in `j` acts for: the caller when the
# caller is in `j`, otherwise the sending entity.
customer_kind(j) := ctx.subject_kind if ctx.subject_in(j)
else := ctx.str(object.get(ctx.sender, "entity_kind", ""))

scope_ok(spec) if object.get(spec, "scope", "any") == "any"

scope_ok(spec) if {
	object.get(spec, "scope", "any") == "cross_border"
	ctx.cross_border
}

scope_ok(spec) if {
	object.get(spec, "scope", "any") == "domestic"
	not ctx.cross_border
}

kind_ok(j, spec) if count(ctx.arr(object.get(spec, "entity_kinds", []))) == 0

kind_ok(j, spec) if customer_kind(j) in ctx.arr(object.get(spec, "entity_kinds", []))

class_ok(spec) if count(ctx.arr(object.get(spec, "asset_classes", []))) == 0

class_ok(spec) if ctx.asset_class in ctx.arr(object.get(spec, "asset_classes", []))

# Reports owed by the originating side in `j` for this write.
reports(j) := {r |
	ctx.value_transfer
	ctx.originates_in(j)
	some x in ctx.arr(object.get(ctx.jurisdiction(j), "reports", []))
	spec := ctx.obj(x)
	scope_ok(spec)
	kind_ok(j, spec)
	class_ok(spec)
	amounts.meets(spec)
	r := {
		"kind": ctx.str(object.get(spec, "kind", "large_value")),
		"jurisdiction": j,
		"regulation": ctx.str(object.get(spec, "regulation", "")),
	}
}
