# Velocity limits and large-value reports, driven by data/jurisdictions.json:
#
#   "daily_limit": {"currency": "USD", "limits": {"individual": 50000, "institution": 5000000,
#                   "vasp": 5000000}, "regulation": "..."}
#   "reports": [{"kind": "large_value", "threshold": 10000, "currency": "USD", "op": "gt",
#                "scope": "any|cross_border|domestic", "entity_kinds": ["individual"],
#                "asset_classes": [...], "regulation": "..."}]
package governance.lib.limits

import rego.v1

daily_config(j) := data.governance.lib.ctx.entry(j, "daily_limit")

# The `reports` of jurisdiction `j`, [] when absent.
report_specs(j) := specs if {
	cfg := data.governance.lib.ctx.jurisdiction(j)
	specs := cfg.reports
	is_array(specs)
} else := []

daily_regulation(j) := data.governance.lib.ctx.str(object.get(daily_config(j), "regulation", ""))

# The caller's limit; a caller of unknown kind gets the individual limit (the strictest).
daily_limit_usd(j) := limit * data.governance.lib.amounts.rate(object.get(cfg, "currency", "")) if {
	cfg := daily_config(j)
	limits := data.governance.lib.ctx.obj(object.get(cfg, "limits", {}))
	limit := object.get(limits, data.governance.lib.ctx.transfer.subject_kind, object.get(limits, "individual", null))
	is_number(limit)
}

# Limits bind the caller in its own jurisdiction (EU limits bind callers in member states).
daily_limit_exceeded(j) if {
	data.governance.lib.ctx.transfer.value_transfer
	data.governance.lib.ctx.subject_in(j)
	data.governance.lib.amounts.total_exceeds(data.governance.lib.ctx.transfer.daily_usd, daily_limit_usd(j))
}

# The kind of the customer the reporting institution in `j` acts for: the caller when the
# caller is in `j`, otherwise the sending entity.
customer_kind(j) := data.governance.lib.ctx.transfer.subject_kind if data.governance.lib.ctx.subject_in(j)
else := data.governance.lib.ctx.str(object.get(data.governance.lib.ctx.sender, "entity_kind", ""))

scope_ok(spec) if object.get(spec, "scope", "any") == "any"
else := true if {
	spec.scope == "cross_border"
	data.governance.lib.ctx.transfer.cross_border
} else := true if {
	spec.scope == "domestic"
	not data.governance.lib.ctx.transfer.cross_border
}

kind_ok(j, spec) if count(data.governance.lib.ctx.arr(object.get(spec, "entity_kinds", []))) == 0
else := true if customer_kind(j) in data.governance.lib.ctx.arr(object.get(spec, "entity_kinds", []))

class_ok(spec) if count(data.governance.lib.ctx.arr(object.get(spec, "asset_classes", []))) == 0
else := true if {
	some class in data.governance.lib.ctx.transfer.asset_classes
	class in data.governance.lib.ctx.arr(object.get(spec, "asset_classes", []))
}

# Reports owed by the originating side in `j` for this write.
reports(j) := {r |
	data.governance.lib.ctx.transfer.value_transfer
	some x in report_specs(j)
	data.governance.lib.ctx.originates_in(j)
	spec := data.governance.lib.ctx.obj(x)
	scope_ok(spec)
	kind_ok(j, spec)
	class_ok(spec)
	data.governance.lib.amounts.meets(spec)
	r := {
		"kind": data.governance.lib.ctx.str(object.get(spec, "kind", "large_value")),
		"jurisdiction": j,
		"regulation": data.governance.lib.ctx.str(object.get(spec, "regulation", "")),
	}
}
