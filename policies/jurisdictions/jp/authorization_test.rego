# Authorization rules of JP: the baseline reasons cite JP's instrument (pinned here as a
# literal, not read from the package under test) and unknown recipients are allowed.
package tests.jurisdictions.jp.authorization

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

firm := fx.subject("sakura-jp", "JP", "institution")

own := fx.address_of("sakura-jp", "institution")

cases := {
	"test_jp_kyc_cites_aptcp": {
		"input": fx.transfer(fx.put(firm, "kyc", "pending"), own, own, "security_token", 10),
		"codes": ["KYC_REQUIRED"],
		"regulations": {"KYC_REQUIRED": "Act on Prevention of Transfer of Criminal Proceeds, art. 4 (verification at the time of transactions)"},
	},
	"test_jp_sender_not_owned_cites_aptcp": {
		"input": fx.transfer(firm, fx.acct0, own, "security_token", 10),
		"codes": ["SENDER_NOT_OWNED"],
		"regulations": {"SENDER_NOT_OWNED": "Act on Prevention of Transfer of Criminal Proceeds, art. 4 (verification at the time of transactions)"},
	},
	"test_jp_unknown_counterparty_allowed": {"input": fx.transfer(firm, own, fx.acct9, "security_token", 10), "in": "JP", "lacks": ["UNKNOWN_COUNTERPARTY"]},
	"test_jp_caller_role_needed": {"input": fx.transfer(fx.put(firm, "roles", ["auditor"]), own, own, "security_token", 10), "codes": ["ROLE_FORBIDDEN"]},
}

# ---- tests (one per case) ----

test_jp_kyc_cites_aptcp if harness.passes(cases.test_jp_kyc_cites_aptcp)

test_jp_sender_not_owned_cites_aptcp if harness.passes(cases.test_jp_sender_not_owned_cites_aptcp)

test_jp_unknown_counterparty_allowed if harness.passes(cases.test_jp_unknown_counterparty_allowed)

test_jp_caller_role_needed if harness.passes(cases.test_jp_caller_role_needed)
