# Authorization rules of SG: the baseline reasons cite SG's instrument (pinned here as a
# literal, not read from the package under test) and unknown recipients are allowed.
package tests.jurisdictions.sg.authorization

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

firm := fx.subject("lion-sg", "SG", "institution")

own := fx.address_of("lion-sg", "institution")

cases := {
	"test_sg_kyc_cites_psn02": {
		"input": fx.transfer(fx.put(firm, "kyc", "pending"), own, own, "security_token", 10),
		"codes": ["KYC_REQUIRED"],
		"regulations": {"KYC_REQUIRED": "MAS Notice PSN02, para. 6 (customer due diligence)"},
	},
	"test_sg_sender_not_owned_cites_psn02": {
		"input": fx.transfer(firm, fx.acct0, own, "security_token", 10),
		"codes": ["SENDER_NOT_OWNED"],
		"regulations": {"SENDER_NOT_OWNED": "MAS Notice PSN02, para. 6 (customer due diligence)"},
	},
	"test_sg_unknown_counterparty_allowed": {"input": fx.transfer(firm, own, fx.acct9, "security_token", 10), "in": "SG", "lacks": ["UNKNOWN_COUNTERPARTY"]},
	"test_sg_caller_role_needed": {"input": fx.transfer(fx.put(firm, "roles", ["auditor"]), own, own, "security_token", 10), "codes": ["ROLE_FORBIDDEN"]},
}

# ---- tests (one per case) ----

test_sg_kyc_cites_psn02 if harness.passes(cases.test_sg_kyc_cites_psn02)

test_sg_sender_not_owned_cites_psn02 if harness.passes(cases.test_sg_sender_not_owned_cites_psn02)

test_sg_unknown_counterparty_allowed if harness.passes(cases.test_sg_unknown_counterparty_allowed)

test_sg_caller_role_needed if harness.passes(cases.test_sg_caller_role_needed)
