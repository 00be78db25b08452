package tests.jurisdictions.eu.data_scope

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

anna := fx.address_of("hanse-de", "individual")

acme := fx.subject("acme-us", "US", "institution")

receipt := ["/from", "/logs/*/data", "/logs/*/topics", "/to"]

cases := {
	"test_eu_expired_basis_redacts": {"input": fx.reading(acme, "eth_getTransactionReceipt", [anna]), "allow": true, "redact": receipt},
	"test_eu_scc_basis_allows": {"input": fx.reading(fx.subject("lion-sg", "SG", "institution"), "eth_getTransactionReceipt", [anna]), "redact": []},
	"test_eu_adequate_country_allows": {"input": fx.reading(fx.subject("sakura-jp", "JP", "institution"), "eth_getTransactionReceipt", [anna]), "redact": []},
	"test_eu_member_reader_allows": {"input": fx.reading(fx.subject("seine-fr", "FR", "institution"), "eth_getTransactionReceipt", [anna]), "redact": []},
	"test_eu_no_basis_redacts": {"input": fx.reading(fx.subject("panda-cn", "CN", "institution"), "eth_getTransactionReceipt", [anna]), "redact": receipt},
	"test_eu_own_party_visible_abroad": {"input": fx.reading(fx.subject("hanse-de", "US", "institution"), "eth_getTransactionReceipt", [anna]), "redact": []},
	"test_eu_foreign_regulator_refused": {
		"input": fx.reading(fx.put(acme, "roles", ["regulator"]), "eth_getLogs", [anna]),
		"in": "EU", "has": ["DATA_SCOPE_FORBIDDEN"],
	},
	"test_eu_institution_data_not_personal": {"input": fx.reading(fx.subject("panda-cn", "CN", "institution"), "eth_getLogs", [fx.acct4]), "redact": []},
	"test_eu_opaque_result_refused": {"input": fx.reading(fx.subject("panda-cn", "CN", "institution"), "eth_getBalance", [anna]), "in": "EU", "codes": ["CROSS_BORDER_TRANSFER_RESTRICTED"]},
}

# ---- tests (one per case) ----

test_eu_expired_basis_redacts if harness.passes(cases.test_eu_expired_basis_redacts)

test_eu_scc_basis_allows if harness.passes(cases.test_eu_scc_basis_allows)

test_eu_adequate_country_allows if harness.passes(cases.test_eu_adequate_country_allows)

test_eu_member_reader_allows if harness.passes(cases.test_eu_member_reader_allows)

test_eu_no_basis_redacts if harness.passes(cases.test_eu_no_basis_redacts)

test_eu_own_party_visible_abroad if harness.passes(cases.test_eu_own_party_visible_abroad)

test_eu_foreign_regulator_refused if harness.passes(cases.test_eu_foreign_regulator_refused)

test_eu_institution_data_not_personal if harness.passes(cases.test_eu_institution_data_not_personal)

test_eu_opaque_result_refused if harness.passes(cases.test_eu_opaque_result_refused)
