from __future__ import annotations

import pytest

from integrations.sync.mapping import MappingError, apply, get_path, validate

CONTACT = {
    "id": "c1",
    "firstName": "  Ada ",
    "lastName": "Lovelace",
    "email": "ADA@Example.com ",
    "phone": "(512) 555-0142",
    "tags": ["vip", "newsletter"],
    "dateAdded": "2026-11-02T10:20:30.000Z",
    "customFields": [{"id": "f_plan", "value": "gold"}, {"id": "f_pets", "value": 2}],
}


def ctx(**extra):
    return {"trigger": {**CONTACT, **extra}, "steps": {}}


def test_standard_fields_and_transforms():
    out = apply(
        [
            {
                "target": "first_name",
                "source": "trigger.firstName",
                "transforms": [{"name": "trim"}],
            },
            {
                "target": "email",
                "source": "trigger.email",
                "transforms": [{"name": "trim"}, {"name": "lower"}],
            },
            {
                "target": "phone",
                "source": "trigger.phone",
                "transforms": [{"name": "e164", "region": "US"}],
            },
            {
                "target": "since",
                "source": "trigger.dateAdded",
                "transforms": [{"name": "date_format", "format": "%d/%m/%Y"}],
            },
            {
                "target": "full_name",
                "sources": ["trigger.firstName", "trigger.lastName"],
                "transforms": [{"name": "join", "sep": " "}, {"name": "trim"}],
            },
            {"target": "source", "const": "ghl"},
        ],
        ctx(),
    )
    assert out == {
        "first_name": "Ada",
        "email": "ada@example.com",
        "phone": "+15125550142",
        "since": "02/11/2026",
        "full_name": "Ada  Lovelace",  # joined, then trimmed at the ends only
        "source": "ghl",
    }


def test_custom_fields_read_and_write():
    out = apply(
        [
            {
                "target": "plan",
                "source": "trigger.customFields[id=f_plan].value",
                "transforms": [{"name": "value_map", "map": {"gold": "Premium"}}],
            },
            {"target": "customFields[id=f_x].field_value", "source": "trigger.lastName"},
        ],
        ctx(),
    )
    assert out == {"plan": "Premium", "customFields": [{"id": "f_x", "field_value": "Lovelace"}]}


def test_split_name_and_default():
    out = apply(
        [
            {
                "target": "firstName",
                "source": "trigger.name",
                "transforms": [{"name": "split_name", "part": "first"}],
            },
            {
                "target": "lastName",
                "source": "trigger.name",
                "transforms": [{"name": "split_name", "part": "last"}],
            },
            {"target": "country", "source": "trigger.country", "default": "US"},
        ],
        {"trigger": {"name": "Grace Brewster Hopper"}},
    )
    assert out == {"firstName": "Grace", "lastName": "Brewster Hopper", "country": "US"}


def test_missing_optional_field_is_left_out():
    assert apply([{"target": "company", "source": "trigger.companyName"}], ctx()) == {}


def test_missing_required_field_is_a_readable_error():
    with pytest.raises(MappingError, match="required field 'company'.*trigger.companyName"):
        apply([{"target": "company", "source": "trigger.companyName", "required": True}], ctx())


def test_bad_phone_is_a_readable_error():
    with pytest.raises(MappingError, match="not a"):
        apply(
            [{"target": "phone", "source": "trigger.phone", "transforms": [{"name": "e164"}]}],
            ctx(phone="12"),
        )


def test_validation_catches_mistakes():
    problems = validate(
        [
            {"target": "a", "source": "trigger.x", "transforms": [{"name": "eval"}]},
            {"target": "a", "const": 1},
            {"target": "b"},
            {"target": "c", "source": "x", "const": 2},
            {"target": "d", "source": "t", "transforms": [{"name": "lower", "sep": ","}]},
            "nonsense",
        ]
    )
    text = " | ".join(problems)
    assert "unknown transform 'eval'" in text
    assert "mapped twice" in text
    assert "exactly one of source" in text
    assert "lower does not take sep" in text
    assert "needs a target" in text
    assert validate([{"target": "a", "source": "trigger.a"}]) == []


def test_get_path_selectors():
    assert get_path(ctx(), "trigger.customFields[id=f_pets].value") == 2
    assert get_path(ctx(), "trigger.tags.1") == "newsletter"
