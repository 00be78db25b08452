# Velocity limits and large-value reports, driven by data/jurisdictions.json:
#
#   "daily_limit": {"currency": "USD", "limits": {"individual": 50000, "institution": 5000000,
#                   "vasp": 5000000}, "regulation": "..."}
#   "reports": [{"kind": "large_value", "threshold": 10000, "currency": "USD", "op": "gt",
#                "scope": "any|cross_border|domestic", "entity_kinds": ["individual"],
#                "asset_classes": [...], "side": "payment|receipt",
#                "cumulative": "daily", "regulation": "..."}]
#
# Limits and cumulative reports compare the figures of the person whose funds move, in the
# jurisdiction's own local day (input.aggregates.by_jurisdiction[j], docs/policy-input.md).
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
	data.governance.lib.amounts.total_exceeds(spent(j, "person_daily_usd"), daily_limit_usd(j))
}

# Figure `name` of the person whose funds move, in jurisdiction `j`'s local day and year.
spent(j, name) := data.governance.lib.ctx.num(object.get(data.governance.lib.ctx.obj(object.get(data.governance.lib.ctx.transfer.aggregates, j, {})), name, 0))

# The kind of the customer the reporting institution in `j` acts for: the caller when the
# caller is in `j`, otherwise the sending entity.
# For a receipt, the recipient.
customer_kind(j, spec) := data.governance.lib.ctx.transfer.recipient_kind if side(spec) == "receipt"
else := data.governance.lib.ctx.transfer.subject_kind if data.governance.lib.ctx.subject_in(j)
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
else := true if customer_kind(j, spec) in data.governance.lib.ctx.arr(object.get(spec, "entity_kinds", []))

class_ok(spec) if count(data.governance.lib.ctx.arr(object.get(spec, "asset_classes", []))) == 0
else := true if {
	some class in data.governance.lib.ctx.transfer.asset_classes
	class in data.governance.lib.ctx.arr(object.get(spec, "asset_classes", []))
}

side(spec) := object.get(spec, "side", "payment")

# A payment is reported on the originating side (caller or sender in `j`); a receipt where a
# recipient or beneficiary is in `j` and the money comes from elsewhere.
side_ok(j, spec) if {
	side(spec) == "payment"
	data.governance.lib.ctx.originates_in(j)
} else := true if {
	side(spec) == "receipt"
	data.governance.lib.ctx.call.write
	j in data.governance.lib.ctx.transfer.receipt_jurisdictions
	not j in data.governance.lib.ctx.transfer.origin_jurisdictions
}

# The transfer alone meets the threshold, or (`"cumulative": "daily"`) the person's total of
# the local day in `j` within the spec's scope plus this transfer does: splitting a transfer
# does not avoid the report.
amount_meets(j, spec) if data.governance.lib.amounts.meets(spec)
else := true if {
	spec.cumulative == "daily"
	data.governance.lib.amounts.total_meets(spec, cumulative_usd(j, spec))
}

cumulative_usd(j, spec) := spent(j, "person_daily_cross_border_usd") if spec.scope == "cross_border"
else := spent(j, "person_daily_usd") - spent(j, "person_daily_cross_border_usd") if spec.scope == "domestic"
else := spent(j, "person_daily_usd")

# Reports owed in `j` for this write.
reports(j) := {r |
	data.governance.lib.ctx.transfer.value_transfer
	some x in report_specs(j)
	spec := data.governance.lib.ctx.obj(x)
	side_ok(j, spec)
	scope_ok(spec)
	kind_ok(j, spec)
	class_ok(spec)
	amount_meets(j, spec)
	r := {
		"kind": data.governance.lib.ctx.str(object.get(spec, "kind", "large_value")),
		"jurisdiction": j,
		"regulation": data.governance.lib.ctx.str(object.get(spec, "regulation", "")),
	}
}
