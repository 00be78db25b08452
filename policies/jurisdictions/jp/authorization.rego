# Japan: authorization. The baseline rules (policies/lib/baseline.rego: method table, roles, KYC,
# ownership of the sending address, sanctions, chain id) cite the instruments below when the
# caller is in JP.
package governance.jurisdictions.jp.authorization

import rego.v1

J := "JP"

citations := {
	"KYC_REQUIRED": "Act on Prevention of Transfer of Criminal Proceeds, art. 4 (verification at the time of transactions)",
	"SENDER_NOT_OWNED": "Act on Prevention of Transfer of Criminal Proceeds, art. 4 (verification at the time of transactions)",
}
