# United Kingdom: supervision. Travel rule, large-value reports and the daily velocity limit; every
# figure comes from data/jurisdictions.json "UK" (see docs/policies.md).
package governance.jurisdictions.uk.supervision

import rego.v1

import data.governance.lib.limits
import data.governance.lib.reasons
import data.governance.lib.travel

J := "UK"

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
