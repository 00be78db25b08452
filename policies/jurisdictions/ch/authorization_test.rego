package tests.jurisdictions.ch.authorization

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

alpine := fx.subject("alpine-ch", "CH", "institution")

cases := {
	"test_ch_unknown_counterparty_refused": {"input": fx.with_payload(fx.transfer(alpine, fx.acct8, fx.acct9, "stablecoin", 1)), "in": "CH", "codes": ["UNKNOWN_COUNTERPARTY"]},
	"test_ch_known_counterparty_allowed": {"input": fx.with_payload(fx.transfer(alpine, fx.acct8, fx.acct0, "stablecoin", 1)), "in": "CH", "codes": []},
	"test_ch_unlicensed_vasp_refused": {"input": fx.to_party(fx.transfer(alpine, fx.acct8, fx.acct0, "security_token", 10), fx.vasp("CH", [])), "in": "CH", "has": ["COUNTERPARTY_UNLICENSED"], "regulations": {"COUNTERPARTY_UNLICENSED": "Anti-Money Laundering Act (AMLA, SR 955.0), arts. 12, 14 (FINMA supervision or affiliation to a self-regulatory organisation)"}},
	"test_ch_licence_expired_day_before_refused": {"input": fx.to_party(fx.transfer(alpine, fx.acct8, fx.acct0, "security_token", 10), fx.vasp("CH", [fx.licence("CH FINMA/SRO", "active", "2026-11-25")])), "in": "CH", "has": ["COUNTERPARTY_UNLICENSED"]},
	"test_ch_licence_valid_until_the_day_allowed": {"input": fx.to_party(fx.transfer(alpine, fx.acct8, fx.acct0, "security_token", 10), fx.vasp("CH", [fx.licence("CH FINMA/SRO", "active", "2026-11-26")])), "in": "CH", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_ch_licence_valid_day_after_allowed": {"input": fx.to_party(fx.transfer(alpine, fx.acct8, fx.acct0, "security_token", 10), fx.vasp("CH", [fx.licence("CH FINMA/SRO", "active", "2026-11-27")])), "in": "CH", "lacks": ["COUNTERPARTY_UNLICENSED"]},
	"test_ch_foreign_licence_does_not_count": {"input": fx.to_party(fx.transfer(alpine, fx.acct8, fx.acct0, "security_token", 10), fx.vasp("CH", [fx.licence("EU MiCA CASP", "active", null)])), "in": "CH", "has": ["COUNTERPARTY_UNLICENSED"]},
}

# ---- tests (one per case) ----

test_ch_unknown_counterparty_refused if harness.passes(cases.test_ch_unknown_counterparty_refused)

test_ch_known_counterparty_allowed if harness.passes(cases.test_ch_known_counterparty_allowed)

# ---- licences ----

test_ch_unlicensed_vasp_refused if harness.passes(cases.test_ch_unlicensed_vasp_refused)

test_ch_licence_expired_day_before_refused if harness.passes(cases.test_ch_licence_expired_day_before_refused)

test_ch_licence_valid_until_the_day_allowed if harness.passes(cases.test_ch_licence_valid_until_the_day_allowed)

test_ch_licence_valid_day_after_allowed if harness.passes(cases.test_ch_licence_valid_day_after_allowed)

test_ch_foreign_licence_does_not_count if harness.passes(cases.test_ch_foreign_licence_does_not_count)
