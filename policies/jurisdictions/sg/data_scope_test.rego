package tests.jurisdictions.sg.data_scope

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

tan := fx.address_of("lion-sg", "individual")

read_tan(subject) := data.tests.fixtures.reading(subject, "eth_getLogs", [tan])

cases := {
	"test_sg_no_basis_redacts": {"input": read_tan(fx.subject("acme-us", "US", "institution")), "redact": ["/*/data", "/*/topics"]},
	"test_sg_contract_basis_allows": {"input": read_tan(fx.subject("harbour-hk", "HK", "vasp")), "redact": []},
	"test_sg_no_adequacy_list": {"input": read_tan(fx.subject("hanse-de", "DE", "institution")), "redact": ["/*/data", "/*/topics"]},
	"test_sg_opaque_result_refused": {"input": fx.reading(fx.subject("acme-us", "US", "institution"), "eth_getBalance", [tan]), "in": "SG", "codes": ["CROSS_BORDER_TRANSFER_RESTRICTED"]},
}

# ---- tests (one per case) ----

test_sg_no_basis_redacts if harness.passes(cases.test_sg_no_basis_redacts)

test_sg_contract_basis_allows if harness.passes(cases.test_sg_contract_basis_allows)

test_sg_no_adequacy_list if harness.passes(cases.test_sg_no_adequacy_list)

test_sg_opaque_result_refused if harness.passes(cases.test_sg_opaque_result_refused)
