# Sanctions lists (docs/policies.md, "Sanctions lists"): a listed address is refused citing the
# list that names it; a travel-rule name matching a listed name at or above the threshold of
# data/screening.json (90 as shipped) is refused citing that list.
package tests.lib.sanctions

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

acme := fx.subject("acme-us", "US", "institution")

# On the shipped EU consolidated list sample (data/eu_fsf.csv), not on the OFAC sample.
eu_listed := "0x00000000000000000000000000000000000e0f5f"

ofac_regulation := "OFAC Specially Designated Nationals and Blocked Persons List, 31 CFR chapter V; FATF Recommendation 6"

eu_regulation := "EU consolidated list of persons, groups and entities subject to EU financial sanctions (asset freeze under the CFSP restrictive-measures regulations, e.g. Council Regulation (EU) No 269/2014); FATF Recommendation 6"

clean := fx.transfer(acme, fx.acct0, fx.acct9, "tokenized_deposit", 100)

matched(score) := fx.put(clean, "screening", {
	"lists": [],
	"matches": [{"role": "beneficiary", "name": "Dmitry Samplevich", "list": "eu_fsf", "entry": "990001", "listed_name": "Dmitry SAMPLEVICH", "score": score}],
})

cases := {
	"test_eu_listed_recipient_cites_the_eu_list": {
		"input": fx.transfer(acme, fx.acct0, eu_listed, "tokenized_deposit", 100),
		"codes": ["SANCTIONED_PARTY"],
		"regulations": {"SANCTIONED_PARTY": eu_regulation},
	},
	"test_ofac_listed_recipient_cites_ofac": {
		"input": fx.transfer(acme, fx.acct0, fx.sanctioned_address, "tokenized_deposit", 100),
		"codes": ["SANCTIONED_PARTY"],
		"regulations": {"SANCTIONED_PARTY": ofac_regulation},
	},
	"test_name_match_at_threshold_refused": {
		"input": matched(90),
		"codes": ["SANCTIONED_NAME_MATCH"],
		"regulations": {"SANCTIONED_NAME_MATCH": eu_regulation},
	},
	"test_name_match_above_threshold_refused": {"input": matched(100), "codes": ["SANCTIONED_NAME_MATCH"]},
	"test_name_match_below_threshold_allowed": {"input": matched(89.9), "allow": true},
	"test_no_screening_document_allowed": {"input": clean, "allow": true},
	"test_name_match_on_a_read_ignored": {
		"input": fx.put(fx.reading(acme, "eth_getBalance", [fx.acct9]), "screening", matched(100).screening),
		"allow": true,
	},
	"test_name_match_masked_in_the_log": {"input": matched(100), "mask": ["/screening/matches/*/name"]},
	"test_masked_name_still_refused_on_replay": {
		"input": fx.put(clean, "screening", {"lists": [], "matches": [object.remove(matched(100).screening.matches[0], ["name"])]}),
		"codes": ["SANCTIONED_NAME_MATCH"],
	},
	"test_write_with_travel_rule_without_screening_invalid": {
		"input": object.remove(fx.put(clean, "travel_rule", {"originator": {}, "beneficiary": {}}), ["screening"]),
		"has": ["INPUT_INVALID"],
	},
	"test_match_without_score_invalid": {
		"input": fx.put(clean, "screening", {"lists": [], "matches": [object.remove(matched(100).screening.matches[0], ["score"])]}),
		"has": ["INPUT_INVALID"],
	},
}

test_eu_listed_recipient_cites_the_eu_list if harness.passes(cases.test_eu_listed_recipient_cites_the_eu_list)

test_ofac_listed_recipient_cites_ofac if harness.passes(cases.test_ofac_listed_recipient_cites_ofac)

test_name_match_at_threshold_refused if harness.passes(cases.test_name_match_at_threshold_refused)

test_name_match_above_threshold_refused if harness.passes(cases.test_name_match_above_threshold_refused)

test_name_match_below_threshold_allowed if harness.passes(cases.test_name_match_below_threshold_allowed)

test_no_screening_document_allowed if harness.passes(cases.test_no_screening_document_allowed)

test_name_match_on_a_read_ignored if harness.passes(cases.test_name_match_on_a_read_ignored)

test_name_match_masked_in_the_log if harness.passes(cases.test_name_match_masked_in_the_log)

test_masked_name_still_refused_on_replay if harness.passes(cases.test_masked_name_still_refused_on_replay)

test_write_with_travel_rule_without_screening_invalid if harness.passes(cases.test_write_with_travel_rule_without_screening_invalid)

test_match_without_score_invalid if harness.passes(cases.test_match_without_score_invalid)
