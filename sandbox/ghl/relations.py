"""Contact tags, followers, campaigns and workflows."""

from __future__ import annotations

from sandbox.models import SandboxCampaign, SandboxFollower, SandboxUser, SandboxWorkflow

from . import errors, services
from .api import WRITE, endpoint, json_body, ok
from .contacts import get_contact
from .errors import GHLError


def _string_list(data: dict, key: str) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list):
        raise GHLError(errors.unprocessable([f"{key} must be an array"]))
    if not all(isinstance(v, str) for v in value):
        raise GHLError(errors.unprocessable([f"each value in {key} must be a string"]))
    return value


def add_tags(request, principal, contactId):
    tags = _string_list(json_body(request), "tags")
    contact = get_contact(principal, contactId, lock=True)
    services.change_tags(contact, add=tags)
    return ok({"tags": contact.tags}, 201)


def remove_tags(request, principal, contactId):
    tags = _string_list(json_body(request), "tags")
    contact = get_contact(principal, contactId, lock=True)
    services.change_tags(contact, remove=tags)
    return ok({"tags": contact.tags})


contact_tags = endpoint({"POST": (WRITE, add_tags), "DELETE": (WRITE, remove_tags)})


def _followers(contact) -> list[str]:
    return list(contact.followers.order_by("id").values_list("user_id", flat=True))


def add_followers(request, principal, contactId):
    wanted = _string_list(json_body(request), "followers")
    contact = get_contact(principal, contactId, lock=True)
    known = set(
        SandboxUser.objects.filter(
            pk__in=wanted, company_id=contact.location.company_id
        ).values_list("id", flat=True)
    )
    current = set(_followers(contact))
    added = []
    for user_id in wanted:
        if user_id in known and user_id not in current and user_id not in added:
            SandboxFollower.objects.create(contact=contact, user_id=user_id)
            added.append(user_id)
    if added:
        services.touch(contact)
    return ok({"followers": _followers(contact), "followersAdded": added}, 201)


def remove_followers(request, principal, contactId):
    wanted = _string_list(json_body(request), "followers")
    contact = get_contact(principal, contactId, lock=True)
    current = set(_followers(contact))
    removed = [u for u in dict.fromkeys(wanted) if u in current]
    SandboxFollower.objects.filter(contact=contact, user_id__in=removed).delete()
    if removed:
        services.touch(contact)
    return ok({"followers": _followers(contact), "followersRemoved": removed})


contact_followers = endpoint({"POST": (WRITE, add_followers), "DELETE": (WRITE, remove_followers)})


def _campaign(contact, campaign_id) -> SandboxCampaign:
    campaign = SandboxCampaign.objects.filter(
        pk=campaign_id, location_id=contact.location_id
    ).first()
    if campaign is None:
        raise GHLError(errors.not_found("Campaign not found"))
    return campaign


def add_campaign(request, principal, contactId, campaignId):
    json_body(request)  # AddContactToCampaignDto has no properties
    contact = get_contact(principal, contactId)
    contact.campaigns.add(_campaign(contact, campaignId))
    return ok({"succeded": True}, 201)


def remove_campaign(request, principal, contactId, campaignId):
    contact = get_contact(principal, contactId)
    contact.campaigns.remove(_campaign(contact, campaignId))
    return ok({"succeded": True})


def remove_all_campaigns(request, principal, contactId):
    get_contact(principal, contactId).campaigns.clear()
    return ok({"succeded": True})


contact_campaign = endpoint({"POST": (WRITE, add_campaign), "DELETE": (WRITE, remove_campaign)})
contact_campaigns_remove_all = endpoint({"DELETE": (WRITE, remove_all_campaigns)})


def _workflow(contact, workflow_id) -> SandboxWorkflow:
    workflow = SandboxWorkflow.objects.filter(
        pk=workflow_id, location_id=contact.location_id
    ).first()
    if workflow is None:
        raise GHLError(errors.not_found("Workflow not found"))
    return workflow


def _event_start_time(request) -> None:
    data = json_body(request)
    unknown = [f"property {k} should not exist" for k in data if k != "eventStartTime"]
    if unknown:
        raise GHLError(errors.unprocessable(unknown))
    value = data.get("eventStartTime")
    if value is not None and (not isinstance(value, str) or services.parse_when(value) is None):
        raise GHLError(
            errors.unprocessable(["eventStartTime must be a valid ISO 8601 date string"])
        )


def add_workflow(request, principal, contactId, workflowId):
    _event_start_time(request)
    contact = get_contact(principal, contactId)
    contact.workflows.add(_workflow(contact, workflowId))
    return ok({"succeded": True})


def remove_workflow(request, principal, contactId, workflowId):
    _event_start_time(request)
    contact = get_contact(principal, contactId)
    contact.workflows.remove(_workflow(contact, workflowId))
    return ok({"succeded": True})


contact_workflow = endpoint({"POST": (WRITE, add_workflow), "DELETE": (WRITE, remove_workflow)})
