# Hong Kong SAR: authorization. The baseline rules (policies/lib/baseline.rego: method table, roles, KYC,
# ownership of the sending address, sanctions, chain id) cite the instruments below when the
# caller is in HK.
package governance.jurisdictions.hk.authorization

import rego.v1

import data.governance.lib.licensing
import data.governance.lib.reasons

J := "HK"

citations := {
	"KYC_REQUIRED": "AMLO (Cap. 615), Schedule 2, s. 2 (customer due diligence measures)",
	"SENDER_NOT_OWNED": "AMLO (Cap. 615), Schedule 2, s. 2 (customer due diligence measures)",
}

# VASP parties (and the caller's firm acting as a VASP) without a licence valid on the request
# day under data/jurisdictions.json "HK" "licensing".
deny contains reasons.detail("COUNTERPARTY_UNLICENSED", J, licensing.regulation(J), licensing.message(J, who)) if {
	who := licensing.refused(J)
	count(who) > 0
}
