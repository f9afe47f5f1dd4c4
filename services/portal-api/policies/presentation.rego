# The presentation guard: which fields of a view a viewer may see, by legal basis and purpose.
# Policy data lives under data.fields, outside this package's path (data.presentation would be
# the rule itself and rego-cpp rejects the recursion).
package portal.presentation

rules := object.union(data.fields.default, object.get(data.fields.tenants, input.tenant, {}))

allowed_fields contains field if {
	some field, rule in rules
	input.legal_basis in rule.legal_bases
	input.purpose in rule.purposes
}

allow_field if input.field in allowed_fields
