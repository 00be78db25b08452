package tests.jurisdictions.cn.authorization

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

panda := fx.subject("panda-cn", "CN", "institution")

cases := {
	"test_cn_unknown_counterparty_refused": {"input": fx.transfer(panda, fx.acct3, fx.acct9, "tokenized_deposit", 10), "in": "CN", "codes": ["UNKNOWN_COUNTERPARTY"]},
	"test_cn_known_counterparty_allowed": {"input": fx.transfer(panda, fx.acct3, fx.acct2, "tokenized_deposit", 10), "allow": true},
	"test_cn_unknown_counterparty_needs_a_transfer": {
		"input": fx.put2(fx.put2(fx.transfer(panda, fx.acct3, fx.acct9, "security_token", 0), "tx", "token_call", "approve"), "tx", "token_transfer", false),
		"in": "CN", "lacks": ["UNKNOWN_COUNTERPARTY"],
	},
	"test_cn_kyc_cites_aml_law": {
		"input": fx.transfer(fx.put(panda, "kyc", "none"), fx.acct3, fx.acct2, "tokenized_deposit", 10),
		"in": "CN", "codes": ["KYC_REQUIRED"],
		"regulations": {"KYC_REQUIRED": data.governance.jurisdictions.cn.authorization.citations.KYC_REQUIRED},
	},
}

# ---- tests (one per case) ----

test_cn_unknown_counterparty_refused if harness.passes(cases.test_cn_unknown_counterparty_refused)

test_cn_known_counterparty_allowed if harness.passes(cases.test_cn_known_counterparty_allowed)

test_cn_unknown_counterparty_needs_a_transfer if harness.passes(cases.test_cn_unknown_counterparty_needs_a_transfer)

test_cn_kyc_cites_aml_law if harness.passes(cases.test_cn_kyc_cites_aml_law)
