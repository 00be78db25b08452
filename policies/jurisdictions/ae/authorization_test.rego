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
	"test_ae_unlicensed_vasp_refused": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("AE", [])), "in": "AE", "has": ["COUNTERPARTY_UNLICENSED"], "regulations": {"COUNTERPARTY_UNLICENSED": "Dubai Law No. 4 of 2022 (regulation of virtual assets: VARA licence); SCA Decision No. 23/RM of 2020 (crypto-assets activities)"}},
	"test_ae_licence_expired_day_before_refused": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("AE", [fx.licence("AE VARA", "active", "2026-11-25")])), "in": "AE", "has": ["COUNTERPARTY_UNLICENSED"]},
	"test_ae_licence_valid_until_the_day_allowed": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("AE", [fx.licence("AE VARA", "active", "2026-11-26")])), "in": "AE", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_ae_licence_valid_day_after_allowed": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("AE", [fx.licence("AE VARA", "active", "2026-11-27")])), "in": "AE", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_ae_foreign_licence_does_not_count": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("AE", [fx.licence("JP JFSA CAESP", "active", null)])), "in": "AE", "has": ["COUNTERPARTY_UNLICENSED"]},
}

# ---- tests (one per case) ----

test_ae_kyc_cites_cabinet_resolution if harness.passes(cases.test_ae_kyc_cites_cabinet_resolution)

test_ae_sender_not_owned_cites_cabinet_resolution if harness.passes(cases.test_ae_sender_not_owned_cites_cabinet_resolution)

test_ae_unknown_counterparty_allowed if harness.passes(cases.test_ae_unknown_counterparty_allowed)

test_ae_caller_role_needed if harness.passes(cases.test_ae_caller_role_needed)

# ---- licences ----

test_ae_unlicensed_vasp_refused if harness.passes(cases.test_ae_unlicensed_vasp_refused)

test_ae_licence_expired_day_before_refused if harness.passes(cases.test_ae_licence_expired_day_before_refused)

test_ae_licence_valid_until_the_day_allowed if harness.passes(cases.test_ae_licence_valid_until_the_day_allowed)

test_ae_licence_valid_day_after_allowed if harness.passes(cases.test_ae_licence_valid_day_after_allowed)

test_ae_foreign_licence_does_not_count if harness.passes(cases.test_ae_foreign_licence_does_not_count)
