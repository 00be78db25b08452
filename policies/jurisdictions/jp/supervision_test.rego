package tests.jurisdictions.jp.supervision

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

sakura := fx.subject("sakura-jp", "JP", "institution")

treasury := fx.address_of("sakura-jp", "institution")

sato := fx.address_of("sakura-jp", "individual")

fefta := fx.usd(data.reference.jurisdictions.JP.reports[0].threshold, data.reference.jurisdictions.JP.reports[0].currency)

abroad(usd) := data.tests.fixtures.with_payload(data.tests.fixtures.transfer(sakura, treasury, data.tests.fixtures.acct0, "security_token", usd))

cases := {
	"test_jp_travel_rule_from_zero": {"input": fx.transfer(sakura, treasury, sato, "stablecoin", 0.01), "in": "JP", "codes": ["TRAVEL_RULE_MISSING"]},
	"test_jp_travel_rule_valid_payload": {"input": fx.with_payload(fx.transfer(sakura, treasury, sato, "stablecoin", 0.01)), "allow": true},
	"test_jp_fefta_report_at_threshold_not_due": {"input": abroad(fefta), "in": "JP", "reports": []},
	"test_jp_fefta_report_above_threshold": {"input": abroad(fefta + 0.01), "in": "JP", "reports": ["fefta_payment_report"]},
	"test_jp_fefta_report_domestic_not_due": {"input": fx.transfer(sakura, treasury, sato, "security_token", fefta + 1), "in": "JP", "reports": []},
	"test_jp_travel_rule_needs_identifying_data": {"input": fx.with_payload_of(fx.transfer(sakura, treasury, sato, "stablecoin", 0.01), fx.name_only, fx.name_only), "in": "JP", "codes": ["TRAVEL_RULE_INVALID"]},
	"test_jp_daily_limit_exceeded": {"input": fx.spent(fx.transfer(sakura, treasury, sato, "security_token", 100), "JP", "person_daily_usd", fx.daily_usd("JP", "institution") - 99.99), "in": "JP", "codes": ["DAILY_LIMIT_EXCEEDED"]},
	"test_jp_daily_limit_just_below": {"input": fx.spent(fx.transfer(sakura, treasury, sato, "security_token", 100), "JP", "person_daily_usd", fx.daily_usd("JP", "institution") - 100.01), "in": "JP", "codes": []},
}

# ---- tests (one per case) ----

test_jp_travel_rule_from_zero if harness.passes(cases.test_jp_travel_rule_from_zero)

test_jp_travel_rule_valid_payload if harness.passes(cases.test_jp_travel_rule_valid_payload)

test_jp_fefta_report_at_threshold_not_due if harness.passes(cases.test_jp_fefta_report_at_threshold_not_due)

test_jp_fefta_report_above_threshold if harness.passes(cases.test_jp_fefta_report_above_threshold)

test_jp_fefta_report_domestic_not_due if harness.passes(cases.test_jp_fefta_report_domestic_not_due)

test_jp_travel_rule_needs_identifying_data if harness.passes(cases.test_jp_travel_rule_needs_identifying_data)

test_jp_daily_limit_exceeded if harness.passes(cases.test_jp_daily_limit_exceeded)

test_jp_daily_limit_just_below if harness.passes(cases.test_jp_daily_limit_just_below)
