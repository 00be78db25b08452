# The decision: data.governance.main.decision (DESIGN.md section 4, docs/policy-input.md).
#
# 1. Applicable jurisdictions: the caller's, each party's (sender and recipient of a write),
#    and the residency of the data a read touches; any EU member state also brings "EU".
# 2. From each applicable jurisdiction package policies/jurisdictions/<code>/ (package
#    governance.jurisdictions.<code>.<dimension>, dimension = data_scope | authorization |
#    supervision) gather `deny` (reasons), `redact` (paths), `report` (objects) and
#    `require_travel_rule` (boolean); add the baseline rules (policies/lib/baseline.rego).
#    Each package is listed once below (`parts`).
# 3. Combine deny-overrides: any reason denies.
package governance.main

import rego.v1

import data.governance.lib.baseline
import data.governance.lib.ctx
import data.governance.log

base_jurisdictions contains ctx.subject_jurisdiction if ctx.subject_jurisdiction != ""

base_jurisdictions contains j if {
	some entity in [ctx.sender, ctx.recipient]
	j := ctx.code(object.get(entity, "jurisdiction", ""))
	j != ""
}

base_jurisdictions contains j if {
	some r in ctx.arr(object.get(ctx.read, "residency", []))
	j := ctx.code(r)
	j != ""
}

applicable := ctx.with_groups(base_jurisdictions)

# Package names are the lower-case codes ("eu", "cn", ...); codes without a package add nothing.
package_names := {lower(j) | some j in applicable}

# The document of every applicable jurisdiction package, one line per package and dimension.
# (A dynamic reference data.governance.jurisdictions[code][dimension] would read the same, but
# regorus then evaluates every package of the tree on every call: over twice as slow.)
# `governance policy check` fails when a package under policies/jurisdictions is not listed.
parts contains data.governance.jurisdictions.ae.data_scope if "ae" in package_names

parts contains data.governance.jurisdictions.ae.authorization if "ae" in package_names

parts contains data.governance.jurisdictions.ae.supervision if "ae" in package_names

parts contains data.governance.jurisdictions.ch.data_scope if "ch" in package_names

parts contains data.governance.jurisdictions.ch.authorization if "ch" in package_names

parts contains data.governance.jurisdictions.ch.supervision if "ch" in package_names

parts contains data.governance.jurisdictions.cn.data_scope if "cn" in package_names

parts contains data.governance.jurisdictions.cn.authorization if "cn" in package_names

parts contains data.governance.jurisdictions.cn.supervision if "cn" in package_names

parts contains data.governance.jurisdictions.eu.data_scope if "eu" in package_names

parts contains data.governance.jurisdictions.eu.authorization if "eu" in package_names

parts contains data.governance.jurisdictions.eu.supervision if "eu" in package_names

parts contains data.governance.jurisdictions.hk.data_scope if "hk" in package_names

parts contains data.governance.jurisdictions.hk.authorization if "hk" in package_names

parts contains data.governance.jurisdictions.hk.supervision if "hk" in package_names

parts contains data.governance.jurisdictions.jp.data_scope if "jp" in package_names

parts contains data.governance.jurisdictions.jp.authorization if "jp" in package_names

parts contains data.governance.jurisdictions.jp.supervision if "jp" in package_names

parts contains data.governance.jurisdictions.sg.data_scope if "sg" in package_names

parts contains data.governance.jurisdictions.sg.authorization if "sg" in package_names

parts contains data.governance.jurisdictions.sg.supervision if "sg" in package_names

parts contains data.governance.jurisdictions.uk.data_scope if "uk" in package_names

parts contains data.governance.jurisdictions.uk.authorization if "uk" in package_names

parts contains data.governance.jurisdictions.uk.supervision if "uk" in package_names

parts contains data.governance.jurisdictions.us.data_scope if "us" in package_names

parts contains data.governance.jurisdictions.us.authorization if "us" in package_names

parts contains data.governance.jurisdictions.us.supervision if "us" in package_names

jurisdiction_reasons contains r if {
	some part in parts
	some r in object.get(part, "deny", set())
}

redactions contains path if {
	some part in parts
	some path in object.get(part, "redact", set())
}

reports contains r if {
	some part in parts
	some r in object.get(part, "report", set())
}

default require_travel_rule := false

require_travel_rule if {
	some part in parts
	object.get(part, "require_travel_rule", false) == true
}

all_reasons := baseline.deny | jurisdiction_reasons

decision := {
	"allow": count(all_reasons) == 0,
	"reasons": sort([r | some r in all_reasons]),
	"obligations": {
		"redact": sort([p | some p in redactions]),
		"report": sort([r | some r in reports]),
		"require_travel_rule": require_travel_rule,
	},
	"jurisdictions": sort([j | some j in applicable]),
	"mask": sort([m | some m in log.mask]),
}
