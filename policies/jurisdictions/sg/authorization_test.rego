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
	"test_sg_unlicensed_vasp_refused": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("SG", [])), "in": "SG", "has": ["COUNTERPARTY_UNLICENSED"], "regulations": {"COUNTERPARTY_UNLICENSED": "Payment Services Act 2019, s. 5 (licence for digital payment token services)"}},
	"test_sg_licence_expired_day_before_refused": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("SG", [fx.licence("SG MAS DPT (PSA)", "active", "2026-11-25")])), "in": "SG", "has": ["COUNTERPARTY_UNLICENSED"]},
	"test_sg_licence_valid_until_the_day_allowed": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("SG", [fx.licence("SG MAS DPT (PSA)", "active", "2026-11-26")])), "in": "SG", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_sg_licence_valid_day_after_allowed": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("SG", [fx.licence("SG MAS DPT (PSA)", "active", "2026-11-27")])), "in": "SG", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_sg_foreign_licence_does_not_count": {"input": fx.to_party(fx.transfer(firm, own, fx.acct0, "security_token", 10), fx.vasp("SG", [fx.licence("HK SFC VATP", "active", null)])), "in": "SG", "has": ["COUNTERPARTY_UNLICENSED"]},
	"test_sg_clients_abroad_only_allowed_day_before_30_june_2025": {"input": fx.on_day(fx.transfer(firm, own, fx.address_of("merlion-sg", "vasp"), "security_token", 10), "2025-06-29"), "in": "SG", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_sg_clients_abroad_only_refused_on_30_june_2025": {"input": fx.on_day(fx.transfer(firm, own, fx.address_of("merlion-sg", "vasp"), "security_token", 10), "2025-06-30"), "in": "SG", "has": ["COUNTERPARTY_UNLICENSED"], "regulations": {"COUNTERPARTY_UNLICENSED": "Financial Services and Markets Act 2022, Part 9 (digital token service providers serving clients outside Singapore only, from 30 June 2025)"}},
	"test_sg_clients_abroad_only_refused_after_30_june_2025": {"input": fx.on_day(fx.transfer(firm, own, fx.address_of("merlion-sg", "vasp"), "security_token", 10), "2025-07-01"), "in": "SG", "has": ["COUNTERPARTY_UNLICENSED"], "regulations": {"COUNTERPARTY_UNLICENSED": "Financial Services and Markets Act 2022, Part 9 (digital token service providers serving clients outside Singapore only, from 30 June 2025)"}},
	"test_sg_caller_serving_clients_abroad_only_refused": {"input": fx.transfer(fx.subject("merlion-sg", "SG", "vasp"), fx.address_of("merlion-sg", "vasp"), fx.acct5, "security_token", 10), "in": "SG", "has": ["COUNTERPARTY_UNLICENSED"], "regulations": {"COUNTERPARTY_UNLICENSED": "Financial Services and Markets Act 2022, Part 9 (digital token service providers serving clients outside Singapore only, from 30 June 2025)"}},
}

# ---- tests (one per case) ----

test_sg_kyc_cites_psn02 if harness.passes(cases.test_sg_kyc_cites_psn02)

test_sg_sender_not_owned_cites_psn02 if harness.passes(cases.test_sg_sender_not_owned_cites_psn02)

test_sg_unknown_counterparty_allowed if harness.passes(cases.test_sg_unknown_counterparty_allowed)

test_sg_caller_role_needed if harness.passes(cases.test_sg_caller_role_needed)

# ---- licences ----

test_sg_unlicensed_vasp_refused if harness.passes(cases.test_sg_unlicensed_vasp_refused)

test_sg_licence_expired_day_before_refused if harness.passes(cases.test_sg_licence_expired_day_before_refused)

test_sg_licence_valid_until_the_day_allowed if harness.passes(cases.test_sg_licence_valid_until_the_day_allowed)

test_sg_licence_valid_day_after_allowed if harness.passes(cases.test_sg_licence_valid_day_after_allowed)

test_sg_foreign_licence_does_not_count if harness.passes(cases.test_sg_foreign_licence_does_not_count)

test_sg_clients_abroad_only_allowed_day_before_30_june_2025 if harness.passes(cases.test_sg_clients_abroad_only_allowed_day_before_30_june_2025)

test_sg_clients_abroad_only_refused_on_30_june_2025 if harness.passes(cases.test_sg_clients_abroad_only_refused_on_30_june_2025)

test_sg_clients_abroad_only_refused_after_30_june_2025 if harness.passes(cases.test_sg_clients_abroad_only_refused_after_30_june_2025)

test_sg_caller_serving_clients_abroad_only_refused if harness.passes(cases.test_sg_caller_serving_clients_abroad_only_refused)
