# Export volumes (lib/volume.rego). The tiers of the CAC Provisions on Promoting and Regulating
# Cross-Border Data Flows (22 Mar 2024) are pinned as literals, not read from the data under
# test: art. 8, 100,000 or more individuals (and fewer than 1,000,000), or any sensitive
# individual (fewer than 10,000): standard contract or certification; art. 7(2), 1,000,000 or
# more individuals, or 10,000 or more sensitive ones: security assessment ("以上" includes
# the figure, "不满" excludes it).
package tests.jurisdictions.cn.volume

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

logs := ["/*/data", "/*/topics"]

exports(org, n, sensitive) := {"org": org, "year": "2026", "individuals": n, "sensitive": sensitive}

# A read of Wang Fang's logs by `org` (abroad) with the organisation's count.
read_wang(org, jurisdiction, n, sensitive) := fx.put(
	fx.reading(fx.subject(org, jurisdiction, "institution"), "eth_getLogs", [fx.acct2]),
	"exports", exports(org, n, sensitive),
)

# acme-us holds a standard contract CN -> US, hanse-de a security assessment CN -> DE.
contract_read(n, sensitive) := read_wang("acme-us", "US", n, sensitive)

assessed_read(n, sensitive) := read_wang("hanse-de", "DE", n, sensitive)

# jade-hk holds a standard contract CN -> HK that is not filed with the CAC.
unfiled_read(n, sensitive) := read_wang("jade-hk", "HK", n, sensitive)

# Wang Fang pays Acme (US) through Panda, which holds no transfer basis.
payment(n, sensitive) := fx.put(
	fx.with_payload(fx.transfer(fx.subject("panda-cn", "CN", "individual"), fx.acct2, fx.acct0, "tokenized_deposit", 10)),
	"exports", exports("panda-cn", n, sensitive),
)

assessment := "PIPL_SECURITY_ASSESSMENT_REQUIRED"

contract := "PIPL_STANDARD_CONTRACT_REQUIRED"

cases := {
	"test_cn_volume_contract_read_at_999999": {"input": contract_read(999999, 0), "allow": true, "redact": []},
	"test_cn_volume_contract_read_at_1000000": {"input": contract_read(1000000, 0), "in": "CN", "codes": [assessment], "regulations": {assessment: "CAC Provisions on Promoting and Regulating Cross-Border Data Flows (22 Mar 2024), art. 7(2)"}},
	"test_cn_volume_contract_read_at_1000001": {"input": contract_read(1000001, 0), "in": "CN", "codes": [assessment]},
	"test_cn_volume_assessed_read_at_1000001": {"input": assessed_read(1000001, 0), "allow": true, "redact": []},
	"test_cn_volume_contract_read_sensitive_9999": {"input": contract_read(9999, 9999), "allow": true, "redact": []},
	"test_cn_volume_contract_read_sensitive_10000": {"input": contract_read(10000, 10000), "in": "CN", "codes": [assessment]},
	"test_cn_volume_assessed_read_sensitive_10000": {"input": assessed_read(10000, 10000), "allow": true, "redact": []},
	# Without a basis the data is redacted anyway: nothing leaves, so no volume reason.
	"test_cn_volume_no_basis_still_redacts": {"input": read_wang("sakura-jp", "JP", 1000001, 0), "allow": true, "redact": logs},
	"test_cn_volume_expired_basis_still_redacts": {"input": read_wang("lion-sg", "SG", 1000001, 0), "allow": true, "redact": logs},
	"test_cn_volume_opaque_read_refused_for_assessment": {
		"input": fx.put(fx.reading(fx.subject("acme-us", "US", "institution"), "eth_getBalance", [fx.acct2]), "exports", exports("acme-us", 1000000, 0)),
		"in": "CN", "codes": [assessment],
	},
	# From 100,000 individuals (or any sensitive one) a standard contract must be filed (art. 8).
	"test_cn_volume_unfiled_contract_read_at_99999": {"input": unfiled_read(99999, 0), "allow": true, "redact": []},
	"test_cn_volume_unfiled_contract_read_at_100000": {"input": unfiled_read(100000, 0), "in": "CN", "codes": [contract], "regulations": {contract: "CAC Provisions on Promoting and Regulating Cross-Border Data Flows (22 Mar 2024), art. 8"}},
	"test_cn_volume_unfiled_contract_read_sensitive_1": {"input": unfiled_read(1, 1), "in": "CN", "codes": [contract]},
	"test_cn_volume_filed_contract_read_at_100000": {"input": contract_read(100000, 0), "allow": true, "redact": []},
	# Payments are exempt from every tier (art. 5(1): necessary for a contract the individual
	# is party to, cross-border remittance and payment named).
	"test_cn_volume_payment_exempt_at_99999": {"input": payment(99999, 0), "allow": true},
	"test_cn_volume_payment_exempt_at_100000": {"input": payment(100000, 0), "allow": true},
	"test_cn_volume_payment_exempt_sensitive_10000": {"input": payment(10000, 10000), "allow": true},
	"test_cn_volume_payment_exempt_at_1000000": {"input": payment(1000000, 0), "allow": true},
	"test_cn_volume_payment_without_count": {"input": fx.with_payload(fx.transfer(fx.subject("panda-cn", "CN", "individual"), fx.acct2, fx.acct0, "tokenized_deposit", 10)), "allow": true},
	"test_cn_volume_count_of_wrong_type_invalid": {"input": fx.put(contract_read(999999, 0), "exports", {"org": "acme-us", "year": "2026", "individuals": "999999", "sensitive": 0}), "codes": ["INPUT_INVALID"]},
}

# ---- tests (one per case) ----

test_cn_volume_contract_read_at_999999 if harness.passes(cases.test_cn_volume_contract_read_at_999999)

test_cn_volume_contract_read_at_1000000 if harness.passes(cases.test_cn_volume_contract_read_at_1000000)

test_cn_volume_contract_read_at_1000001 if harness.passes(cases.test_cn_volume_contract_read_at_1000001)

test_cn_volume_assessed_read_at_1000001 if harness.passes(cases.test_cn_volume_assessed_read_at_1000001)

test_cn_volume_contract_read_sensitive_9999 if harness.passes(cases.test_cn_volume_contract_read_sensitive_9999)

test_cn_volume_contract_read_sensitive_10000 if harness.passes(cases.test_cn_volume_contract_read_sensitive_10000)

test_cn_volume_assessed_read_sensitive_10000 if harness.passes(cases.test_cn_volume_assessed_read_sensitive_10000)

test_cn_volume_no_basis_still_redacts if harness.passes(cases.test_cn_volume_no_basis_still_redacts)

test_cn_volume_expired_basis_still_redacts if harness.passes(cases.test_cn_volume_expired_basis_still_redacts)

test_cn_volume_opaque_read_refused_for_assessment if harness.passes(cases.test_cn_volume_opaque_read_refused_for_assessment)

test_cn_volume_payment_exempt_at_99999 if harness.passes(cases.test_cn_volume_payment_exempt_at_99999)

test_cn_volume_payment_exempt_at_100000 if harness.passes(cases.test_cn_volume_payment_exempt_at_100000)

test_cn_volume_payment_exempt_sensitive_10000 if harness.passes(cases.test_cn_volume_payment_exempt_sensitive_10000)

test_cn_volume_payment_exempt_at_1000000 if harness.passes(cases.test_cn_volume_payment_exempt_at_1000000)

test_cn_volume_payment_without_count if harness.passes(cases.test_cn_volume_payment_without_count)

test_cn_volume_count_of_wrong_type_invalid if harness.passes(cases.test_cn_volume_count_of_wrong_type_invalid)

test_cn_volume_unfiled_contract_read_at_99999 if harness.passes(cases.test_cn_volume_unfiled_contract_read_at_99999)

test_cn_volume_unfiled_contract_read_at_100000 if harness.passes(cases.test_cn_volume_unfiled_contract_read_at_100000)

test_cn_volume_unfiled_contract_read_sensitive_1 if harness.passes(cases.test_cn_volume_unfiled_contract_read_sensitive_1)

test_cn_volume_filed_contract_read_at_100000 if harness.passes(cases.test_cn_volume_filed_contract_read_at_100000)
