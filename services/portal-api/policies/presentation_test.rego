package portal.presentation_test

import data.portal.presentation

test_operations_under_contract_sees_the_contact_email if {
	"contact_email" in presentation.allowed_fields with input as {"tenant": "acme", "legal_basis": "contract", "purpose": "operations"}
}

test_an_audit_purpose_does_not_see_the_contact_email if {
	not "contact_email" in presentation.allowed_fields with input as {"tenant": "acme", "legal_basis": "legitimate_interest", "purpose": "audit"}
	"state" in presentation.allowed_fields with input as {"tenant": "acme", "legal_basis": "legitimate_interest", "purpose": "audit"}
}

test_a_tenant_rule_overrides_the_default if {
	presentation.allow_field with input as {"tenant": "acme", "legal_basis": "consent", "purpose": "audit", "field": "contact_email"}
		with data.fields.tenants as {"acme": {"contact_email": {"legal_bases": ["consent"], "purposes": ["audit"]}}}
}
