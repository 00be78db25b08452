package tests.jurisdictions.ch.data_scope

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

mueller := fx.address_of("alpine-ch", "individual")

cases := {
	"test_ch_no_basis_redacts": {"input": fx.reading(fx.subject("acme-us", "US", "institution"), "eth_getLogs", [mueller]), "redact": ["/*/data", "/*/topics"]},
	"test_ch_listed_country_allows": {"input": fx.reading(fx.subject("hanse-de", "DE", "institution"), "eth_getLogs", [mueller]), "redact": []},
	"test_ch_opaque_result_refused": {"input": fx.reading(fx.subject("sakura-jp", "JP", "institution"), "eth_getBalance", [mueller]), "in": "CH", "codes": ["CROSS_BORDER_TRANSFER_RESTRICTED"]},
}

# ---- tests (one per case) ----

test_ch_no_basis_redacts if harness.passes(cases.test_ch_no_basis_redacts)

test_ch_listed_country_allows if harness.passes(cases.test_ch_listed_country_allows)

test_ch_opaque_result_refused if harness.passes(cases.test_ch_opaque_result_refused)
