# Hong Kong SAR: authorization. The baseline rules (policies/lib/baseline.rego: method table, roles, KYC,
# ownership of the sending address, sanctions, chain id) cite the instruments below when the
# caller is in HK.
package governance.jurisdictions.hk.authorization

import rego.v1

J := "HK"

citations := {
	"KYC_REQUIRED": "AMLO (Cap. 615), Schedule 2, s. 2 (customer due diligence measures)",
	"SENDER_NOT_OWNED": "AMLO (Cap. 615), Schedule 2, s. 2 (customer due diligence measures)",
}
