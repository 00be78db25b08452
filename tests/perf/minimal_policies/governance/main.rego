# A minimal policy with the decision shape of docs/policy-input.md, for the benchmark:
# measuring the gateway with it separates the hot path's own cost from the policy's.
package governance.main

import rego.v1

deny contains {"code": "METHOD_FORBIDDEN", "jurisdiction": "ALL", "regulation": "x", "message": "unknown method"} if input.request.kind == "unknown"

deny contains {"code": "SENDER_NOT_OWNED", "jurisdiction": "ALL", "regulation": "x", "message": "not yours"} if {
	input.request.kind == "write"
	input.parties.sender.org != input.subject.org
}

decision := {"allow": count(deny) == 0, "reasons": [r | some r in deny], "obligations": {"redact": [], "report": [], "require_travel_rule": false}, "jurisdictions": [input.subject.jurisdiction], "mask": []}
