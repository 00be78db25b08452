# Switzerland: authorization. The baseline rules (policies/lib/baseline.rego: method table, roles, KYC,
# ownership of the sending address, sanctions, chain id) cite the instruments below when the
# caller is in CH. Transfers to addresses the directory does not know are refused (FINMA Guidance 02/2019).
package governance.jurisdictions.ch.authorization

import rego.v1

import data.governance.lib.counterparty
import data.governance.lib.licensing
import data.governance.lib.reasons

J := "CH"

citations := {
	"KYC_REQUIRED": "Anti-Money Laundering Act (AMLA, SR 955.0), arts. 3-4 (verification of the customer and beneficial owner)",
	"SENDER_NOT_OWNED": "Anti-Money Laundering Act (AMLA, SR 955.0), arts. 3-4 (verification of the customer and beneficial owner)",
}

# Recipients unknown to the directory, where data/jurisdictions.json "CH" has
# "counterparty": {"require_known": true}.
deny contains reasons.make("UNKNOWN_COUNTERPARTY", J, counterparty.regulation(J)) if {
	counterparty.unknown_recipient(J)
}

# Contracts outside the registry, where data/jurisdictions.json "CH" has
# "contract_registry": {"require_registered": true}.
deny contains reasons.detail("UNREGISTERED_CONTRACT", J, counterparty.registry_regulation(J), concat("", ["not in the contract registry: ", concat(", ", sort([a | some a in unregistered]))])) if {
	unregistered := counterparty.unregistered_contracts(J)
	count(unregistered) > 0
}

# VASP parties (and the caller's firm acting as a VASP) without a licence valid on the request
# day under data/jurisdictions.json "CH" "licensing".
deny contains reasons.detail("COUNTERPARTY_UNLICENSED", J, licensing.regulation(J), licensing.message(J, who)) if {
	who := licensing.refused(J)
	count(who) > 0
}
