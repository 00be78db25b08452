# Where personal data sits in the result of each read method. Paths are JSON pointers
# (RFC 6901) into the JSON-RPC `result` member of the node's answer; a `*` segment matches
# every key or index at that level. The gateway erases each path before answering.
#
# - methods listed with paths: the result keeps its shape, the listed members are erased;
# - methods listed with no paths: the result carries no personal data;
# - an opaque result item (below) and methods not listed (eth_getBalance, eth_call,
#   eth_estimateGas and eth_createAccessList, whose gas figure or revert says whether a
#   party's balance covers an amount, eth_getStorageAt, eth_getProof, ...): the
#   result is opaque and cannot be redacted member by member, so a read that needs redaction
#   is refused instead (CROSS_BORDER_TRANSFER_RESTRICTED).
package governance.lib.redaction

import rego.v1

_tx := ["/from", "/to", "/input", "/value"]

_logs := ["/*/topics", "/*/data"]

paths_by_method := {
	"eth_getTransactionByHash": _tx,
	"eth_getTransactionByBlockHashAndIndex": _tx,
	"eth_getTransactionByBlockNumberAndIndex": _tx,
	"eth_getTransactionReceipt": ["/from", "/to", "/logs/*/topics", "/logs/*/data"],
	"eth_getBlockReceipts": ["/*/from", "/*/to", "/*/logs/*/topics", "/*/logs/*/data"],
	"eth_getBlockByNumber": ["/transactions/*/from", "/transactions/*/to", "/transactions/*/input", "/transactions/*/value"],
	"eth_getBlockByHash": ["/transactions/*/from", "/transactions/*/to", "/transactions/*/input", "/transactions/*/value"],
	"eth_getLogs": _logs,
	"eth_getFilterLogs": _logs,
	"eth_getFilterChanges": _logs,
	"eth_subscribe": ["/topics", "/data", "/from", "/to", "/input", "/value"],
	"eth_getCode": [],
	"eth_newFilter": [],
	"eth_uninstallFilter": [],
	"eth_unsubscribe": [],
}

# An opaque item of a result (`input.read.item == "result"`: return data, an access list, a
# trace) has no member-by-member redaction, whatever the method.
redactable if {
	paths_by_method[data.governance.lib.ctx.doc.request.method]
	not data.governance.lib.ctx.doc.read.item == "result"
}

paths := {p | some p in paths_by_method[data.governance.lib.ctx.doc.request.method]}
