# Threshold arithmetic. Thresholds live in data/jurisdictions.json in local currency and are
# converted to USD with data/rates.json here; no amount is hard-coded in a rule.
package governance.lib.amounts

import rego.v1

# Read once per decision (a rule is memoised, a data.reference path is not).
rates := data.governance.lib.ctx.ref("rates")

# USD value of `amount` units of `currency`. A currency without a rate converts to 0, which
# makes every threshold in it apply to every amount (fail closed); `governance policy check`
# reports such a currency.
usd(amount, currency) := data.governance.lib.ctx.num(amount) * rate(currency)

# USD per unit of `currency`; 0 without a rate (or when `currency` is not a string).
rate(currency) := r if {
	r := rates[currency]
	is_number(r)
} else := 0

# A threshold spec {threshold, currency, op}: op "gt" means strictly above, anything else
# at or above.
spec_usd(spec) := data.governance.lib.ctx.num(object.get(spec, "threshold", 0)) * rate(object.get(spec, "currency", ""))

reaches(threshold_usd) if data.governance.lib.ctx.transfer.unvalued
else := true if data.governance.lib.ctx.transfer.amount_usd >= threshold_usd

# The travel rule compares the largest sum paid to one beneficiary.
travel_reaches(threshold_usd) if data.governance.lib.ctx.transfer.unvalued
else := true if data.governance.lib.ctx.transfer.travel_amount_usd >= threshold_usd

exceeds(threshold_usd) if data.governance.lib.ctx.transfer.unvalued
else := true if data.governance.lib.ctx.transfer.amount_usd > threshold_usd

meets(spec) if {
	spec.op == "gt"
	exceeds(spec_usd(spec))
} else := true if {
	not spec.op == "gt"
	reaches(spec_usd(spec))
}

# `already + this transfer` goes over `limit_usd`.
total_exceeds(already, limit_usd) if data.governance.lib.ctx.transfer.unvalued
else := true if already + data.governance.lib.ctx.transfer.amount_usd > limit_usd

# `already + this transfer` meets the threshold spec (op as in `meets`).
total_meets(spec, already) if data.governance.lib.ctx.transfer.unvalued
else := true if {
	spec.op == "gt"
	already + data.governance.lib.ctx.transfer.amount_usd > spec_usd(spec)
} else := true if {
	not spec.op == "gt"
	already + data.governance.lib.ctx.transfer.amount_usd >= spec_usd(spec)
}
