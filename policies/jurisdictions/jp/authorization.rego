# Japan: authorization. The baseline rules (policies/lib/baseline.rego: method table, roles, KYC,
# ownership of the sending address, sanctions, chain id) cite the instruments below when the
# caller is in JP.
package governance.jurisdictions.jp.authorization

import rego.v1

import data.governance.lib.licensing
import data.governance.lib.reasons

J := "JP"

citations := {
	"KYC_REQUIRED": "Act on Prevention of Transfer of Criminal Proceeds, art. 4 (verification at the time of transactions)",
	"SENDER_NOT_OWNED": "Act on Prevention of Transfer of Criminal Proceeds, art. 4 (verification at the time of transactions)",
}

# VASP parties (and the caller's firm acting as a VASP) without a licence valid on the request
# day under data/jurisdictions.json "JP" "licensing".
deny contains reasons.detail("COUNTERPARTY_UNLICENSED", J, licensing.regulation(J), licensing.message(J, who)) if {
	who := licensing.refused(J)
	count(who) > 0
}
