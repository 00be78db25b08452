package tests.jurisdictions.eu.authorization

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

hanse := fx.subject("hanse-de", "DE", "institution")

cases := {
	"test_eu_member_kyc_cites_amld": {
		"input": fx.transfer(fx.put(hanse, "kyc", "pending"), fx.acct4, fx.acct4, "security_token", 1),
		"codes": ["KYC_REQUIRED"], "in": "DE",
		"regulations": {"KYC_REQUIRED": data.governance.jurisdictions.eu.authorization.citations.KYC_REQUIRED},
	},
	"test_eu_sender_must_be_owned": {"input": fx.transfer(hanse, fx.acct8, fx.acct4, "security_token", 1), "in": "DE", "codes": ["SENDER_NOT_OWNED"]},
}

# ---- tests (one per case) ----

test_eu_member_kyc_cites_amld if harness.passes(cases.test_eu_member_kyc_cites_amld)

test_eu_sender_must_be_owned if harness.passes(cases.test_eu_sender_must_be_owned)
