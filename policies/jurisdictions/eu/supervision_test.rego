package tests.jurisdictions.eu.supervision

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

hanse := fx.subject("hanse-de", "DE", "institution")

anna := fx.address_of("hanse-de", "individual")

sh := fx.usd(data.reference.jurisdictions.EU.self_hosted.threshold, data.reference.jurisdictions.EU.self_hosted.currency)

limit := fx.daily_usd("EU", "institution")

to_anna(class, usd) := data.tests.fixtures.transfer(hanse, data.tests.fixtures.acct4, anna, class, usd)

to_wallet(usd) := data.tests.fixtures.with_payload(data.tests.fixtures.transfer(hanse, data.tests.fixtures.acct4, data.tests.fixtures.acct7, "stablecoin", usd))

attestation(address, verified) := {"method": "signature", "address": address, "verifiedAt": verified}

attested(doc, att) := data.tests.fixtures.put(doc, "travel_rule", data.tests.fixtures.put(doc.travel_rule, "beneficiary", data.tests.fixtures.put(doc.travel_rule.beneficiary, "selfHostedVerification", att)))

cases := {
	"test_eu_travel_rule_every_transfer": {"input": to_anna("tokenized_deposit", 0.01), "in": "EU", "codes": ["TRAVEL_RULE_MISSING"], "require_travel_rule": true},
	"test_eu_travel_rule_stablecoin": {"input": to_anna("stablecoin", 5), "in": "EU", "codes": ["TRAVEL_RULE_MISSING"]},
	"test_eu_travel_rule_valid_payload": {"input": fx.with_payload(to_anna("stablecoin", 5)), "allow": true},
	"test_eu_travel_rule_needs_address_or_birth_data": {
		"input": fx.with_payload_of(to_anna("stablecoin", 5), fx.name_only, fx.person),
		"in": "EU", "codes": ["TRAVEL_RULE_INVALID"],
	},
	"test_eu_travel_rule_beneficiary_account_must_match": {
		"input": fx.put(to_anna("stablecoin", 5), "travel_rule", fx.payload(fx.acct4, fx.acct0)),
		"in": "EU", "codes": ["TRAVEL_RULE_INVALID"],
	},
	"test_eu_no_transfer_no_travel_rule": {"input": to_anna("security_token", 5), "in": "EU", "codes": []},
	"test_eu_self_hosted_at_threshold": {"input": to_wallet(sh), "in": "EU", "codes": []},
	"test_eu_self_hosted_just_below_threshold": {"input": to_wallet(sh - 0.01), "in": "EU", "codes": []},
	"test_eu_self_hosted_above_threshold_unverified": {"input": to_wallet(sh + 0.01), "in": "EU", "codes": ["SELF_HOSTED_UNVERIFIED"]},
	"test_eu_self_hosted_attested": {"input": attested(to_wallet(sh + 0.01), attestation(fx.acct7, fx.day)), "allow": true},
	"test_eu_self_hosted_attestation_for_other_address": {
		"input": attested(to_wallet(sh + 0.01), attestation(fx.acct9, fx.day)),
		"in": "EU", "codes": ["SELF_HOSTED_UNVERIFIED"],
	},
	"test_eu_self_hosted_attestation_dated_later": {
		"input": attested(to_wallet(sh + 0.01), attestation(fx.acct7, "2099-01-01")),
		"in": "EU", "codes": ["SELF_HOSTED_UNVERIFIED"],
	},
	"test_eu_unknown_recipient_treated_as_self_hosted": {
		"input": fx.with_payload(fx.transfer(hanse, fx.acct4, fx.acct9, "stablecoin", sh + 0.01)),
		"in": "EU", "codes": ["SELF_HOSTED_UNVERIFIED"],
	},
	"test_eu_rules_follow_eu_sender_only": {
		"input": fx.with_payload(fx.transfer(fx.subject("acme-us", "US", "institution"), fx.acct0, fx.acct7, "stablecoin", sh + 0.01)),
		"in": "EU", "codes": [],
	},
	"test_eu_daily_limit_just_below": {"input": fx.spent(fx.with_payload(to_anna("stablecoin", 100)), "EU", "person_daily_usd", limit - 100.01), "allow": true},
	"test_eu_daily_limit_exceeded": {"input": fx.spent(fx.with_payload(to_anna("stablecoin", 100)), "EU", "person_daily_usd", limit - 99.99), "in": "EU", "codes": ["DAILY_LIMIT_EXCEEDED"]},
}

# ---- tests (one per case) ----

test_eu_travel_rule_every_transfer if harness.passes(cases.test_eu_travel_rule_every_transfer)

test_eu_travel_rule_stablecoin if harness.passes(cases.test_eu_travel_rule_stablecoin)

test_eu_travel_rule_valid_payload if harness.passes(cases.test_eu_travel_rule_valid_payload)

test_eu_travel_rule_needs_address_or_birth_data if harness.passes(cases.test_eu_travel_rule_needs_address_or_birth_data)

test_eu_travel_rule_beneficiary_account_must_match if harness.passes(cases.test_eu_travel_rule_beneficiary_account_must_match)

test_eu_no_transfer_no_travel_rule if harness.passes(cases.test_eu_no_transfer_no_travel_rule)

test_eu_self_hosted_at_threshold if harness.passes(cases.test_eu_self_hosted_at_threshold)

test_eu_self_hosted_just_below_threshold if harness.passes(cases.test_eu_self_hosted_just_below_threshold)

test_eu_self_hosted_above_threshold_unverified if harness.passes(cases.test_eu_self_hosted_above_threshold_unverified)

test_eu_self_hosted_attested if harness.passes(cases.test_eu_self_hosted_attested)

test_eu_self_hosted_attestation_for_other_address if harness.passes(cases.test_eu_self_hosted_attestation_for_other_address)

test_eu_self_hosted_attestation_dated_later if harness.passes(cases.test_eu_self_hosted_attestation_dated_later)

test_eu_unknown_recipient_treated_as_self_hosted if harness.passes(cases.test_eu_unknown_recipient_treated_as_self_hosted)

test_eu_rules_follow_eu_sender_only if harness.passes(cases.test_eu_rules_follow_eu_sender_only)

test_eu_daily_limit_just_below if harness.passes(cases.test_eu_daily_limit_just_below)

test_eu_daily_limit_exceeded if harness.passes(cases.test_eu_daily_limit_exceeded)
