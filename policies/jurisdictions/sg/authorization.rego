# Singapore: authorization. The baseline rules (policies/lib/baseline.rego: method table, roles, KYC,
# ownership of the sending address, sanctions, chain id) cite the instruments below when the
# caller is in SG.
package governance.jurisdictions.sg.authorization

import rego.v1

import data.governance.lib.licensing
import data.governance.lib.reasons

J := "SG"

citations := {
	"KYC_REQUIRED": "MAS Notice PSN02, para. 6 (customer due diligence)",
	"SENDER_NOT_OWNED": "MAS Notice PSN02, para. 6 (customer due diligence)",
}

# VASP parties (and the caller's firm acting as a VASP) without a licence valid on the request
# day under data/jurisdictions.json "SG" "licensing".
deny contains reasons.detail("COUNTERPARTY_UNLICENSED", J, licensing.regulation(J), licensing.message(J, who)) if {
	who := licensing.refused(J)
	count(who) > 0
}

# From 30 June 2025 an entity serving clients outside Singapore only is refused whatever it
# holds ("clients_abroad_only" under "licensing").
deny contains reasons.detail("COUNTERPARTY_UNLICENSED", J, licensing.abroad_regulation(J), licensing.message(J, who)) if {
	who := licensing.refused_abroad(J)
	count(who) > 0
}
