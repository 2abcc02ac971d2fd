from __future__ import annotations

from django.contrib import admin

from integrations.models import AuditEntry, Connection, Invitation, Membership, Workspace


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "created"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "created"]
    list_filter = ["role"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "workspace", "role", "created", "accepted"]
    exclude = ["token"]


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    # Credentials are never shown, not even encrypted.
    list_display = [
        "__str__",
        "workspace",
        "kind",
        "auth_method",
        "account_id",
        "status",
        "expires_at",
    ]
    list_filter = ["kind", "status", "auth_method"]
    exclude = ["credentials_encrypted"]
    readonly_fields = [
        "code",
        "last_checked_at",
        "last_check_ok",
        "last_check_message",
        "last_error",
        "last_error_at",
        "last_refreshed_at",
        "expires_at",
    ]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created", "workspace", "actor", "action", "target"]
    list_filter = ["action"]


from integrations.models import WebhookEvent  # noqa: E402  (appended section)


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = [
        "received_at",
        "source_kind",
        "event_type",
        "status",
        "signature_verdict",
        "workspace",
        "note",
    ]
    list_filter = ["source_kind", "status", "signature_verdict", "event_type"]
    search_fields = ["dedupe_key", "event_type", "code"]
    readonly_fields = [
        "code",
        "source_kind",
        "event_type",
        "dedupe_key",
        "raw_body",
        "headers",
        "signature_verdict",
        "received_at",
    ]
