package tests.jurisdictions.jp.data_scope

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

sato := fx.address_of("sakura-jp", "individual")

cases := {
	"test_jp_no_basis_redacts": {"input": fx.reading(fx.subject("acme-us", "US", "institution"), "eth_getLogs", [sato]), "redact": ["/*/data", "/*/topics"]},
	"test_jp_eu_equivalent_allows": {"input": fx.reading(fx.subject("hanse-de", "DE", "institution"), "eth_getLogs", [sato]), "redact": []},
	"test_jp_uk_equivalent_allows": {"input": fx.reading(fx.subject("thames-uk", "GB", "institution"), "eth_getLogs", [sato]), "redact": []},
	"test_jp_opaque_result_refused": {"input": fx.reading(fx.subject("acme-us", "US", "institution"), "eth_getBalance", [sato]), "in": "JP", "codes": ["CROSS_BORDER_TRANSFER_RESTRICTED"]},
}

# ---- tests (one per case) ----

test_jp_no_basis_redacts if harness.passes(cases.test_jp_no_basis_redacts)

test_jp_eu_equivalent_allows if harness.passes(cases.test_jp_eu_equivalent_allows)

test_jp_uk_equivalent_allows if harness.passes(cases.test_jp_uk_equivalent_allows)

test_jp_opaque_result_refused if harness.passes(cases.test_jp_opaque_result_refused)
