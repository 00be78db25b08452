package tests.jurisdictions.us.data_scope

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

panda := fx.subject("panda-cn", "CN", "institution")

hanse := fx.subject("hanse-de", "DE", "institution")

cases := {
	"test_us_individual_redacted_for_country_of_concern": {
		"input": fx.reading(panda, "eth_getTransactionReceipt", [fx.acct1]),
		"allow": true, "redact": ["/from", "/logs/*/data", "/logs/*/topics", "/to"],
	},
	"test_us_individual_visible_elsewhere": {"input": fx.reading(hanse, "eth_getTransactionReceipt", [fx.acct1]), "redact": []},
	"test_us_institution_not_personal_data": {"input": fx.reading(panda, "eth_getLogs", [fx.acct0]), "redact": []},
	"test_us_opaque_result_refused": {
		"input": fx.reading(panda, "eth_getBalance", [fx.acct1]),
		"in": "US", "codes": ["CROSS_BORDER_TRANSFER_RESTRICTED"],
	},
}

# ---- tests (one per case) ----

test_us_individual_redacted_for_country_of_concern if harness.passes(cases.test_us_individual_redacted_for_country_of_concern)

test_us_individual_visible_elsewhere if harness.passes(cases.test_us_individual_visible_elsewhere)

test_us_institution_not_personal_data if harness.passes(cases.test_us_institution_not_personal_data)

test_us_opaque_result_refused if harness.passes(cases.test_us_opaque_result_refused)
