# Singapore: authorization. The baseline rules (policies/lib/baseline.rego: method table, roles, KYC,
# ownership of the sending address, sanctions, chain id) cite the instruments below when the
# caller is in SG.
package governance.jurisdictions.sg.authorization

import rego.v1

J := "SG"

citations := {
	"KYC_REQUIRED": "MAS Notice PSN02, para. 6 (customer due diligence)",
	"SENDER_NOT_OWNED": "MAS Notice PSN02, para. 6 (customer due diligence)",
}
