# United Kingdom: authorization. The baseline rules (policies/lib/baseline.rego: method table, roles, KYC,
# ownership of the sending address, sanctions, chain id) cite the instruments below when the
# caller is in UK.
package governance.jurisdictions.uk.authorization

import rego.v1

J := "UK"

citations := {
	"KYC_REQUIRED": "MLR 2017 (SI 2017/692), reg. 28 (customer due diligence measures)",
	"SENDER_NOT_OWNED": "MLR 2017 (SI 2017/692), reg. 28 (customer due diligence measures)",
}
