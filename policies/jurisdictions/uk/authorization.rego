# United Kingdom: authorization. The baseline rules (policies/lib/baseline.rego: method table, roles, KYC,
# ownership of the sending address, sanctions, chain id) cite the instruments below when the
# caller is in UK.
package governance.jurisdictions.uk.authorization

import rego.v1

import data.governance.lib.counterparty
import data.governance.lib.reasons

J := "UK"

citations := {
	"KYC_REQUIRED": "MLR 2017 (SI 2017/692), reg. 28 (customer due diligence measures)",
	"SENDER_NOT_OWNED": "MLR 2017 (SI 2017/692), reg. 28 (customer due diligence measures)",
}

# Recipients unknown to the directory, where data/jurisdictions.json "UK" has
# "counterparty": {"require_known": true}.
deny contains reasons.make("UNKNOWN_COUNTERPARTY", J, counterparty.regulation(J)) if {
	counterparty.unknown_recipient(J)
}
