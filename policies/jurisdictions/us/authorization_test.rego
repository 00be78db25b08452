package tests.jurisdictions.us.authorization

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

acme := fx.subject("acme-us", "US", "institution")

cases := {
	"test_us_unknown_counterparty_allowed": {"input": fx.transfer(acme, fx.acct0, fx.acct9, "security_token", 10), "allow": true},
	"test_us_kyc_cites_cip": {
		"input": fx.transfer(fx.put(acme, "kyc", "pending"), fx.acct0, fx.acct0, "security_token", 10),
		"codes": ["KYC_REQUIRED"],
		"regulations": {"KYC_REQUIRED": data.governance.jurisdictions.us.authorization.citations.KYC_REQUIRED},
	},
}

# ---- tests (one per case) ----

test_us_unknown_counterparty_allowed if harness.passes(cases.test_us_unknown_counterparty_allowed)

test_us_kyc_cites_cip if harness.passes(cases.test_us_kyc_cites_cip)
