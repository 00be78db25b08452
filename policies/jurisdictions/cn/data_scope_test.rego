package tests.jurisdictions.cn.data_scope

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

logs := ["/*/data", "/*/topics"]

read_wang(subject, method) := data.tests.fixtures.reading(subject, method, [data.tests.fixtures.acct2])

cases := {
	"test_cn_standard_contract_allows": {"input": read_wang(fx.subject("acme-us", "US", "institution"), "eth_getLogs"), "redact": []},
	"test_cn_expired_contract_redacts": {"input": read_wang(fx.subject("lion-sg", "SG", "institution"), "eth_getLogs"), "allow": true, "redact": logs},
	"test_cn_security_assessment_allows": {"input": read_wang(fx.subject("hanse-de", "DE", "institution"), "eth_getLogs"), "redact": []},
	"test_cn_no_basis_redacts": {"input": read_wang(fx.subject("sakura-jp", "JP", "institution"), "eth_getLogs"), "redact": logs},
	"test_cn_hong_kong_is_abroad": {"input": read_wang(fx.subject("harbour-hk", "HK", "vasp"), "eth_getLogs"), "redact": logs},
	"test_cn_domestic_reader_allowed": {"input": read_wang(fx.subject("panda-cn", "CN", "institution"), "eth_getLogs"), "redact": []},
	"test_cn_own_party_visible_abroad": {"input": read_wang(fx.subject("panda-cn", "HK", "institution"), "eth_getLogs"), "redact": []},
	"test_cn_domestic_regulator_allowed": {"input": read_wang(fx.put(fx.subject("pboc", "CN", "institution"), "roles", ["regulator"]), "eth_getLogs"), "allow": true, "redact": []},
	"test_cn_foreign_regulator_refused": {
		"input": read_wang(fx.put(fx.subject("acme-us", "US", "institution"), "roles", ["regulator"]), "eth_getLogs"),
		"in": "CN", "codes": ["DATA_SCOPE_FORBIDDEN"],
	},
	"test_cn_opaque_result_refused": {"input": read_wang(fx.subject("sakura-jp", "JP", "institution"), "eth_call"), "in": "CN", "codes": ["CROSS_BORDER_TRANSFER_RESTRICTED"]},
	"test_cn_estimate_gas_refused": {"input": read_wang(fx.subject("sakura-jp", "JP", "institution"), "eth_estimateGas"), "in": "CN", "codes": ["CROSS_BORDER_TRANSFER_RESTRICTED"]},
	"test_cn_no_personal_data_in_code": {"input": read_wang(fx.subject("sakura-jp", "JP", "institution"), "eth_getCode"), "allow": true, "redact": []},
	"test_cn_institution_data_not_personal": {"input": fx.reading(fx.subject("sakura-jp", "JP", "institution"), "eth_getLogs", [fx.acct3]), "redact": []},
	"test_cn_writes_not_data_scoped": {"input": fx.with_payload(fx.transfer(fx.subject("panda-cn", "CN", "individual"), fx.acct2, fx.acct0, "tokenized_deposit", 10)), "allow": true},
}

# ---- tests (one per case) ----

test_cn_standard_contract_allows if harness.passes(cases.test_cn_standard_contract_allows)

test_cn_expired_contract_redacts if harness.passes(cases.test_cn_expired_contract_redacts)

test_cn_security_assessment_allows if harness.passes(cases.test_cn_security_assessment_allows)

test_cn_no_basis_redacts if harness.passes(cases.test_cn_no_basis_redacts)

test_cn_hong_kong_is_abroad if harness.passes(cases.test_cn_hong_kong_is_abroad)

test_cn_domestic_reader_allowed if harness.passes(cases.test_cn_domestic_reader_allowed)

test_cn_own_party_visible_abroad if harness.passes(cases.test_cn_own_party_visible_abroad)

test_cn_domestic_regulator_allowed if harness.passes(cases.test_cn_domestic_regulator_allowed)

test_cn_foreign_regulator_refused if harness.passes(cases.test_cn_foreign_regulator_refused)

test_cn_opaque_result_refused if harness.passes(cases.test_cn_opaque_result_refused)

test_cn_estimate_gas_refused if harness.passes(cases.test_cn_estimate_gas_refused)

test_cn_no_personal_data_in_code if harness.passes(cases.test_cn_no_personal_data_in_code)

test_cn_institution_data_not_personal if harness.passes(cases.test_cn_institution_data_not_personal)

test_cn_writes_not_data_scoped if harness.passes(cases.test_cn_writes_not_data_scoped)
