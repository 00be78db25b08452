# Authorization rules of HK: the baseline reasons cite HK's instrument (pinned here as a
# literal, not read from the package under test) and unknown recipients are allowed.
package tests.jurisdictions.hk.authorization

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

firm := fx.subject("harbour-hk", "HK", "vasp")

own := fx.address_of("harbour-hk", "vasp")

cases := {
	"test_hk_kyc_cites_amlo": {
		"input": fx.transfer(fx.put(firm, "kyc", "pending"), own, own, "security_token", 10),
		"codes": ["KYC_REQUIRED"],
		"regulations": {"KYC_REQUIRED": "AMLO (Cap. 615), Schedule 2, s. 2 (customer due diligence measures)"},
	},
	"test_hk_sender_not_owned_cites_amlo": {
		"input": fx.transfer(firm, fx.acct0, own, "security_token", 10),
		"codes": ["SENDER_NOT_OWNED"],
		"regulations": {"SENDER_NOT_OWNED": "AMLO (Cap. 615), Schedule 2, s. 2 (customer due diligence measures)"},
	},
	"test_hk_unknown_counterparty_allowed": {"input": fx.transfer(firm, own, fx.acct9, "security_token", 10), "in": "HK", "lacks": ["UNKNOWN_COUNTERPARTY"]},
	"test_hk_caller_role_needed": {"input": fx.transfer(fx.put(firm, "roles", ["auditor"]), own, own, "security_token", 10), "codes": ["ROLE_FORBIDDEN"]},
	"test_hk_unlicensed_vasp_refused": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("HK", [])), "in": "HK", "has": ["COUNTERPARTY_UNLICENSED"], "regulations": {"COUNTERPARTY_UNLICENSED": "AMLO (Cap. 615), Part 5B (virtual asset trading platforms licensed by the SFC, from 1 June 2023)"}},
	"test_hk_licence_expired_day_before_refused": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("HK", [fx.licence("HK SFC VATP", "active", "2026-11-25")])), "in": "HK", "has": ["COUNTERPARTY_UNLICENSED"]},
	"test_hk_licence_valid_until_the_day_allowed": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("HK", [fx.licence("HK SFC VATP", "active", "2026-11-26")])), "in": "HK", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_hk_licence_valid_day_after_allowed": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("HK", [fx.licence("HK SFC VATP", "active", "2026-11-27")])), "in": "HK", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_hk_foreign_licence_does_not_count": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("HK", [fx.licence("SG MAS DPT (PSA)", "active", null)])), "in": "HK", "has": ["COUNTERPARTY_UNLICENSED"]},
	"test_hk_licensed_vatp_caller_allowed": {"input": fx.transfer(firm, own, fx.acct0, "security_token", 10), "in": "HK", "lacks": ["COUNTERPARTY_UNLICENSED"]},
}

# ---- tests (one per case) ----

test_hk_kyc_cites_amlo if harness.passes(cases.test_hk_kyc_cites_amlo)

test_hk_sender_not_owned_cites_amlo if harness.passes(cases.test_hk_sender_not_owned_cites_amlo)

test_hk_unknown_counterparty_allowed if harness.passes(cases.test_hk_unknown_counterparty_allowed)

test_hk_caller_role_needed if harness.passes(cases.test_hk_caller_role_needed)

# ---- licences ----

test_hk_unlicensed_vasp_refused if harness.passes(cases.test_hk_unlicensed_vasp_refused)

test_hk_licence_expired_day_before_refused if harness.passes(cases.test_hk_licence_expired_day_before_refused)

test_hk_licence_valid_until_the_day_allowed if harness.passes(cases.test_hk_licence_valid_until_the_day_allowed)

test_hk_licence_valid_day_after_allowed if harness.passes(cases.test_hk_licence_valid_day_after_allowed)

test_hk_foreign_licence_does_not_count if harness.passes(cases.test_hk_foreign_licence_does_not_count)

test_hk_licensed_vatp_caller_allowed if harness.passes(cases.test_hk_licensed_vatp_caller_allowed)
