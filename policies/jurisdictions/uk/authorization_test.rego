# Authorization rules of UK: the baseline reasons cite UK's instrument (pinned here as a
# literal, not read from the package under test) and unknown recipients are allowed.
package tests.jurisdictions.uk.authorization

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

firm := fx.subject("thames-uk", "GB", "institution")

own := fx.address_of("thames-uk", "institution")

cases := {
	"test_uk_kyc_cites_mlr_reg_28": {
		"input": fx.transfer(fx.put(firm, "kyc", "pending"), own, own, "security_token", 10),
		"codes": ["KYC_REQUIRED"],
		"regulations": {"KYC_REQUIRED": "MLR 2017 (SI 2017/692), reg. 28 (customer due diligence measures)"},
	},
	"test_uk_sender_not_owned_cites_mlr_reg_28": {
		"input": fx.transfer(firm, fx.acct0, own, "security_token", 10),
		"codes": ["SENDER_NOT_OWNED"],
		"regulations": {"SENDER_NOT_OWNED": "MLR 2017 (SI 2017/692), reg. 28 (customer due diligence measures)"},
	},
	"test_uk_unknown_counterparty_allowed": {"input": fx.transfer(firm, own, fx.acct9, "security_token", 10), "in": "UK", "lacks": ["UNKNOWN_COUNTERPARTY"]},
	"test_uk_caller_role_needed": {"input": fx.transfer(fx.put(firm, "roles", ["auditor"]), own, own, "security_token", 10), "codes": ["ROLE_FORBIDDEN"]},
	"test_uk_unlicensed_vasp_refused": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("GB", [])), "in": "UK", "has": ["COUNTERPARTY_UNLICENSED"], "regulations": {"COUNTERPARTY_UNLICENSED": "Money Laundering Regulations 2017 (SI 2017/692), reg. 56 (cryptoasset exchange providers and custodian wallet providers registered with the FCA)"}},
	"test_uk_licence_expired_day_before_refused": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("GB", [fx.licence("UK FCA cryptoasset registration", "active", "2026-11-25")])), "in": "UK", "has": ["COUNTERPARTY_UNLICENSED"]},
	"test_uk_licence_valid_until_the_day_allowed": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("GB", [fx.licence("UK FCA cryptoasset registration", "active", "2026-11-26")])), "in": "UK", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_uk_licence_valid_day_after_allowed": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("GB", [fx.licence("UK FCA cryptoasset registration", "active", "2026-11-27")])), "in": "UK", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_uk_foreign_licence_does_not_count": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("GB", [fx.licence("EU MiCA CASP", "active", null)])), "in": "UK", "has": ["COUNTERPARTY_UNLICENSED"]},
}

# ---- tests (one per case) ----

test_uk_kyc_cites_mlr_reg_28 if harness.passes(cases.test_uk_kyc_cites_mlr_reg_28)

test_uk_sender_not_owned_cites_mlr_reg_28 if harness.passes(cases.test_uk_sender_not_owned_cites_mlr_reg_28)

test_uk_unknown_counterparty_allowed if harness.passes(cases.test_uk_unknown_counterparty_allowed)

test_uk_caller_role_needed if harness.passes(cases.test_uk_caller_role_needed)

# ---- licences ----

test_uk_unlicensed_vasp_refused if harness.passes(cases.test_uk_unlicensed_vasp_refused)

test_uk_licence_expired_day_before_refused if harness.passes(cases.test_uk_licence_expired_day_before_refused)

test_uk_licence_valid_until_the_day_allowed if harness.passes(cases.test_uk_licence_valid_until_the_day_allowed)

test_uk_licence_valid_day_after_allowed if harness.passes(cases.test_uk_licence_valid_day_after_allowed)

test_uk_foreign_licence_does_not_count if harness.passes(cases.test_uk_foreign_licence_does_not_count)
