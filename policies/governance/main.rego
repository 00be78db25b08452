# The decision: data.governance.main.decision (docs/design.md section 4, docs/policy-input.md).
#
# 1. Applicable jurisdictions: the caller's, each party's (sender and recipient of a write),
#    and the residency of the data a read touches; any EU member state also brings "EU".
# 2. From each applicable jurisdiction package policies/jurisdictions/<code>/ (package
#    governance.jurisdictions.<code>.<dimension>, dimension = data_scope | authorization |
#    supervision) gather `deny` (reasons), `redact` (paths), `report` (objects) and
#    `require_travel_rule` (boolean); add the baseline rules (policies/lib/baseline.rego).
#    Each package is listed once below (`jurisdiction_package`).
# 3. Combine deny-overrides: any reason denies.
package governance.main

import rego.v1

applicable := data.governance.lib.ctx.with_groups(data.governance.lib.ctx.call.jurisdictions)

# Package names are the lower-case codes ("eu", "cn", ...); codes without a package add nothing.
package_names := {lower(j) | some j in applicable}

# The package of each jurisdiction and dimension, one line per package. Only the packages of
# the applicable jurisdictions are evaluated (a dynamic reference
# data.governance.jurisdictions[code][dimension] would make regorus evaluate every package of
# the tree on every call). `governance policy check` fails when a package under
# policies/jurisdictions is not listed.
jurisdiction_package("ae", "data_scope") := data.governance.jurisdictions.ae.data_scope

jurisdiction_package("ae", "authorization") := data.governance.jurisdictions.ae.authorization

jurisdiction_package("ae", "supervision") := data.governance.jurisdictions.ae.supervision

jurisdiction_package("ch", "data_scope") := data.governance.jurisdictions.ch.data_scope

jurisdiction_package("ch", "authorization") := data.governance.jurisdictions.ch.authorization

jurisdiction_package("ch", "supervision") := data.governance.jurisdictions.ch.supervision

jurisdiction_package("cn", "data_scope") := data.governance.jurisdictions.cn.data_scope

jurisdiction_package("cn", "authorization") := data.governance.jurisdictions.cn.authorization

jurisdiction_package("cn", "supervision") := data.governance.jurisdictions.cn.supervision

jurisdiction_package("eu", "data_scope") := data.governance.jurisdictions.eu.data_scope

jurisdiction_package("eu", "authorization") := data.governance.jurisdictions.eu.authorization

jurisdiction_package("eu", "supervision") := data.governance.jurisdictions.eu.supervision

jurisdiction_package("hk", "data_scope") := data.governance.jurisdictions.hk.data_scope

jurisdiction_package("hk", "authorization") := data.governance.jurisdictions.hk.authorization

jurisdiction_package("hk", "supervision") := data.governance.jurisdictions.hk.supervision

jurisdiction_package("jp", "data_scope") := data.governance.jurisdictions.jp.data_scope

jurisdiction_package("jp", "authorization") := data.governance.jurisdictions.jp.authorization

jurisdiction_package("jp", "supervision") := data.governance.jurisdictions.jp.supervision

jurisdiction_package("sg", "data_scope") := data.governance.jurisdictions.sg.data_scope

jurisdiction_package("sg", "authorization") := data.governance.jurisdictions.sg.authorization

jurisdiction_package("sg", "supervision") := data.governance.jurisdictions.sg.supervision

jurisdiction_package("uk", "data_scope") := data.governance.jurisdictions.uk.data_scope

jurisdiction_package("uk", "authorization") := data.governance.jurisdictions.uk.authorization

jurisdiction_package("uk", "supervision") := data.governance.jurisdictions.uk.supervision

jurisdiction_package("us", "data_scope") := data.governance.jurisdictions.us.data_scope

jurisdiction_package("us", "authorization") := data.governance.jurisdictions.us.authorization

jurisdiction_package("us", "supervision") := data.governance.jurisdictions.us.supervision

# The dimensions that can speak for this call: data scope rules govern reads, authorization
# and supervision rules govern writes (every rule of theirs needs a write), and no package
# speaks for other calls. Packages of the other dimensions are not evaluated at all.
dimensions := ["data_scope"] if data.governance.lib.ctx.call.read
else := ["authorization", "supervision"] if data.governance.lib.ctx.call.write
else := []

# The document of every applicable jurisdiction package of those dimensions.
parts contains part if {
	some name in package_names
	some dimension in dimensions
	part := jurisdiction_package(name, dimension)
}

jurisdiction_reasons contains r if {
	some part in parts
	some r in part.deny
}

redactions contains path if {
	some part in parts
	some path in part.redact
}

reports contains r if {
	some part in parts
	some r in part.report
}

default require_travel_rule := false

require_travel_rule if {
	some part in parts
	part.require_travel_rule == true
}

all_reasons := data.governance.lib.baseline.deny | jurisdiction_reasons

decision := {
	"allow": count(all_reasons) == 0,
	"reasons": sort([r | some r in all_reasons]),
	"obligations": {
		"redact": sort([p | some p in redactions]),
		"report": sort([r | some r in reports]),
		"require_travel_rule": require_travel_rule,
	},
	"jurisdictions": sort([j | some j in applicable]),
	"mask": sort([m | some m in data.governance.log.mask]),
}
