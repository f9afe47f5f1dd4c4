package portal.presentation_test

import data.portal.decision
import data.portal.presentation

member(tenant, roles) := {"id": "u1", "tenant_roles": {tenant: roles}, "platform_roles": []}

staff(roles) := {"id": "s1", "tenant_roles": {}, "platform_roles": roles}

read(subject, action) := {"subject": subject, "tenant": "acme", "action": action, "resource": {"tenant": "acme"}}

test_an_operator_under_contract_sees_the_contact_email if {
	"contact_email" in presentation.allowed_fields with input as read(member("acme", ["viewer"]), "overview:read")
}

test_an_auditor_reads_for_audit_and_does_not_see_contact_webhook_or_plan if {
	ctx := presentation.context with input as read(member("acme", ["auditor"]), "overview:read")
	ctx == {"legal_basis": "legitimate_interest", "purpose": "audit"}
	fields := presentation.allowed_fields with input as read(member("acme", ["auditor"]), "overview:read")
	fields == {"display_name", "state", "cohort"}
}

test_finance_views_are_read_for_billing_whatever_the_role if {
	ctx := presentation.context with input as read(member("acme", ["admin"]), "finance:read")
	ctx.purpose == "billing"
}

test_an_executive_reads_for_reporting_without_contact_details if {
	fields := presentation.allowed_fields with input as read(staff(["executive"]), "overview:read")
	"plan" in fields
	not "contact_email" in fields
	not "webhook_url" in fields
}

test_the_first_role_in_precedence_decides_the_context if {
	ctx := presentation.context with input as read(member("acme", ["auditor", "viewer"]), "overview:read")
	ctx.purpose == "operations"
}

test_no_role_means_no_context_and_no_fields if {
	ctx := presentation.context with input as read(member("beta", ["admin"]), "overview:read")
	ctx.purpose == "none"
	count(presentation.allowed_fields) == 0 with input as read(member("beta", ["admin"]), "overview:read")
}

test_a_field_no_rule_names_is_never_shown if {
	not "secret" in presentation.allowed_fields with input as read(member("acme", ["admin"]), "overview:read")
	count(presentation.allowed_fields) == 0 with input as read(member("acme", ["admin"]), "unknown:read")
}

test_a_tenant_rule_overrides_the_default if {
	presentation.allow_field with input as object.union(read(member("acme", ["auditor"]), "overview:read"), {"field": "contact_email"})
		with data.fields.tenants as {"acme": {"overview:read": {"contact_email": "operations-and-audit"}}}
}

test_a_refused_request_shows_nothing_and_withholds_every_field if {
	result := decision.result with input as read(member("beta", ["admin"]), "overview:read")
	not result.allow
	count(result.shown) == 0
	result.withheld == {"display_name", "state", "cohort", "plan", "webhook_url", "contact_email"}
}
