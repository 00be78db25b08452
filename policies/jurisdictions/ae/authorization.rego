# United Arab Emirates: authorization. The baseline rules (policies/lib/baseline.rego: method table, roles, KYC,
# ownership of the sending address, sanctions, chain id) cite the instruments below when the
# caller is in AE.
package governance.jurisdictions.ae.authorization

import rego.v1

import data.governance.lib.licensing
import data.governance.lib.reasons

J := "AE"

citations := {
	"KYC_REQUIRED": "Cabinet Resolution No. 10 of 2019, art. 5 (customer due diligence)",
	"SENDER_NOT_OWNED": "Cabinet Resolution No. 10 of 2019, art. 5 (customer due diligence)",
}

# VASP parties (and the caller's firm acting as a VASP) without a licence valid on the request
# day under data/jurisdictions.json "AE" "licensing".
deny contains reasons.detail("COUNTERPARTY_UNLICENSED", J, licensing.regulation(J), licensing.message(J, who)) if {
	who := licensing.refused(J)
	count(who) > 0
}
