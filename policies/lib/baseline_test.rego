package tests.lib.baseline

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

acme := fx.subject("acme-us", "US", "institution")

jane := fx.subject("acme-us", "US", "individual")

hanse := fx.subject("hanse-de", "DE", "institution")

acme_ops := fx.address_of("acme-us", "institution")

# A plain domestic transfer by a verified trader from its own verified address.
ok_transfer := fx.transfer(acme, fx.acct0, acme_ops, "tokenized_deposit", 100)

admin_call(subject) := fx.put(fx.reading(subject, "admin_peers", []), "request", fx.request("admin", "admin_peers"))

# A raw-state read of a contract of acme-us (US) by `subject`.
raw(subject, method) := fx.put2(fx.reading(subject, method, [fx.acct0]), "read", "raw_state", true)

raw_of(subject, method) := fx.put2(raw(subject, method), "read", "contract", fx.entity(fx.acct0))

cases := {
	"test_raw_state_refused_to_trader": {"input": raw_of(acme, "eth_getStorageAt"), "codes": ["ROLE_FORBIDDEN"]},
	"test_raw_state_refused_to_auditor_of_another_org": {"input": raw_of(fx.put(hanse, "roles", ["auditor"]), "eth_getProof"), "codes": ["ROLE_FORBIDDEN"]},
	"test_raw_state_refused_to_foreign_regulator": {"input": raw_of(fx.put(hanse, "roles", ["regulator"]), "debug_traceCall"), "codes": ["ROLE_FORBIDDEN"]},
	"test_raw_state_allowed_to_admin": {"input": raw_of(fx.put(hanse, "roles", ["admin"]), "trace_transaction"), "allow": true},
	"test_raw_state_allowed_to_auditor_of_the_contract_org": {"input": raw_of(fx.put(acme, "roles", ["auditor"]), "eth_getStorageAt"), "allow": true},
	"test_raw_state_allowed_to_regulator_of_the_contract_jurisdiction": {"input": raw_of(fx.put(fx.subject("fincen", "US", "institution"), "roles", ["regulator"]), "eth_getProof"), "allow": true},
	"test_raw_state_without_contract_only_admin": {"input": raw(fx.put(acme, "roles", ["auditor"]), "debug_traceTransaction"), "codes": ["ROLE_FORBIDDEN"]},
	"test_domestic_transfer_allowed": {"input": ok_transfer, "allow": true, "codes": [], "jurisdictions": ["US"]},
	"test_read_allowed": {"input": fx.reading(acme, "eth_getLogs", [fx.acct0]), "allow": true},
	"test_unknown_method_forbidden": {
		"input": fx.put(fx.reading(acme, "debug_traceTransaction", []), "request", fx.request("unknown", "debug_traceTransaction")),
		"codes": ["METHOD_FORBIDDEN"],
	},
	"test_admin_method_needs_admin_role": {"input": admin_call(acme), "codes": ["METHOD_FORBIDDEN"]},
	"test_admin_method_with_admin_role_allowed": {"input": admin_call(fx.put(acme, "roles", ["admin"])), "allow": true},
	"test_write_needs_verified_kyc": {"input": fx.put(ok_transfer, "subject", fx.put(acme, "kyc", "pending")), "codes": ["KYC_REQUIRED"]},
	"test_write_needs_trader_or_admin_role": {
		"input": fx.put(ok_transfer, "subject", fx.put(acme, "roles", ["auditor", "regulator"])),
		"codes": ["ROLE_FORBIDDEN"],
	},
	"test_admin_may_write": {"input": fx.put(ok_transfer, "subject", fx.put(acme, "roles", ["admin"])), "allow": true},
	"test_sender_of_another_org_not_owned": {
		"input": fx.transfer(acme, fx.acct3, fx.acct0, "tokenized_deposit", 100),
		"in": "US", "codes": ["SENDER_NOT_OWNED"],
	},
	"test_unknown_sender_not_owned": {
		"input": fx.transfer(acme, fx.acct9, fx.acct0, "tokenized_deposit", 100),
		"codes": ["SENDER_NOT_OWNED"],
	},
	"test_self_hosted_sender_not_owned": {
		"input": fx.with_payload(fx.transfer(hanse, fx.acct7, fx.acct4, "tokenized_deposit", 100)),
		"codes": ["SENDER_NOT_OWNED"],
	},
	"test_sending_account_kyc_pending": {
		"input": fx.transfer(jane, fx.acct1, fx.acct0, "tokenized_deposit", 100),
		"codes": ["KYC_REQUIRED"],
	},
	"test_sanctioned_recipient": {
		"input": fx.transfer(acme, fx.acct0, fx.sanctioned_address, "tokenized_deposit", 100),
		"in": "US", "codes": ["SANCTIONED_PARTY"],
	},
	"test_sanctioned_contract": {
		"input": fx.put2(ok_transfer, "tx", "to", fx.sanctioned_address),
		"codes": ["SANCTIONED_PARTY"],
	},
	"test_sanctioned_flag_from_gateway": {
		"input": fx.put2(ok_transfer, "parties", "recipient", fx.put(ok_transfer.parties.recipient, "sanctioned", true)),
		"codes": ["SANCTIONED_PARTY"],
	},
	"test_sanctions_do_not_block_reads": {"input": fx.reading(acme, "eth_getLogs", [fx.sanctioned_address]), "allow": true},
	"test_undecodable_write_refused": {
		"input": fx.put(fx.put(fx.put(ok_transfer, "tx", null), "parties", {}), "request", fx.put(fx.request("write", "eth_sendRawTransaction"), "decode_error", "invalid RLP")),
		"has": ["UNDECODABLE_TRANSACTION"],
	},
	"test_decoded_write_not_refused_as_undecodable": {
		"input": fx.put(ok_transfer, "request", fx.put(fx.request("write", "eth_sendRawTransaction"), "decode_error", null)),
		"allow": true,
	},
	"test_chain_id_mismatch": {"input": fx.put2(ok_transfer, "tx", "chain_id", 1), "codes": ["CHAIN_ID_MISMATCH"]},
	"test_pre_eip155_raw_transaction_replayable": {"input": fx.put2(ok_transfer, "tx", "chain_id", null), "codes": ["CHAIN_ID_MISMATCH"]},
	"test_send_transaction_without_chain_id_allowed": {
		"input": fx.put(fx.put2(ok_transfer, "tx", "chain_id", null), "request", fx.request("write", "eth_sendTransaction")),
		"allow": true,
	},
	"test_send_transaction_with_wrong_chain_id": {
		"input": fx.put(fx.put2(ok_transfer, "tx", "chain_id", 5), "request", fx.request("write", "eth_sendTransaction")),
		"codes": ["CHAIN_ID_MISMATCH"],
	},
	"test_baseline_reasons_cite_the_caller_jurisdiction": {
		"input": fx.put(ok_transfer, "subject", fx.put(acme, "kyc", "none")),
		"in": "US", "codes": ["KYC_REQUIRED"],
		"regulations": {"KYC_REQUIRED": data.governance.jurisdictions.us.authorization.citations.KYC_REQUIRED},
	},
	"test_eu_member_caller_gets_eu_citation": {
		"input": fx.transfer(fx.put(hanse, "kyc", "none"), fx.acct4, fx.acct4, "security_token", 10),
		"in": "DE", "codes": ["KYC_REQUIRED"],
		"regulations": {"KYC_REQUIRED": data.governance.jurisdictions.eu.authorization.citations.KYC_REQUIRED},
	},
	"test_caller_without_jurisdiction_is_all": {
		"input": fx.put(ok_transfer, "subject", fx.put(fx.put(acme, "jurisdiction", null), "kyc", "none")),
		"in": "ALL", "codes": ["INPUT_INVALID", "KYC_REQUIRED"],
		"regulations": {"KYC_REQUIRED": data.governance.lib.reasons.codes.KYC_REQUIRED.regulation},
	},
}
# ---- helpers that need no decision --------------------------------------------------------

test_unlisted_code_still_denies if {
	r := data.governance.lib.reasons.make("not-a-listed-code", "US", "")
	r.regulation == "unlisted reason code"
	r.code == "not-a-listed-code"
}

test_reason_defaults if {
	r := data.governance.lib.reasons.detail("KYC_REQUIRED", "US", "", "")
	r.regulation == data.governance.lib.reasons.codes.KYC_REQUIRED.regulation
	r.message == data.governance.lib.reasons.codes.KYC_REQUIRED.message
}

# ---- tests (one per case) ----

test_domestic_transfer_allowed if harness.passes(cases.test_domestic_transfer_allowed)

test_read_allowed if harness.passes(cases.test_read_allowed)

test_unknown_method_forbidden if harness.passes(cases.test_unknown_method_forbidden)

test_admin_method_needs_admin_role if harness.passes(cases.test_admin_method_needs_admin_role)

test_admin_method_with_admin_role_allowed if harness.passes(cases.test_admin_method_with_admin_role_allowed)

test_write_needs_verified_kyc if harness.passes(cases.test_write_needs_verified_kyc)

test_write_needs_trader_or_admin_role if harness.passes(cases.test_write_needs_trader_or_admin_role)

test_admin_may_write if harness.passes(cases.test_admin_may_write)

test_sender_of_another_org_not_owned if harness.passes(cases.test_sender_of_another_org_not_owned)

test_unknown_sender_not_owned if harness.passes(cases.test_unknown_sender_not_owned)

test_self_hosted_sender_not_owned if harness.passes(cases.test_self_hosted_sender_not_owned)

test_sending_account_kyc_pending if harness.passes(cases.test_sending_account_kyc_pending)

test_sanctioned_recipient if harness.passes(cases.test_sanctioned_recipient)

test_sanctioned_contract if harness.passes(cases.test_sanctioned_contract)

test_sanctioned_flag_from_gateway if harness.passes(cases.test_sanctioned_flag_from_gateway)

test_sanctions_do_not_block_reads if harness.passes(cases.test_sanctions_do_not_block_reads)

test_undecodable_write_refused if harness.passes(cases.test_undecodable_write_refused)

test_decoded_write_not_refused_as_undecodable if harness.passes(cases.test_decoded_write_not_refused_as_undecodable)

test_chain_id_mismatch if harness.passes(cases.test_chain_id_mismatch)

test_pre_eip155_raw_transaction_replayable if harness.passes(cases.test_pre_eip155_raw_transaction_replayable)

test_send_transaction_without_chain_id_allowed if harness.passes(cases.test_send_transaction_without_chain_id_allowed)

test_send_transaction_with_wrong_chain_id if harness.passes(cases.test_send_transaction_with_wrong_chain_id)

test_baseline_reasons_cite_the_caller_jurisdiction if harness.passes(cases.test_baseline_reasons_cite_the_caller_jurisdiction)

test_eu_member_caller_gets_eu_citation if harness.passes(cases.test_eu_member_caller_gets_eu_citation)

test_caller_without_jurisdiction_is_all if harness.passes(cases.test_caller_without_jurisdiction_is_all)

test_raw_state_refused_to_trader if harness.passes(cases.test_raw_state_refused_to_trader)

test_raw_state_refused_to_auditor_of_another_org if harness.passes(cases.test_raw_state_refused_to_auditor_of_another_org)

test_raw_state_refused_to_foreign_regulator if harness.passes(cases.test_raw_state_refused_to_foreign_regulator)

test_raw_state_allowed_to_admin if harness.passes(cases.test_raw_state_allowed_to_admin)

test_raw_state_allowed_to_auditor_of_the_contract_org if harness.passes(cases.test_raw_state_allowed_to_auditor_of_the_contract_org)

test_raw_state_allowed_to_regulator_of_the_contract_jurisdiction if harness.passes(cases.test_raw_state_allowed_to_regulator_of_the_contract_jurisdiction)

test_raw_state_without_contract_only_admin if harness.passes(cases.test_raw_state_without_contract_only_admin)
