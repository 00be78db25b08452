# Statutory figures pinned as literals in their own currency (not read from the data under
# test): a typo in data/jurisdictions.json fails one of these.
package tests.jurisdictions.jp.statute

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

sakura := fx.subject("sakura-jp", "JP", "institution")

treasury := fx.address_of("sakura-jp", "institution")

sato := fx.address_of("sakura-jp", "individual")

# APTCP art. 10-5: threshold UNCONFIRMED, so applied from the first yen.
tr(jpy) := data.tests.fixtures.transfer(sakura, treasury, sato, "stablecoin", data.tests.fixtures.usd(jpy, "JPY"))

# FEFTA art. 55(1) / FX Order art. 18-4(1)(i): payments of more than JPY 30 million.
abroad(jpy) := data.tests.fixtures.with_payload(data.tests.fixtures.transfer(sakura, treasury, data.tests.fixtures.acct0, "security_token", data.tests.fixtures.usd(jpy, "JPY")))

# Art. 55(1) covers receipts too: a JP party receiving more than JPY 30 million from abroad.
lion := fx.subject("lion-sg", "SG", "institution")

from_abroad(jpy) := data.tests.fixtures.with_payload(data.tests.fixtures.transfer(lion, data.tests.fixtures.acct5, treasury, "security_token", data.tests.fixtures.usd(jpy, "JPY")))


cases := {
	"test_jp_statute_travel_rule_from_jpy_1": {"input": tr(1), "in": "JP", "require_travel_rule": true, "codes": ["TRAVEL_RULE_MISSING"]},
	"test_jp_statute_fefta_below_jpy_30m": {"input": abroad(29999999), "in": "JP", "reports": []},
	"test_jp_statute_fefta_at_jpy_30m": {"input": abroad(30000000), "in": "JP", "reports": []},
	"test_jp_statute_fefta_above_jpy_30m": {"input": abroad(30000001), "in": "JP", "reports": ["fefta_payment_report"]},
	"test_jp_statute_fefta_receipt_at_jpy_30m": {"input": from_abroad(30000000), "in": "JP", "reports": []},
	"test_jp_statute_fefta_receipt_above_jpy_30m": {"input": from_abroad(30000001), "in": "JP", "reports": ["fefta_receipt_report"]},
	"test_jp_statute_fefta_domestic_no_receipt": {"input": data.tests.fixtures.transfer(sakura, treasury, sato, "security_token", data.tests.fixtures.usd(30000001, "JPY")), "in": "JP", "reports": []},
	"test_jp_statute_fefta_receipt_below_jpy_30m": {"input": from_abroad(29999999), "in": "JP", "reports": []},
}

# ---- tests (one per case) ----

test_jp_statute_travel_rule_from_jpy_1 if harness.passes(cases.test_jp_statute_travel_rule_from_jpy_1)

test_jp_statute_fefta_below_jpy_30m if harness.passes(cases.test_jp_statute_fefta_below_jpy_30m)

test_jp_statute_fefta_at_jpy_30m if harness.passes(cases.test_jp_statute_fefta_at_jpy_30m)

test_jp_statute_fefta_above_jpy_30m if harness.passes(cases.test_jp_statute_fefta_above_jpy_30m)

test_jp_statute_fefta_receipt_at_jpy_30m if harness.passes(cases.test_jp_statute_fefta_receipt_at_jpy_30m)

test_jp_statute_fefta_receipt_above_jpy_30m if harness.passes(cases.test_jp_statute_fefta_receipt_above_jpy_30m)

test_jp_statute_fefta_domestic_no_receipt if harness.passes(cases.test_jp_statute_fefta_domestic_no_receipt)

test_jp_statute_fefta_receipt_below_jpy_30m if harness.passes(cases.test_jp_statute_fefta_receipt_below_jpy_30m)
