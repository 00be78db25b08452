# United States: authorization. The baseline rules (policies/lib/baseline.rego: method table, roles, KYC,
# ownership of the sending address, sanctions, chain id) cite the instruments below when the
# caller is in US.
package governance.jurisdictions.us.authorization

import rego.v1

J := "US"

citations := {
	"KYC_REQUIRED": "31 CFR 1020.220 (customer identification programme) and 31 CFR 1010.230 (beneficial ownership)",
	"SENDER_NOT_OWNED": "31 CFR 1020.220 (customer identification programme) and 31 CFR 1010.230 (beneficial ownership)",
}
