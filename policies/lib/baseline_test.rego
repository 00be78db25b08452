package governance.lib.baseline_test

import rego.v1

import data.governance.lib.fixtures as fx
import data.governance.main

acme := fx.subject("acme-us", "US", "institution")



# A plain domestic transfer by a verified trader from its own verified address.
ok_transfer := fx.transfer(acme, fx.acct0, fx.address_of("acme-us", "institution"), "tokenized_deposit", 100)

codes(inp) := {r.code | some r in d.reasons} if {
	d := data.governance.main.decision with data.governance.lib.ctx.doc as inp
}

test_domestic_transfer_allowed if {
	d := main.decision with data.governance.lib.ctx.doc as ok_transfer
	d.allow
	d.reasons == []
	d.jurisdictions == ["US"]
}

test_unknown_method_forbidden if {
	inp := fx.put(ok_transfer, "request", fx.request("unknown", "debug_traceTransaction"))
	codes(inp) == {"METHOD_FORBIDDEN"}
}

test_admin_method_needs_admin_role if {
	inp := fx.put(fx.reading(acme, "admin_peers", []), "request", fx.request("admin", "admin_peers"))
	codes(inp) == {"METHOD_FORBIDDEN"}
}

test_admin_method_with_admin_role_allowed if {
	inp := fx.put(fx.reading(fx.put(acme, "roles", ["admin"]), "admin_peers", []), "request", fx.request("admin", "admin_peers"))
	codes(inp) == set()
}

test_write_needs_verified_kyc if {
	inp := fx.put(ok_transfer, "subject", fx.put(acme, "kyc", "pending"))
	codes(inp) == {"KYC_REQUIRED"}
}

test_write_needs_trader_or_admin_role if {
	inp := fx.put(ok_transfer, "subject", fx.put(acme, "roles", ["auditor", "regulator"]))
	codes(inp) == {"ROLE_FORBIDDEN"}
}

test_admin_may_write if {
	inp := fx.put(ok_transfer, "subject", fx.put(acme, "roles", ["admin"]))
	codes(inp) == set()
}

test_sender_of_another_org_not_owned if {
	inp := fx.transfer(acme, fx.acct3, fx.acct0, "tokenized_deposit", 100)
	"SENDER_NOT_OWNED" in codes(inp)
}

test_unknown_sender_not_owned if {
	inp := fx.transfer(acme, fx.acct9, fx.acct0, "tokenized_deposit", 100)
	"SENDER_NOT_OWNED" in codes(inp)
}

test_self_hosted_sender_not_owned if {
	hanse := fx.subject("hanse-de", "DE", "institution")
	inp := fx.with_payload(fx.transfer(hanse, fx.acct7, fx.acct4, "tokenized_deposit", 100))
	"SENDER_NOT_OWNED" in codes(inp)
}

test_sending_account_kyc_pending if {
	jane := fx.subject("acme-us", "US", "individual")
	inp := fx.transfer(jane, fx.acct1, fx.acct0, "tokenized_deposit", 100)
	codes(inp) == {"KYC_REQUIRED"}
}

test_sanctioned_recipient if {
	inp := fx.transfer(acme, fx.acct0, fx.sanctioned_address, "tokenized_deposit", 100)
	"SANCTIONED_PARTY" in codes(inp)
}

test_sanctioned_contract if {
	tx := fx.put(ok_transfer.tx, "to", fx.sanctioned_address)
	inp := fx.put(ok_transfer, "tx", tx)
	codes(inp) == {"SANCTIONED_PARTY"}
}

test_sanctioned_flag_from_gateway if {
	recipient := fx.put(ok_transfer.parties.recipient, "sanctioned", true)
	inp := fx.put2(ok_transfer, "parties", "recipient", recipient)
	codes(inp) == {"SANCTIONED_PARTY"}
}

test_sanctions_do_not_block_reads if {
	inp := fx.reading(acme, "eth_getLogs", [fx.sanctioned_address])
	codes(inp) == set()
}

test_chain_id_mismatch if {
	inp := fx.put2(ok_transfer, "tx", "chain_id", 1)
	codes(inp) == {"CHAIN_ID_MISMATCH"}
}

test_pre_eip155_raw_transaction_replayable if {
	inp := fx.put2(ok_transfer, "tx", "chain_id", null)
	codes(inp) == {"CHAIN_ID_MISMATCH"}
}

test_send_transaction_without_chain_id_allowed if {
	inp := fx.put(fx.put2(ok_transfer, "tx", "chain_id", null), "request", fx.request("write", "eth_sendTransaction"))
	codes(inp) == set()
}

test_send_transaction_with_wrong_chain_id if {
	inp := fx.put(fx.put2(ok_transfer, "tx", "chain_id", 5), "request", fx.request("write", "eth_sendTransaction"))
	codes(inp) == {"CHAIN_ID_MISMATCH"}
}

test_baseline_reasons_name_the_caller_jurisdiction_and_its_citation if {
	inp := fx.put(ok_transfer, "subject", fx.put(acme, "kyc", "none"))
	d := main.decision with data.governance.lib.ctx.doc as inp
	[r] := d.reasons
	r.jurisdiction == "US"
	r.regulation == data.governance.jurisdictions.us.authorization.citations.KYC_REQUIRED
}

test_eu_member_caller_gets_eu_citation if {
	hanse := fx.put(fx.subject("hanse-de", "DE", "institution"), "kyc", "none")
	inp := fx.transfer(hanse, fx.acct4, fx.acct4, "security_token", 10)
	d := main.decision with data.governance.lib.ctx.doc as inp
	some r in d.reasons
	r.code == "KYC_REQUIRED"
	r.jurisdiction == "DE"
	r.regulation == data.governance.jurisdictions.eu.authorization.citations.KYC_REQUIRED
}

test_caller_without_jurisdiction_is_all if {
	inp := fx.put(ok_transfer, "subject", fx.put(fx.put(acme, "jurisdiction", null), "kyc", "none"))
	d := main.decision with data.governance.lib.ctx.doc as inp
	some r in d.reasons
	r.code == "KYC_REQUIRED"
	r.jurisdiction == "ALL"
}
