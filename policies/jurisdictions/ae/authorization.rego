# United Arab Emirates: authorization. The baseline rules (policies/lib/baseline.rego: method table, roles, KYC,
# ownership of the sending address, sanctions, chain id) cite the instruments below when the
# caller is in AE.
package governance.jurisdictions.ae.authorization

import rego.v1

J := "AE"

citations := {
	"KYC_REQUIRED": "Cabinet Resolution No. 10 of 2019, art. 5 (customer due diligence)",
	"SENDER_NOT_OWNED": "Cabinet Resolution No. 10 of 2019, art. 5 (customer due diligence)",
}
