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
	"test_us_unlicensed_vasp_refused": {"input": fx.to_party(fx.transfer(acme, fx.acct0, fx.acct0, "security_token", 10), fx.vasp("US", [])), "in": "US", "has": ["COUNTERPARTY_UNLICENSED"], "regulations": {"COUNTERPARTY_UNLICENSED": "31 U.S.C. 5330; 31 CFR 1022.380 (registration of money services businesses with FinCEN)"}},
	"test_us_licence_expired_day_before_refused": {"input": fx.to_party(fx.transfer(acme, fx.acct0, fx.acct0, "security_token", 10), fx.vasp("US", [fx.licence("US FinCEN MSB", "active", "2026-11-25")])), "in": "US", "has": ["COUNTERPARTY_UNLICENSED"]},
	"test_us_licence_valid_until_the_day_allowed": {"input": fx.to_party(fx.transfer(acme, fx.acct0, fx.acct0, "security_token", 10), fx.vasp("US", [fx.licence("US FinCEN MSB", "active", "2026-11-26")])), "in": "US", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_us_licence_valid_day_after_allowed": {"input": fx.to_party(fx.transfer(acme, fx.acct0, fx.acct0, "security_token", 10), fx.vasp("US", [fx.licence("US FinCEN MSB", "active", "2026-11-27")])), "in": "US", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_us_foreign_licence_does_not_count": {"input": fx.to_party(fx.transfer(acme, fx.acct0, fx.acct0, "security_token", 10), fx.vasp("US", [fx.licence("HK SFC VATP", "active", null)])), "in": "US", "has": ["COUNTERPARTY_UNLICENSED"]},
	"test_us_suspended_licence_refused": {"input": fx.to_party(fx.transfer(acme, fx.acct0, fx.acct0, "security_token", 10), fx.vasp("US", [fx.licence("US FinCEN MSB", "suspended", null)])), "in": "US", "has": ["COUNTERPARTY_UNLICENSED"]},
	"test_us_licence_without_expiry_allowed": {"input": fx.to_party(fx.transfer(acme, fx.acct0, fx.acct0, "security_token", 10), fx.vasp("US", [fx.licence("US FinCEN MSB", "active", null)])), "in": "US", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_us_unlicensed_directory_vasp_refused": {"input": fx.transfer(acme, fx.acct0, fx.address_of("gulch-us", "vasp"), "security_token", 10), "codes": ["COUNTERPARTY_UNLICENSED"]},
	"test_us_licensed_directory_vasp_allowed": {"input": fx.transfer(acme, fx.acct0, fx.address_of("prairie-us", "vasp"), "security_token", 10), "allow": true},
	"test_us_unlicensed_vasp_sender_refused": {"input": fx.transfer(fx.subject("gulch-us", "US", "institution"), fx.address_of("gulch-us", "vasp"), fx.acct0, "security_token", 10), "codes": ["COUNTERPARTY_UNLICENSED"]},
	"test_us_caller_acting_as_vasp_without_licence_refused": {"input": fx.transfer(fx.put(acme, "entity_kind", "vasp"), fx.acct0, fx.acct0, "security_token", 10), "codes": ["COUNTERPARTY_UNLICENSED"]},
	"test_us_licensed_caller_acting_as_vasp_allowed": {"input": fx.transfer(fx.subject("prairie-us", "US", "vasp"), fx.address_of("prairie-us", "vasp"), fx.acct0, "security_token", 10), "allow": true},
	"test_us_licence_not_needed_for_an_approval": {"input": fx.to_party(fx.put2(fx.put2(fx.transfer(acme, fx.acct0, fx.acct0, "stablecoin", 0), "tx", "token_call", "approve"), "tx", "token_transfer", false), fx.vasp("US", [])), "in": "US", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_us_other_jurisdictions_vasp_not_judged_by_us": {"input": fx.to_party(fx.transfer(acme, fx.acct0, fx.acct0, "security_token", 10), fx.vasp("CN", [])), "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_us_multisend_to_unlicensed_vasp_refused": {"input": fx.call(acme, fx.acct0, fx.multisend, [fx.effect("tokenized_deposit", fx.acct0, fx.multisend, 30, 0), fx.effect("tokenized_deposit", fx.multisend, fx.address_of("gulch-us", "vasp"), 30, 1)]), "codes": ["COUNTERPARTY_UNLICENSED"]},
	"test_us_multisend_to_licensed_vasp_allowed": {"input": fx.call(acme, fx.acct0, fx.multisend, [fx.effect("tokenized_deposit", fx.acct0, fx.multisend, 30, 0), fx.effect("tokenized_deposit", fx.multisend, fx.address_of("prairie-us", "vasp"), 30, 1)]), "allow": true},
}

# ---- tests (one per case) ----

test_us_unknown_counterparty_allowed if harness.passes(cases.test_us_unknown_counterparty_allowed)

test_us_kyc_cites_cip if harness.passes(cases.test_us_kyc_cites_cip)

# ---- licences ----

test_us_unlicensed_vasp_refused if harness.passes(cases.test_us_unlicensed_vasp_refused)

test_us_licence_expired_day_before_refused if harness.passes(cases.test_us_licence_expired_day_before_refused)

test_us_licence_valid_until_the_day_allowed if harness.passes(cases.test_us_licence_valid_until_the_day_allowed)

test_us_licence_valid_day_after_allowed if harness.passes(cases.test_us_licence_valid_day_after_allowed)

test_us_foreign_licence_does_not_count if harness.passes(cases.test_us_foreign_licence_does_not_count)

test_us_suspended_licence_refused if harness.passes(cases.test_us_suspended_licence_refused)

test_us_licence_without_expiry_allowed if harness.passes(cases.test_us_licence_without_expiry_allowed)

test_us_unlicensed_directory_vasp_refused if harness.passes(cases.test_us_unlicensed_directory_vasp_refused)

test_us_licensed_directory_vasp_allowed if harness.passes(cases.test_us_licensed_directory_vasp_allowed)

test_us_unlicensed_vasp_sender_refused if harness.passes(cases.test_us_unlicensed_vasp_sender_refused)

test_us_caller_acting_as_vasp_without_licence_refused if harness.passes(cases.test_us_caller_acting_as_vasp_without_licence_refused)

test_us_licensed_caller_acting_as_vasp_allowed if harness.passes(cases.test_us_licensed_caller_acting_as_vasp_allowed)

test_us_licence_not_needed_for_an_approval if harness.passes(cases.test_us_licence_not_needed_for_an_approval)

test_us_other_jurisdictions_vasp_not_judged_by_us if harness.passes(cases.test_us_other_jurisdictions_vasp_not_judged_by_us)

test_us_multisend_to_unlicensed_vasp_refused if harness.passes(cases.test_us_multisend_to_unlicensed_vasp_refused)

test_us_multisend_to_licensed_vasp_allowed if harness.passes(cases.test_us_multisend_to_licensed_vasp_allowed)
