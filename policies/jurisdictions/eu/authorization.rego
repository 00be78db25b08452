# European Union: authorization. The baseline rules (policies/lib/baseline.rego: method table, roles, KYC,
# ownership of the sending address, sanctions, chain id) cite the instruments below when the
# caller is in EU. Member states without a package of their own (DE, FR, ...) use these citations.
package governance.jurisdictions.eu.authorization

import rego.v1

import data.governance.lib.licensing
import data.governance.lib.reasons

J := "EU"

citations := {
	"KYC_REQUIRED": "Directive (EU) 2015/849, art. 13 (customer due diligence measures)",
	"SENDER_NOT_OWNED": "Directive (EU) 2015/849, art. 13 (customer due diligence measures)",
}

# VASP parties (and the caller's firm acting as a VASP) without a licence valid on the request
# day under data/jurisdictions.json "EU" "licensing".
deny contains reasons.detail("COUNTERPARTY_UNLICENSED", J, licensing.regulation(J), licensing.message(J, who)) if {
	who := licensing.refused(J)
	count(who) > 0
}
