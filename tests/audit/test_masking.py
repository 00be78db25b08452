from __future__ import annotations

from governance.audit.masking import mask_document


def test_erases_named_paths_and_lists_them() -> None:
    doc = {
        "travel_rule": {"originator": {"name": "Ann"}, "beneficiary": {"name": "Bo"}},
        "tx": {"from": "0x1"},
        "list": [{"secret": 1, "keep": 2}, {"secret": 3}],
    }
    out, erased = mask_document(doc, ["/travel_rule/originator", "/list/*/secret", "/absent/x"])
    assert "originator" not in out["travel_rule"] and out["travel_rule"]["beneficiary"]
    assert out["list"] == [{"keep": 2}, {}]
    assert erased == ["/list/0/secret", "/list/1/secret", "/travel_rule/originator"]
    assert doc["travel_rule"]["originator"] == {"name": "Ann"}  # the original is untouched


def test_no_pointers_returns_same_document() -> None:
    doc = {"a": 1}
    assert mask_document(doc, []) == (doc, [])
    assert mask_document(doc, ["not-a-pointer"]) == (doc, [])


def test_escaped_segments_and_list_index() -> None:
    doc = {"a/b": {"~k": [1, 2, 3]}}
    out, erased = mask_document(doc, ["/a~1b/~0k/1"])
    assert out == {"a/b": {"~k": [1, None, 3]}}
    assert erased == ["/a~1b/~0k/1"]
