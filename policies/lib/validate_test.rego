package tests.lib.validate

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

acme := fx.subject("acme-us", "US", "institution")

ok_transfer := fx.transfer(acme, fx.acct0, fx.address_of("acme-us", "institution"), "tokenized_deposit", 100)

ok_read := fx.reading(acme, "eth_getBalance", [fx.acct0])

unknown_entity := {"address": "0x00000000000000000000000000000000000000aa", "org": null, "jurisdiction": null, "entity_kind": null, "kyc": null, "sanctioned": false, "self_hosted": false, "known": false, "licences": [], "clients_abroad_only": false}

cases := {
	"test_complete_transfer_is_valid": {"input": ok_transfer, "allow": true},
	"test_complete_read_is_valid": {"input": ok_read, "allow": true},
	"test_send_transaction_without_nonce_is_valid": {"input": fx.put(fx.put2(ok_transfer, "tx", "nonce", null), "request", fx.request("write", "eth_sendTransaction")), "allow": true},
	"test_decoded_write_without_tx": {"input": fx.put(ok_transfer, "tx", null), "has": ["INPUT_INVALID"]},
	"test_read_without_read_section": {"input": fx.put(ok_read, "read", null), "has": ["INPUT_INVALID"]},
	"test_write_without_recipient": {"input": fx.put(ok_transfer, "parties", {"sender": fx.entity(fx.acct0)}), "has": ["INPUT_INVALID"]},
	"test_role_not_a_string": {"input": fx.put2(ok_read, "subject", "roles", ["trader", 7]), "has": ["INPUT_INVALID"]},
	"test_residency_item_not_a_string": {"input": fx.put2(ok_read, "read", "residency", [null]), "has": ["INPUT_INVALID"]},
	"test_read_party_not_an_entity": {"input": fx.put2(ok_read, "read", "parties", [{"address": fx.acct0}]), "has": ["INPUT_INVALID"]},
	"test_effect_without_amount_field_type": {"input": fx.put(ok_transfer, "effects", [object.union(fx.effect("stablecoin", fx.acct0, fx.acct1, 10, 0), {"amount_usd": "10"})]), "has": ["INPUT_INVALID"]},
	"test_approval_without_spender": {"input": fx.put(ok_transfer, "approvals", [{"kind": "erc20", "owner": fx.entity(fx.acct0), "asset": object.union(fx.asset_of_class.stablecoin, {"known": true}), "amount": "1", "approved": true}]), "has": ["INPUT_INVALID"]},
	"test_contract_registered_not_a_boolean": {"input": fx.put(ok_transfer, "contracts", [{"address": fx.multisend, "registered": "yes", "name": null, "kind": null, "org": null, "jurisdiction": null}]), "has": ["INPUT_INVALID"]},
	"test_known_party_without_jurisdiction": {"input": fx.put2(ok_transfer, "parties", "recipient", object.union(fx.entity(fx.acct1), {"jurisdiction": null})), "has": ["INPUT_INVALID"]},
	"test_unknown_party_has_null_directory_fields": {"input": fx.put2(ok_transfer, "parties", "recipient", unknown_entity), "lacks": ["INPUT_INVALID"]},
	"test_aggregate_not_a_number": {"input": fx.spent(ok_transfer, "US", "person_daily_usd", "0"), "has": ["INPUT_INVALID"]},
	"test_aggregate_30_days_not_a_number": {"input": fx.put2(ok_transfer, "aggregates", "person_30d_usd", null), "has": ["INPUT_INVALID"]},
	"test_write_without_a_jurisdictions_figures": {"input": fx.put2(ok_transfer, "aggregates", "by_jurisdiction", object.remove(fx.zero_aggregates.by_jurisdiction, {"CN"})), "has": ["INPUT_INVALID"]},
	"test_write_without_a_person": {"input": fx.put2(ok_transfer, "aggregates", "person", null), "has": ["INPUT_INVALID"]},
	"test_read_needs_no_figures": {"input": fx.put(ok_read, "aggregates", {"person": null, "person_30d_usd": 0, "by_jurisdiction": {}}), "allow": true},
	"test_entity_without_licences": {"input": fx.put2(ok_transfer, "parties", "recipient", object.remove(fx.entity(fx.acct1), {"licences"})), "has": ["INPUT_INVALID"]},
	"test_licence_expiry_not_a_string": {"input": fx.put2(ok_transfer, "parties", "recipient", object.union(fx.entity(fx.acct1), {"licences": [{"regime": "US FinCEN MSB", "status": "active", "valid_until": 20271231}]})), "has": ["INPUT_INVALID"]},
	"test_licence_without_status": {"input": fx.put2(ok_transfer, "parties", "recipient", object.union(fx.entity(fx.acct1), {"licences": [{"regime": "US FinCEN MSB", "valid_until": null}]})), "has": ["INPUT_INVALID"]},
	"test_input_not_an_object": {"input": [], "has": ["INPUT_INVALID", "METHOD_FORBIDDEN"]},
}

test_complete_transfer_is_valid if harness.passes(cases.test_complete_transfer_is_valid)

test_complete_read_is_valid if harness.passes(cases.test_complete_read_is_valid)

test_aggregate_30_days_not_a_number if harness.passes(cases.test_aggregate_30_days_not_a_number)

test_write_without_a_jurisdictions_figures if harness.passes(cases.test_write_without_a_jurisdictions_figures)

test_write_without_a_person if harness.passes(cases.test_write_without_a_person)

test_read_needs_no_figures if harness.passes(cases.test_read_needs_no_figures)

test_send_transaction_without_nonce_is_valid if harness.passes(cases.test_send_transaction_without_nonce_is_valid)

test_decoded_write_without_tx if harness.passes(cases.test_decoded_write_without_tx)

test_read_without_read_section if harness.passes(cases.test_read_without_read_section)

test_write_without_recipient if harness.passes(cases.test_write_without_recipient)

test_role_not_a_string if harness.passes(cases.test_role_not_a_string)

test_residency_item_not_a_string if harness.passes(cases.test_residency_item_not_a_string)

test_read_party_not_an_entity if harness.passes(cases.test_read_party_not_an_entity)

test_effect_without_amount_field_type if harness.passes(cases.test_effect_without_amount_field_type)

test_approval_without_spender if harness.passes(cases.test_approval_without_spender)

test_contract_registered_not_a_boolean if harness.passes(cases.test_contract_registered_not_a_boolean)

test_known_party_without_jurisdiction if harness.passes(cases.test_known_party_without_jurisdiction)

test_unknown_party_has_null_directory_fields if harness.passes(cases.test_unknown_party_has_null_directory_fields)

test_aggregate_not_a_number if harness.passes(cases.test_aggregate_not_a_number)

test_entity_without_licences if harness.passes(cases.test_entity_without_licences)

test_licence_expiry_not_a_string if harness.passes(cases.test_licence_expiry_not_a_string)

test_licence_without_status if harness.passes(cases.test_licence_without_status)

test_input_not_an_object if harness.passes(cases.test_input_not_an_object)
