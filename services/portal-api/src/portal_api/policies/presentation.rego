# The presentation guard: which fields of a view a reader may see, by legal basis and purpose.
# The legal basis and purpose follow the reader's roles and the view (data.reading); each view's
# fields name the audience that may see them (data.fields). A field no rule names is never shown.
# Policy data lives outside this package's path (data.presentation would be the rule itself and
# rego-cpp rejects the recursion).
package portal.presentation

held contains role if some role in object.get(input.subject.tenant_roles, input.tenant, [])

held contains role if some role in input.subject.platform_roles

# The reader's legal basis and purpose: fixed by the view where the view says so (finance is read
# for billing), else that of the reader's first role in precedence order.
default context := {"legal_basis": "none", "purpose": "none"}

context := data.reading.actions[input.action]

context := data.reading.roles[first] if {
	not data.reading.actions[input.action]
	ordered := [role | some role in data.reading.precedence; role in held]
	first := ordered[0]
}

rules := object.union(
	object.get(data.fields.views, input.action, {}),
	object.get(object.get(data.fields.tenants, input.tenant, {}), input.action, {}),
)

allowed_fields contains field if {
	some field, audience in rules
	rule := data.fields.audiences[audience]
	context.legal_basis in rule.legal_bases
	context.purpose in rule.purposes
}

withheld_fields contains field if {
	some field, _ in rules
	not field in allowed_fields
}

allow_field if input.field in allowed_fields
