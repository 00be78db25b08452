# China (mainland): authorization. The baseline rules (policies/lib/baseline.rego: method table, roles, KYC,
# ownership of the sending address, sanctions, chain id) cite the instruments below when the
# caller is in CN. Unknown recipients of cross-border transfers are refused (FX authenticity review).
package governance.jurisdictions.cn.authorization

import rego.v1

import data.governance.lib.counterparty
import data.governance.lib.reasons

J := "CN"

citations := {
	"KYC_REQUIRED": "Anti-Money Laundering Law of the PRC (revised 2024), ch. III (customer due diligence)",
	"SENDER_NOT_OWNED": "Anti-Money Laundering Law of the PRC (revised 2024), ch. III (customer due diligence)",
}

# Export volumes (lib/volume.rego) do not bind payments: a transfer to or from an individual
# is necessary to perform a contract the individual is party to (cross-border remittance and
# payment), which art. 5(1) of the CAC 2024 Provisions exempts from every mechanism.

# Recipients unknown to the directory, where data/jurisdictions.json "CN" has
# "counterparty": {"require_known": true}.
deny contains reasons.make("UNKNOWN_COUNTERPARTY", J, counterparty.regulation(J)) if {
	counterparty.unknown_recipient(J)
}

# Contracts outside the registry, where data/jurisdictions.json "CN" has
# "contract_registry": {"require_registered": true}.
deny contains reasons.detail("UNREGISTERED_CONTRACT", J, counterparty.registry_regulation(J), concat("", ["not in the contract registry: ", concat(", ", sort([a | some a in unregistered]))])) if {
	unregistered := counterparty.unregistered_contracts(J)
	count(unregistered) > 0
}
