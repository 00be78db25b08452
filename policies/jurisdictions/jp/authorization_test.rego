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
	"test_jp_unlicensed_vasp_refused": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("JP", [])), "in": "JP", "has": ["COUNTERPARTY_UNLICENSED"], "regulations": {"COUNTERPARTY_UNLICENSED": "Payment Services Act (Act No. 59 of 2009), art. 63-2 (registration of crypto-asset exchange service providers)"}},
	"test_jp_licence_expired_day_before_refused": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("JP", [fx.licence("JP JFSA CAESP", "active", "2026-11-25")])), "in": "JP", "has": ["COUNTERPARTY_UNLICENSED"]},
	"test_jp_licence_valid_until_the_day_allowed": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("JP", [fx.licence("JP JFSA CAESP", "active", "2026-11-26")])), "in": "JP", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_jp_licence_valid_day_after_allowed": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("JP", [fx.licence("JP JFSA CAESP", "active", "2026-11-27")])), "in": "JP", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_jp_foreign_licence_does_not_count": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("JP", [fx.licence("US FinCEN MSB", "active", null)])), "in": "JP", "has": ["COUNTERPARTY_UNLICENSED"]},
}

# ---- tests (one per case) ----

test_jp_kyc_cites_aptcp if harness.passes(cases.test_jp_kyc_cites_aptcp)

test_jp_sender_not_owned_cites_aptcp if harness.passes(cases.test_jp_sender_not_owned_cites_aptcp)

test_jp_unknown_counterparty_allowed if harness.passes(cases.test_jp_unknown_counterparty_allowed)

test_jp_caller_role_needed if harness.passes(cases.test_jp_caller_role_needed)

# ---- licences ----

test_jp_unlicensed_vasp_refused if harness.passes(cases.test_jp_unlicensed_vasp_refused)

test_jp_licence_expired_day_before_refused if harness.passes(cases.test_jp_licence_expired_day_before_refused)

test_jp_licence_valid_until_the_day_allowed if harness.passes(cases.test_jp_licence_valid_until_the_day_allowed)

test_jp_licence_valid_day_after_allowed if harness.passes(cases.test_jp_licence_valid_day_after_allowed)

test_jp_foreign_licence_does_not_count if harness.passes(cases.test_jp_foreign_licence_does_not_count)
