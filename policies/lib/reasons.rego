# The closed list of reason codes (docs/design.md section 4). Every reason the tree emits is built
# here, so each carries a code, the jurisdiction that raised it, the regulation (instrument and
# article) and a message. `governance policy check` rejects any code not listed below and any
# code missing from docs/policies.md. Tests assert codes, never messages.
package governance.lib.reasons

import rego.v1

codes := {
	"INPUT_INVALID": {
		"regulation": "gateway fail-closed rule (docs/policy-input.md: the input document)",
		"message": "the policy input lacks a field or carries one of the wrong type",
	},
	"METHOD_FORBIDDEN": {
		"regulation": "Gateway access policy (docs/design.md section 3: method table and roles)",
		"message": "this JSON-RPC method is not allowed for the caller",
	},
	"ROLE_FORBIDDEN": {
		"regulation": "Gateway access policy (docs/design.md section 3 roles); FATF Recommendation 18 (internal controls)",
		"message": "the caller's roles do not allow this call",
	},
	"KYC_REQUIRED": {
		"regulation": "FATF Recommendation 10 (customer due diligence)",
		"message": "customer due diligence is not complete (kyc must be verified)",
	},
	"SENDER_NOT_OWNED": {
		"regulation": "FATF Recommendation 10 (customer due diligence); Recommendation 16 (originator information)",
		"message": "the sending address is not a known address of the caller's organisation",
	},
	"SANCTIONED_PARTY": {
		"regulation": "the sanctions list naming the party (data/sanction_lists.json); FATF Recommendation 6",
		"message": "a party to the transaction is on a sanctions list",
	},
	"SANCTIONED_NAME_MATCH": {
		"regulation": "the sanctions list naming the person (data/sanction_lists.json); FATF Recommendation 6 (targeted financial sanctions) and Recommendation 16 (originator and beneficiary information)",
		"message": "a travel-rule originator or beneficiary name matches a listed name",
	},
	"UNKNOWN_COUNTERPARTY": {
		"regulation": "FATF Recommendation 16, INR.16 (beneficiary information)",
		"message": "the recipient is not in the entity directory",
	},
	"COUNTERPARTY_UNLICENSED": {
		"regulation": "FATF Recommendation 15 (licensing or registration of virtual asset service providers)",
		"message": "a VASP party to the transfer holds no licence valid on the request day where its jurisdiction requires one",
	},
	"TRAVEL_RULE_MISSING": {
		"regulation": "FATF Recommendation 16 / INR.15 paragraph 7(b)",
		"message": "originator and beneficiary information (X-Travel-Rule) is required for this transfer",
	},
	"TRAVEL_RULE_INVALID": {
		"regulation": "FATF Recommendation 16 / INR.15 paragraph 7(b)",
		"message": "the travel-rule payload is incomplete or does not match the transfer",
	},
	"FX_QUOTA_EXCEEDED": {
		"regulation": "SAFE Huifa [2007] No. 1, art. 2 (annual individual FX quota)",
		"message": "the annual cross-border quota for individuals would be exceeded",
	},
	"IDENTIFICATION_REQUIRED": {
		"regulation": "AMLO-FINMA (identification for virtual-currency exchange from CHF 1,000, linked transactions within 30 days)",
		"message": "the customer must be identified before this transfer",
	},
	"DAILY_LIMIT_EXCEEDED": {
		"regulation": "Gateway velocity limit (internal risk control; FATF Recommendation 10 ongoing monitoring)",
		"message": "the caller's daily transfer limit would be exceeded",
	},
	"VIRTUAL_CURRENCY_BANNED": {
		"regulation": "PBOC et al., Yinfa [2021] No. 237, part I(1)-(2)",
		"message": "virtual-currency business is prohibited for this party",
	},
	"CROSS_BORDER_TRANSFER_RESTRICTED": {
		"regulation": "cross-border personal-data transfer rules of the data's jurisdiction",
		"message": "personal data would leave its jurisdiction without a transfer basis and cannot be redacted",
	},
	"PIPL_SECURITY_ASSESSMENT_REQUIRED": {
		"regulation": "CAC Provisions on Promoting and Regulating Cross-Border Data Flows (22 Mar 2024), art. 7(2)",
		"message": "the organisation's exports of personal data this year need a CAC security assessment it does not hold",
	},
	"PIPL_STANDARD_CONTRACT_REQUIRED": {
		"regulation": "CAC Provisions on Promoting and Regulating Cross-Border Data Flows (22 Mar 2024), art. 8",
		"message": "the organisation's exports of personal data this year need a filed standard contract or a certification it does not hold",
	},
	"DATA_SCOPE_FORBIDDEN": {
		"regulation": "data-protection rules of the data's jurisdiction",
		"message": "the caller may not receive this data",
	},
	"UNDECODABLE_TRANSACTION": {
		"regulation": "gateway baseline: what cannot be seen is refused",
		"message": "the transaction cannot be decoded",
	},
	"CHAIN_ID_MISMATCH": {
		"regulation": "EIP-155 replay protection (gateway baseline)",
		"message": "the transaction is not bound to this ledger's chain id",
	},
	"SIMULATION_UNAVAILABLE": {
		"regulation": "Gateway fail-closed rule (DESIGN.md section 4, effects): a write is decided on its simulated effects",
		"message": "the write could not be simulated, so its effects cannot be checked",
	},
	"SIMULATION_REVERTED": {
		"regulation": "Gateway fail-closed rule (DESIGN.md section 4, effects)",
		"message": "the simulated write reverted",
	},
	"UNKNOWN_ASSET": {
		"regulation": "Gateway fail-closed rule (DESIGN.md section 4, effects); FATF Recommendation 15 (risk of new technologies)",
		"message": "the write moves an asset the gateway cannot identify or value",
	},
	"UNREGISTERED_CONTRACT": {
		"regulation": "Gateway contract registry (policies/data/contracts.json; internal control)",
		"message": "the write calls or touches a contract that is not in the contract registry",
	},
	"SELF_HOSTED_UNVERIFIED": {
		"regulation": "Regulation (EU) 2023/1113, art. 14(5)",
		"message": "ownership of the self-hosted address has not been verified",
	},
}

# The default regulation of a code; an unlisted code still yields a reason (fail closed).
default_regulation(code) := r if {
	r := codes[code].regulation
} else := "unlisted reason code"

default_message(code) := m if {
	m := codes[code].message
} else := "unlisted reason code"

# A reason with the code's default message. An empty regulation falls back to the default.
make(code, jurisdiction, regulation) := detail(code, jurisdiction, regulation, "")

# A reason with a specific message (an empty message falls back to the default).
detail(code, jurisdiction, regulation, message) := {
	"code": code,
	"jurisdiction": jurisdiction,
	"regulation": _or(regulation, default_regulation(code)),
	"message": _or(message, default_message(code)),
}

_or(value, fallback) := value if {
	is_string(value)
	value != ""
} else := fallback
