# The VASPs of a travel-rule payload (originatingVASP, beneficiaryVASP) checked against the
# entity directory (docs/policies.md, "Travel-rule payload").
package tests.lib.travel_vasp

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

acme := fx.subject("acme-us", "US", "institution")

harbour_firm := fx.subject("harbour-hk", "HK", "vasp")

harbour := fx.address_of("harbour-hk", "vasp")

harbour_customer := fx.address_of("harbour-hk", "individual")

ops := "0xd72b31eebd9ddff8648cdfe3951706f18b86cc6e"

# USD 5,000 of a stablecoin: the US and HK travel rules both apply.
to_harbour := fx.transfer(acme, fx.acct0, harbour, "stablecoin", 5000)

to_ops := fx.transfer(acme, fx.acct0, ops, "stablecoin", 5000)

from_customer := fx.transfer(harbour_firm, harbour_customer, fx.acct0, "stablecoin", 5000)

payload(doc) := fx.payload(doc.parties.sender.address, doc.parties.recipient.address)

# doc with the payload's `key` VASP replaced by `legal` (an IVMS101 legal person).
with_vasp(doc, key, legal) := fx.put(doc, "travel_rule", fx.put(payload(doc), key, {key: {"legalPerson": legal}}))

without_vasp(doc, key) := fx.put(doc, "travel_rule", object.remove(payload(doc), {key}))

named(name) := {"name": {"nameIdentifier": [{"legalPersonName": name}]}}

by_lei(lei) := {"nationalIdentification": fx.lei(lei)}

cases := {
	"test_travel_beneficiary_vasp_named_by_lei": {"input": fx.with_payload(to_harbour), "allow": true},
	"test_travel_beneficiary_vasp_named_by_legal_name": {"input": with_vasp(to_harbour, "beneficiaryVASP", named("  HARBOUR virtual  Assets ltd")), "allow": true},
	"test_travel_beneficiary_vasp_by_lei_and_name": {"input": with_vasp(to_harbour, "beneficiaryVASP", object.union(named("Harbour Virtual Assets Ltd"), by_lei("5493001HARBOURVA0011"))), "allow": true},
	"test_travel_beneficiary_vasp_missing": {"input": without_vasp(to_harbour, "beneficiaryVASP"), "codes": ["TRAVEL_RULE_INVALID"]},
	"test_travel_beneficiary_vasp_of_another_address": {"input": with_vasp(to_harbour, "beneficiaryVASP", by_lei("5493001PRAIRIECE0022")), "codes": ["TRAVEL_RULE_INVALID"]},
	"test_travel_beneficiary_vasp_unknown_lei": {"input": with_vasp(to_harbour, "beneficiaryVASP", by_lei("5493009UNKNOWNVA0099")), "codes": ["TRAVEL_RULE_INVALID"]},
	"test_travel_beneficiary_vasp_wrong_name": {"input": with_vasp(to_harbour, "beneficiaryVASP", named("Harbor Assets")), "codes": ["TRAVEL_RULE_INVALID"]},
	"test_travel_beneficiary_vasp_lei_and_name_disagree": {"input": with_vasp(to_harbour, "beneficiaryVASP", object.union(named("Gulch Swap LLC"), by_lei("5493001HARBOURVA0011"))), "codes": ["TRAVEL_RULE_INVALID"]},
	"test_travel_directory_vasp_named_for_an_address_it_does_not_serve": {"input": with_vasp(to_ops, "beneficiaryVASP", by_lei("5493001HARBOURVA0011")), "codes": ["TRAVEL_RULE_INVALID"]},
	"test_travel_unknown_lei_for_an_address_without_vasp": {"input": with_vasp(to_ops, "beneficiaryVASP", by_lei("5493009UNKNOWNVA0099")), "codes": ["TRAVEL_RULE_INVALID"]},
	"test_travel_vasp_name_unchecked_where_the_directory_knows_none": {"input": with_vasp(to_ops, "beneficiaryVASP", named("Some Other Bank")), "allow": true},
	"test_travel_no_vasp_needed_where_the_directory_knows_none": {"input": fx.with_payload(to_ops), "allow": true},
	"test_travel_originating_vasp_of_a_customer_required": {"input": without_vasp(from_customer, "originatingVASP"), "codes": ["TRAVEL_RULE_INVALID"]},
	"test_travel_originating_vasp_of_a_customer_named": {"input": fx.with_payload(from_customer), "allow": true},
	"test_travel_vasps_unchecked_below_every_threshold": {"input": without_vasp(fx.transfer(acme, fx.acct0, harbour, "stablecoin", 10), "beneficiaryVASP"), "allow": true},
}

test_travel_beneficiary_vasp_named_by_lei if harness.passes(cases.test_travel_beneficiary_vasp_named_by_lei)

test_travel_beneficiary_vasp_named_by_legal_name if harness.passes(cases.test_travel_beneficiary_vasp_named_by_legal_name)

test_travel_beneficiary_vasp_by_lei_and_name if harness.passes(cases.test_travel_beneficiary_vasp_by_lei_and_name)

test_travel_beneficiary_vasp_missing if harness.passes(cases.test_travel_beneficiary_vasp_missing)

test_travel_beneficiary_vasp_of_another_address if harness.passes(cases.test_travel_beneficiary_vasp_of_another_address)

test_travel_beneficiary_vasp_unknown_lei if harness.passes(cases.test_travel_beneficiary_vasp_unknown_lei)

test_travel_beneficiary_vasp_wrong_name if harness.passes(cases.test_travel_beneficiary_vasp_wrong_name)

test_travel_beneficiary_vasp_lei_and_name_disagree if harness.passes(cases.test_travel_beneficiary_vasp_lei_and_name_disagree)

test_travel_directory_vasp_named_for_an_address_it_does_not_serve if harness.passes(cases.test_travel_directory_vasp_named_for_an_address_it_does_not_serve)

test_travel_unknown_lei_for_an_address_without_vasp if harness.passes(cases.test_travel_unknown_lei_for_an_address_without_vasp)

test_travel_vasp_name_unchecked_where_the_directory_knows_none if harness.passes(cases.test_travel_vasp_name_unchecked_where_the_directory_knows_none)

test_travel_no_vasp_needed_where_the_directory_knows_none if harness.passes(cases.test_travel_no_vasp_needed_where_the_directory_knows_none)

test_travel_originating_vasp_of_a_customer_required if harness.passes(cases.test_travel_originating_vasp_of_a_customer_required)

test_travel_originating_vasp_of_a_customer_named if harness.passes(cases.test_travel_originating_vasp_of_a_customer_named)

test_travel_vasps_unchecked_below_every_threshold if harness.passes(cases.test_travel_vasps_unchecked_below_every_threshold)
