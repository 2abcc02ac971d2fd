from __future__ import annotations

from integrations.wizard import fields


def test_transforms_round_trip() -> None:
    for text in ["trim+lower", "split_name(part=last)", "join(sep=, )", "split(sep=,)", ""]:
        assert fields.encode_transforms(fields.decode_transforms(text)) == text


def test_it_suggests_similar_names() -> None:
    sources = fields.source_fields(
        {"firstName": "Ann", "companyName": "Acme", "customFields": [{"id": "f1", "value": 3}]}
    )
    assert fields.suggest("first_name", sources) == "trigger.firstName"
    assert fields.suggest("company", sources) == "trigger.companyName"
    assert fields.suggest("zzz", sources) == ""
    assert any(s.path == "trigger.customFields[id=f1].value" for s in sources)


def test_check_explains_problems_inline() -> None:
    targets = [fields.TargetField("title", required=True)]
    rules = [{"target": "body", "source": "trigger.x", "transforms": [{"name": "nope"}]}]
    result = fields.check(rules, {"x": 1}, targets)
    assert "unknown transform 'nope'" in result.row_problems["body"]
    assert any("title is required" in p for p in result.problems)
    good = fields.check([{"target": "title", "const": "hi"}], {}, targets)
    assert good.problems == [] and good.result == {"title": "hi"}


def test_rows_keep_constants_as_json() -> None:
    row = fields.Row(target="tags", const='["vip"]', transforms="trim")
    assert row.to_rule() == {"target": "tags", "const": ["vip"], "transforms": [{"name": "trim"}]}
    assert fields.Row.from_rule(row.to_rule()).const == '["vip"]'  # type: ignore[arg-type]
