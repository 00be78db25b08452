# United Arab Emirates: data scope. Federal Decree-Law No. 45 of 2021 (PDPL), arts. 22-23,
# restrict cross-border transfers, but art. 2(2) excludes banking and credit personal data that
# has its own legislation, which covers ledger payment data; DIFC and ADGM run their own
# regimes. No cross-border read rule applies: no data_transfer entry in data/jurisdictions.json.
package governance.jurisdictions.ae.data_scope

import rego.v1

J := "AE"

transfer_rules_in_force := false
