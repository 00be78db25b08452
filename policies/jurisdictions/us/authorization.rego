# United States: authorization. The baseline rules (policies/lib/baseline.rego: method table, roles, KYC,
# ownership of the sending address, sanctions, chain id) cite the instruments below when the
# caller is in US.
package governance.jurisdictions.us.authorization

import rego.v1

import data.governance.lib.licensing
import data.governance.lib.reasons

J := "US"

citations := {
	"KYC_REQUIRED": "31 CFR 1020.220 (customer identification programme) and 31 CFR 1010.230 (beneficial ownership)",
	"SENDER_NOT_OWNED": "31 CFR 1020.220 (customer identification programme) and 31 CFR 1010.230 (beneficial ownership)",
}

# VASP parties (and the caller's firm acting as a VASP) without a licence valid on the request
# day under data/jurisdictions.json "US" "licensing".
deny contains reasons.detail("COUNTERPARTY_UNLICENSED", J, licensing.regulation(J), licensing.message(J, who)) if {
	who := licensing.refused(J)
	count(who) > 0
}
