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
	"test_eu_unlicensed_vasp_refused": {"input": fx.to_party(fx.transfer(hanse, fx.acct4, fx.acct0, "security_token", 10), fx.vasp("DE", [])), "in": "EU", "has": ["COUNTERPARTY_UNLICENSED"], "regulations": {"COUNTERPARTY_UNLICENSED": "Regulation (EU) 2023/1114 (MiCA), art. 59 (authorisation of crypto-asset service providers) and art. 143(3) (national registrations count until 1 July 2026 at the latest)"}},
	"test_eu_licence_expired_day_before_refused": {"input": fx.to_party(fx.transfer(hanse, fx.acct4, fx.acct0, "security_token", 10), fx.vasp("DE", [fx.licence("EU MiCA CASP", "active", "2026-11-25")])), "in": "EU", "has": ["COUNTERPARTY_UNLICENSED"]},
	"test_eu_licence_valid_until_the_day_allowed": {"input": fx.to_party(fx.transfer(hanse, fx.acct4, fx.acct0, "security_token", 10), fx.vasp("DE", [fx.licence("EU MiCA CASP", "active", "2026-11-26")])), "in": "EU", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_eu_licence_valid_day_after_allowed": {"input": fx.to_party(fx.transfer(hanse, fx.acct4, fx.acct0, "security_token", 10), fx.vasp("DE", [fx.licence("EU MiCA CASP", "active", "2026-11-27")])), "in": "EU", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_eu_foreign_licence_does_not_count": {"input": fx.to_party(fx.transfer(hanse, fx.acct4, fx.acct0, "security_token", 10), fx.vasp("DE", [fx.licence("UK FCA cryptoasset registration", "active", null)])), "in": "EU", "has": ["COUNTERPARTY_UNLICENSED"]},
	"test_eu_national_registration_counts_day_before_1_july_2026": {"input": fx.on_day(fx.transfer(hanse, fx.acct4, fx.address_of("nordlicht-de", "vasp"), "security_token", 10), "2026-06-30"), "in": "EU", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_eu_national_registration_refused_on_1_july_2026": {"input": fx.on_day(fx.transfer(hanse, fx.acct4, fx.address_of("nordlicht-de", "vasp"), "security_token", 10), "2026-07-01"), "in": "EU", "has": ["COUNTERPARTY_UNLICENSED"]},
	"test_eu_national_registration_refused_after_1_july_2026": {"input": fx.on_day(fx.transfer(hanse, fx.acct4, fx.address_of("nordlicht-de", "vasp"), "security_token", 10), "2026-07-02"), "in": "EU", "has": ["COUNTERPARTY_UNLICENSED"]},
	"test_eu_mica_casp_allowed_on_1_july_2026": {"input": fx.on_day(fx.transfer(hanse, fx.acct4, fx.address_of("rhein-de", "vasp"), "security_token", 10), "2026-07-01"), "in": "EU", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_eu_caller_vasp_with_national_registration_only_refused": {"input": fx.on_day(fx.transfer(fx.subject("nordlicht-de", "DE", "vasp"), fx.address_of("nordlicht-de", "vasp"), fx.acct4, "security_token", 10), "2026-07-01"), "in": "EU", "has": ["COUNTERPARTY_UNLICENSED"]},
}

# ---- tests (one per case) ----

test_eu_member_kyc_cites_amld if harness.passes(cases.test_eu_member_kyc_cites_amld)

test_eu_sender_must_be_owned if harness.passes(cases.test_eu_sender_must_be_owned)

# ---- licences ----

test_eu_unlicensed_vasp_refused if harness.passes(cases.test_eu_unlicensed_vasp_refused)

test_eu_licence_expired_day_before_refused if harness.passes(cases.test_eu_licence_expired_day_before_refused)

test_eu_licence_valid_until_the_day_allowed if harness.passes(cases.test_eu_licence_valid_until_the_day_allowed)

test_eu_licence_valid_day_after_allowed if harness.passes(cases.test_eu_licence_valid_day_after_allowed)

test_eu_foreign_licence_does_not_count if harness.passes(cases.test_eu_foreign_licence_does_not_count)

test_eu_national_registration_counts_day_before_1_july_2026 if harness.passes(cases.test_eu_national_registration_counts_day_before_1_july_2026)

test_eu_national_registration_refused_on_1_july_2026 if harness.passes(cases.test_eu_national_registration_refused_on_1_july_2026)

test_eu_national_registration_refused_after_1_july_2026 if harness.passes(cases.test_eu_national_registration_refused_after_1_july_2026)

test_eu_mica_casp_allowed_on_1_july_2026 if harness.passes(cases.test_eu_mica_casp_allowed_on_1_july_2026)

test_eu_caller_vasp_with_national_registration_only_refused if harness.passes(cases.test_eu_caller_vasp_with_national_registration_only_refused)
