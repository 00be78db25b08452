# Authorization rules of AE: the baseline reasons cite AE's instrument (pinned here as a
# literal, not read from the package under test) and unknown recipients are allowed.
package tests.jurisdictions.ae.authorization

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

firm := fx.subject("falcon-ae", "AE", "institution")

own := fx.address_of("falcon-ae", "institution")

cases := {
	"test_ae_kyc_cites_cabinet_resolution": {
		"input": fx.transfer(fx.put(firm, "kyc", "pending"), own, own, "security_token", 10),
		"codes": ["KYC_REQUIRED"],
		"regulations": {"KYC_REQUIRED": "Cabinet Resolution No. 10 of 2019, art. 5 (customer due diligence)"},
	},
	"test_ae_sender_not_owned_cites_cabinet_resolution": {
		"input": fx.transfer(firm, fx.acct0, own, "security_token", 10),
		"codes": ["SENDER_NOT_OWNED"],
		"regulations": {"SENDER_NOT_OWNED": "Cabinet Resolution No. 10 of 2019, art. 5 (customer due diligence)"},
	},
	"test_ae_unknown_counterparty_allowed": {"input": fx.transfer(firm, own, fx.acct9, "security_token", 10), "in": "AE", "lacks": ["UNKNOWN_COUNTERPARTY"]},
	"test_ae_caller_role_needed": {"input": fx.transfer(fx.put(firm, "roles", ["auditor"]), own, own, "security_token", 10), "codes": ["ROLE_FORBIDDEN"]},
}

# ---- tests (one per case) ----

test_ae_kyc_cites_cabinet_resolution if harness.passes(cases.test_ae_kyc_cites_cabinet_resolution)

test_ae_sender_not_owned_cites_cabinet_resolution if harness.passes(cases.test_ae_sender_not_owned_cites_cabinet_resolution)

test_ae_unknown_counterparty_allowed if harness.passes(cases.test_ae_unknown_counterparty_allowed)

test_ae_caller_role_needed if harness.passes(cases.test_ae_caller_role_needed)
