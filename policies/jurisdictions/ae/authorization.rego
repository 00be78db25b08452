# United Arab Emirates: authorization. The baseline rules (policies/lib/baseline.rego: method table, roles, KYC,
# ownership of the sending address, sanctions, chain id) cite the instruments below when the
# caller is in AE.
package governance.jurisdictions.ae.authorization

import rego.v1

import data.governance.lib.counterparty
import data.governance.lib.reasons

J := "AE"

citations := {
	"KYC_REQUIRED": "Cabinet Resolution No. 10 of 2019, art. 5 (customer due diligence)",
	"SENDER_NOT_OWNED": "Cabinet Resolution No. 10 of 2019, art. 5 (customer due diligence)",
}

# Recipients unknown to the directory, where data/jurisdictions.json "AE" has
# "counterparty": {"require_known": true}.
deny contains reasons.make("UNKNOWN_COUNTERPARTY", J, counterparty.regulation(J)) if {
	counterparty.unknown_recipient(J)
}
