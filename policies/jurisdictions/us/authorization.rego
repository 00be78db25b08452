# United States: authorization. The baseline rules (policies/lib/baseline.rego: method table, roles, KYC,
# ownership of the sending address, sanctions, chain id) cite the instruments below when the
# caller is in US.
package governance.jurisdictions.us.authorization

import rego.v1

import data.governance.lib.counterparty
import data.governance.lib.reasons

J := "US"

citations := {
	"KYC_REQUIRED": "31 CFR 1020.220 (customer identification programme) and 31 CFR 1010.230 (beneficial ownership)",
	"SENDER_NOT_OWNED": "31 CFR 1020.220 (customer identification programme) and 31 CFR 1010.230 (beneficial ownership)",
}

# Recipients unknown to the directory, where data/jurisdictions.json "US" has
# "counterparty": {"require_known": true}.
deny contains reasons.make("UNKNOWN_COUNTERPARTY", J, counterparty.regulation(J)) if {
	counterparty.unknown_recipient(J)
}
