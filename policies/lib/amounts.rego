# Threshold arithmetic. Thresholds live in data/jurisdictions.json in local currency and are
# converted to USD with data/rates.json here; no amount is hard-coded in a rule.
package governance.lib.amounts

import rego.v1

# Read once per decision (a rule is memoised, a data.reference path is not).
rates := data.governance.lib.ctx.ref("rates")

# USD value of `amount` units of `currency`. A currency without a rate converts to 0, which
# makes every threshold in it apply to every amount (fail closed); `governance policy check`
# reports such a currency.
usd(amount, currency) := v if {
	rate := rates[currency]
	is_number(rate)
	v := data.governance.lib.ctx.num(amount) * rate
} else := 0

# A threshold spec {threshold, currency, op}: op "gt" means strictly above, anything else
# at or above.
spec_usd(spec) := usd(object.get(spec, "threshold", 0), data.governance.lib.ctx.str(object.get(spec, "currency", "")))

reaches(threshold_usd) if data.governance.lib.ctx.transfer.unvalued

reaches(threshold_usd) if data.governance.lib.ctx.transfer.amount_usd >= threshold_usd

exceeds(threshold_usd) if data.governance.lib.ctx.transfer.unvalued

exceeds(threshold_usd) if data.governance.lib.ctx.transfer.amount_usd > threshold_usd

meets(spec) if {
	spec.op == "gt"
	exceeds(spec_usd(spec))
}

meets(spec) if {
	not spec.op == "gt"
	reaches(spec_usd(spec))
}

# `already + this transfer` goes over `limit_usd`.
total_exceeds(already, limit_usd) if data.governance.lib.ctx.transfer.unvalued

total_exceeds(already, limit_usd) if already + data.governance.lib.ctx.transfer.amount_usd > limit_usd
