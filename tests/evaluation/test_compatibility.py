"""Strict / Partial attribute compatibility: hand-computed cases and the label-row JSON reader."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branchmark.errors import InvalidAnswer, OntologyMismatch
from branchmark.evaluation.compatibility import (
    Answer,
    Answers,
    MatchMode,
    answers_compatible,
    compatibility_matrix,
    read_object_answers,
)


def radio(option, nested=None):
    return Answer("radio", option, Answers.of(nested or {}))


def A(**answers):  # noqa: N802 - reads like a literal
    return Answers.of(answers)


RIPE = A(ripeness=radio("ripe"))
RIPE_GRADE_A = A(ripeness=radio("ripe", {"grade": radio("a")}))
RIPE_GRADE_B = A(ripeness=radio("ripe", {"grade": radio("b")}))
UNRIPE = A(ripeness=radio("unripe"))
RIPE_SIZED = A(ripeness=radio("ripe"), size=Answer("numeric", 12.5))


@pytest.mark.parametrize(
    ("gt", "pred", "strict", "partial"),
    [
        pytest.param(Answers(), Answers(), True, True, id="both-empty"),
        pytest.param(RIPE, RIPE, True, True, id="same-radio"),
        pytest.param(RIPE, UNRIPE, False, False, id="other-option"),
        pytest.param(RIPE_SIZED, RIPE, False, True, id="gt-only-attribute"),
        pytest.param(RIPE, RIPE_SIZED, False, False, id="pred-only-attribute"),
        pytest.param(RIPE_GRADE_A, RIPE_GRADE_A, True, True, id="nested-equal"),
        pytest.param(RIPE_GRADE_A, RIPE_GRADE_B, False, False, id="nested-differs"),
        pytest.param(RIPE_GRADE_A, RIPE, False, True, id="nested-gt-only"),
        pytest.param(RIPE, RIPE_GRADE_A, False, False, id="nested-pred-only"),
        pytest.param(Answers(), RIPE, False, False, id="gt-unanswered"),
        pytest.param(RIPE, Answers(), False, True, id="pred-unanswered"),
    ],
)
def test_strict_and_partial_rules(gt, pred, strict, partial):
    assert answers_compatible(gt, pred, mode=MatchMode.STRICT) is strict
    assert answers_compatible(gt, pred, mode="partial") is partial


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        pytest.param(
            Answer("checklist", {"x", "y"}),
            Answer("checklist", ["y", "x"]),
            True,
            id="checklist-same-set-any-order",
        ),
        pytest.param(
            Answer("checklist", {"x", "y"}),
            Answer("checklist", {"x"}),
            False,
            id="checklist-subset-is-not-equal",
        ),
        pytest.param(
            Answer("text", "  Cafe\u0301\n"),
            Answer("text", "Caf\u00e9"),
            True,
            id="text-nfc-and-trim",
        ),
        pytest.param(Answer("text", "cafe"), Answer("text", "Cafe"), False, id="text-case-matters"),
        pytest.param(
            Answer("numeric", 1.0), Answer("numeric", 1.0 + 5e-10), True, id="numeric-within-1e-9"
        ),
        pytest.param(
            Answer("numeric", 1.0), Answer("numeric", 1.0 + 2e-9), False, id="numeric-beyond-1e-9"
        ),
        pytest.param(Answer("numeric", 3), Answer("numeric", 3.0), True, id="numeric-int-float"),
        pytest.param(Answer("text", "3"), Answer("numeric", 3.0), False, id="kinds-differ"),
    ],
)
def test_equality_per_kind(a, b, equal):
    for mode in MatchMode:
        assert answers_compatible(A(q=a), A(q=b), mode=mode) is equal


def test_matrix_shapes_and_values():
    gts = [RIPE, RIPE_GRADE_A, Answers()]
    preds = [RIPE, Answers(), RIPE_GRADE_B, RIPE]
    strict = compatibility_matrix(gts, preds, mode="strict")
    partial = compatibility_matrix(gts, preds, mode="partial")
    assert strict.dtype == bool and strict.shape == (3, 4)
    assert strict.tolist() == [
        [True, False, False, True],
        [False, False, False, False],
        [False, True, False, False],
    ]
    assert partial.tolist() == [
        [True, True, False, True],
        [True, True, False, True],
        [False, True, False, False],
    ]
    assert compatibility_matrix([], [], mode="strict").shape == (0, 0)
    assert compatibility_matrix(gts, [], mode="strict").shape == (3, 0)
    assert compatibility_matrix([], preds, mode="partial").shape == (0, 4)


def test_bad_mode_and_items():
    with pytest.raises(ValueError, match="'loose' is not a valid MatchMode"):
        compatibility_matrix([], [], mode="loose")
    with pytest.raises(TypeError, match=r"pred_answers\[1\]: expected Answers, got dict"):
        compatibility_matrix([], [Answers(), {}], mode="strict")
    with pytest.raises(InvalidAnswer, match="numeric answer must be a finite number"):
        Answer("numeric", "12")
    with pytest.raises(InvalidAnswer, match="answered twice"):
        Answers((("a", Answer("text", "x")), ("a", Answer("text", "y"))))


# --- hypothesis: structural properties over random answer trees ---------------------------------

leaf = st.one_of(
    st.builds(Answer, st.just("radio"), st.sampled_from(["o1", "o2"])),
    st.builds(Answer, st.just("checklist"), st.frozensets(st.sampled_from(["c1", "c2"]))),
    st.builds(Answer, st.just("text"), st.sampled_from(["a", " a", "b"])),
    st.builds(Answer, st.just("numeric"), st.sampled_from([1.0, 1.0 + 1e-12, 2.0])),
)
answer_sets = st.recursive(
    st.dictionaries(st.sampled_from(["p", "q", "r"]), leaf, max_size=3).map(Answers.of),
    lambda inner: st.dictionaries(
        st.sampled_from(["p", "q", "r"]),
        st.builds(Answer, st.just("radio"), st.sampled_from(["o1", "o2"]), inner),
        max_size=3,
    ).map(Answers.of),
    max_leaves=6,
)


@given(a=answer_sets, b=answer_sets)
def test_properties(a, b):
    strict_ab = answers_compatible(a, b, mode="strict")
    assert strict_ab == answers_compatible(b, a, mode="strict")  # strict is symmetric
    assert answers_compatible(a, a, mode="strict")
    if strict_ab:  # strict implies partial
        assert answers_compatible(a, b, mode="partial")
    # Partial both ways is strict.
    both = answers_compatible(a, b, mode="partial") and answers_compatible(b, a, mode="partial")
    assert both == strict_ab
    assert answers_compatible(a, Answers(), mode="partial")
    matrix = compatibility_matrix([a, b], [b, a, a], mode="partial")
    expected = [[answers_compatible(g, p, mode="partial") for p in (b, a, a)] for g in (a, b)]
    assert matrix.tolist() == expected


# --- the label-row JSON reader -----------------------------------------------------------------


@pytest.fixture
def cherry(encord_fixtures):
    ontology = json.loads((encord_fixtures / "ontology.json").read_text())
    row = json.loads((encord_fixtures / "image_all_shapes.json").read_text())
    spec = next(o for o in ontology["objects"] if o["featureNodeHash"] == "0b1e4a01")
    return spec["attributes"], row["object_answers"]["voeyFsbP"]["classifications"]


def test_reader_builds_the_nested_tree(cherry):
    attributes, entries = cherry
    got = read_object_answers(entries, attributes=attributes, object_hash="voeyFsbP")
    expected = Answers.of({
        "bMP4Agsf": radio("/kHMlo6Y", {                           # Ripeness = Ripe
            "pWE9IaDN": Answer("text", "slightly soft"),           # Ripe note
            "1caF8lyR": Answer("checklist", {"qfS4oFh6", "lPlMnJe/"}),  # Defects
            "/+l7ulEL": radio("RVCaZ2EW", {"y472REtD": Answer("text", "model-v8")}),  # Grade A
        }),
        "AKAvxRWr": Answer("numeric", 12.5),                       # Diameter mm
    })  # fmt: skip
    assert got == expected


def test_reader_order_and_split_checklist_entries_do_not_matter(cherry):
    attributes, entries = cherry
    shuffled = list(reversed(copy.deepcopy(entries)))
    defects = next(e for e in shuffled if e["featureHash"] == "1caF8lyR")
    bruise, crack = defects["answers"]
    defects["answers"] = [bruise]
    shuffled.append({**defects, "answers": [crack]})  # the editor's one entry per checked option
    assert read_object_answers(shuffled, attributes=attributes) == read_object_answers(
        entries, attributes=attributes
    )


def test_reader_drops_answers_under_an_unchosen_option(cherry):
    attributes, entries = cherry
    unripe = copy.deepcopy(entries)
    ripeness = next(e for e in unripe if e["featureHash"] == "bMP4Agsf")
    ripeness["answers"] = [{"name": "Unripe", "value": "unripe", "featureHash": "DjmeIGZV"}]
    got = read_object_answers(unripe, attributes=attributes).as_dict()
    assert got["bMP4Agsf"] == radio("DjmeIGZV")


def test_reader_takes_dynamic_answers_at_the_frame(cherry):
    attributes, _ = cherry
    stem = {
        "featureHash": "y4/24zdI",
        "answers": [{"featureHash": "kZoR+UgJ"}],
        "dynamic": True,
        "range": [[0, 2], [7, 7]],
    }
    both = {
        "featureHash": "y4/24zdI",
        "dynamic": True,
        "range": [[3, 5]],
        "answers": [{"featureHash": "kZoR+UgJ"}, {"featureHash": "n5EWH0ND"}],
    }
    at = {
        f: read_object_answers([], attributes=attributes, actions=[stem, both], frame=f)
        for f in (0, 4, 6, 7)
    }
    assert at[0] == at[7] == A(**{"y4/24zdI": Answer("checklist", {"kZoR+UgJ"})})
    assert at[4] == A(**{"y4/24zdI": Answer("checklist", {"kZoR+UgJ", "n5EWH0ND"})})
    assert at[6] == Answers()
    with pytest.raises(InvalidAnswer, match="dynamic answers need the frame"):
        read_object_answers([], attributes=attributes, actions=[stem])


def test_reader_errors_name_object_and_attribute(cherry):
    attributes, entries = cherry
    with pytest.raises(OntologyMismatch, match=r"object h1: attributes \['nope'\] are not in"):
        read_object_answers(
            [{"featureHash": "nope", "answers": "x"}], attributes=attributes, object_hash="h1"
        )
    bad_option = [{"featureHash": "bMP4Agsf", "answers": [{"featureHash": "zzz"}]}]
    with pytest.raises(OntologyMismatch, match=r"attribute bMP4Agsf \(Ripeness\): options"):
        read_object_answers(bad_option, attributes=attributes)
    two = [
        {
            "featureHash": "bMP4Agsf",
            "answers": [{"featureHash": "/kHMlo6Y"}, {"featureHash": "DjmeIGZV"}],
        }
    ]
    with pytest.raises(InvalidAnswer, match="exactly one option, got 2"):
        read_object_answers(two, attributes=attributes)
    with pytest.raises(InvalidAnswer, match=r"Diameter mm\): numeric answer must be"):
        read_object_answers([{"featureHash": "AKAvxRWr", "answers": "12"}], attributes=attributes)
    with pytest.raises(InvalidAnswer, match=r"answers\[0\]: answer entry needs"):
        read_object_answers([{"answers": 1}], attributes=attributes)


def test_reader_feeds_the_matrix(cherry):
    attributes, entries = cherry
    full = read_object_answers(entries, attributes=attributes)
    only_ripeness = read_object_answers(
        [{"featureHash": "bMP4Agsf", "answers": [{"featureHash": "/kHMlo6Y"}]}],
        attributes=attributes,
    )
    # Ripeness = Ripe on both sides; the nested answers exist only in the GT.
    assert compatibility_matrix([full], [only_ripeness, full], mode="partial").tolist() == [
        [True, True]
    ]
    assert compatibility_matrix([full], [only_ripeness, full], mode="strict").tolist() == [
        [False, True]
    ]
