"""The setup wizard's logic: templates, field suggestions, previews, dry runs, publishing.

Views in dashboard/views/wizard.py call these functions; the wizard's unsaved work lives
in `Integration.draft` (sides "a" and "b" are the two chosen connections):

    {"a": "<connection code>", "b": "<connection code>", "a_kind": "ghl", "b_kind": "rest",
     "template": "ghl_contact_to_app", "step": "map",
     "flows": [{"key": "f1", "id": null, "name": …, "from": "a", "trigger_kind": "webhook",
                "trigger_config": {…}, "object_type": "contact",
                "steps": [{"key": "push", "operation": …, "mapping": […], …}]}],
     "samples": {"f1": {…}}}

Steps always write to the side a flow does not come from.
"""
