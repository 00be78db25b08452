# United Kingdom: authorization. The baseline rules (policies/lib/baseline.rego: method table, roles, KYC,
# ownership of the sending address, sanctions, chain id) cite the instruments below when the
# caller is in UK.
package governance.jurisdictions.uk.authorization

import rego.v1

import data.governance.lib.licensing
import data.governance.lib.reasons

J := "UK"

citations := {
	"KYC_REQUIRED": "MLR 2017 (SI 2017/692), reg. 28 (customer due diligence measures)",
	"SENDER_NOT_OWNED": "MLR 2017 (SI 2017/692), reg. 28 (customer due diligence measures)",
}

# VASP parties (and the caller's firm acting as a VASP) without a licence valid on the request
# day under data/jurisdictions.json "UK" "licensing".
deny contains reasons.detail("COUNTERPARTY_UNLICENSED", J, licensing.regulation(J), licensing.message(J, who)) if {
	who := licensing.refused(J)
	count(who) > 0
}
