"""Adversarial minutes written for the traps other councils' text set: each must yield no fact, its control one."""

from __future__ import annotations

import pytest

from councilkg.corpus.discover import discover
from councilkg.corpus.readers import read
from councilkg.corpus.segment import segment
from councilkg.graph.extract import extract

HEAD = "council: Gloucester City Council\ndate: 2025-11-21\ncommittee: Cabinet\n---\n"


@pytest.fixture
def facts(tmp_path):
    """Extract from a minutes file written with the given item text, through the real reader and segmenter."""
    def run(text: str):
        path = tmp_path / "minutes.txt"
        path.write_text(HEAD + "Cabinet Minutes\n\nReport of the Director\n(Item 5)\n" + text + "\n", encoding="utf-8")
        return extract(segment(read(next(iter(discover([str(path)]))))))
    return run


def labels(f) -> list[str]:
    return [p.label for p in f.practices]


def test_sif_funding_is_not_an_inspection(facts):
    f = facts("1. The Council had secured £2m from the Shared Investment Fund (SIF) for the city centre. "
              "Members welcomed the SIF funding and asked that the SIF bid team be thanked.")
    assert not f.inspections


def test_sif_with_ofsted_is_still_an_inspection(facts):
    f = facts("1. The Ofsted SIF inspection in June 2016 had judged children's services as requires improvement.")
    assert [(i.inspectorate, i.type, i.date) for i in f.inspections] == [("Ofsted", "sif", "2016-06")]


def test_jtai_abbreviation_alone_is_not_an_inspection(facts):
    f = facts("1. The JTAI working group of the Joint Transport and Infrastructure board met in March 2025.")
    assert not f.inspections


def test_landlord_improvement_notice_is_not_an_intervention(facts):
    f = facts("1. Under the Housing Act 2004 the Council had served an improvement notice on a private landlord "
              "after a category 1 hazard was found at the property. The Secretary of State's guidance was followed.")
    assert not f.interventions


def test_dfe_improvement_notice_is_an_intervention(facts):
    f = facts("1. The Department for Education issued an improvement notice to the Council in March 2019 after the inspection.")
    assert [(i.type, i.by) for i in f.interventions] == [("improvement-notice", "Department for Education")]


def test_improvement_board_without_dfe_or_commissioner_is_not_an_intervention(facts):
    f = facts("1. The SEND improvement board, chaired by the Director, met monthly to review the action plan.")
    assert not f.interventions


@pytest.mark.parametrize("text", [
    "1. Residents had been engaged and partner bodies consulted on the plan.",  # "and partner"
    "1. The Council had established a new team to deal with the backlog.",  # bare "team"
    "1. Members said other councils had introduced such a scheme with some success.",  # "such a scheme"
    "1. Officers had developed and a program of visits was being arranged.",  # "and a program"
    "1. Councillor Smith will move at the next meeting that the Council establishes a tenant liaison scheme.",  # motion
    "1. A Member asked whether the Council had introduced a tenant liaison scheme and when it would be on the agenda.",  # question
    "1. Members requested that the Government introduce a retrofit grant scheme for councils.",  # request to government
    "1. Members hoped the Council would introduce a community wardens scheme next year.",  # hoped for
    "1. It was proposed that the Council should launch a recruitment campaign for planners.",  # proposal
    "1. Mr Hood proposed, and Ms Hawkins seconded, the motion that this Council introduces a vape recycling scheme.",
    "1. The Cabinet Member introduced the report on the Shared Investment Fund (SIF) bid.",  # a paper about a fund
])
def test_not_a_practice(facts, text):
    assert not labels(facts(text)), text


@pytest.mark.parametrize("text,want", [
    ("1. The Council had launched a tenant liaison scheme in 2023, which had reduced complaints.", "tenant liaison scheme"),
    ("1. The service had established a dedicated hoarding support team to work with residents.", "hoarding support team"),
])
def test_a_practice_the_council_has(facts, text, want):
    assert want in " ".join(labels(facts(text)))
