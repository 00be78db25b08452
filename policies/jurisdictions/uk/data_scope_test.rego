package tests.jurisdictions.uk.data_scope

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

read_oliver(subject) := data.tests.fixtures.reading(subject, "eth_getLogs", [data.tests.fixtures.acct6])

cases := {
	"test_uk_idta_allows": {"input": read_oliver(fx.subject("acme-us", "US", "institution")), "redact": []},
	"test_uk_no_basis_redacts": {"input": read_oliver(fx.subject("lion-sg", "SG", "institution")), "redact": ["/*/data", "/*/topics"]},
	"test_uk_adequate_eu_allows": {"input": read_oliver(fx.subject("hanse-de", "DE", "institution")), "redact": []},
	"test_uk_domestic_reader_allows": {"input": read_oliver(fx.subject("thames-uk", "GB", "institution")), "redact": [], "jurisdictions": ["UK"]},
	"test_uk_opaque_result_refused": {"input": fx.reading(fx.subject("lion-sg", "SG", "institution"), "eth_getBalance", [fx.acct6]), "in": "UK", "codes": ["CROSS_BORDER_TRANSFER_RESTRICTED"]},
}

# ---- tests (one per case) ----

test_uk_idta_allows if harness.passes(cases.test_uk_idta_allows)

test_uk_no_basis_redacts if harness.passes(cases.test_uk_no_basis_redacts)

test_uk_adequate_eu_allows if harness.passes(cases.test_uk_adequate_eu_allows)

test_uk_domestic_reader_allows if harness.passes(cases.test_uk_domestic_reader_allows)

test_uk_opaque_result_refused if harness.passes(cases.test_uk_opaque_result_refused)
