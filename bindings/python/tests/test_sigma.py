"""kvstrail.sigma.RuleSet: the same matches as `kvstrail detect`, refused
rules with their position, placeholders, threads sharing one RuleSet."""

import json
import subprocess
import threading

import pytest

from kvstrail.sigma import RuleSet, RulesRefused

from conftest import ROOT, SHARED

ENGINE = ROOT / "tests" / "sigma" / "engine"
SIGMAHQ = SHARED / "sigma" / "rules"
STRATUS = SHARED / "corpus" / "cloudtrail" / "stratus-red-team"


def lines(path):
    return [l for l in path.read_text().splitlines() if l.strip()]


@pytest.mark.parametrize("slug", ["string_modifiers", "regex_cidr_numbers",
                                  "arrays_fieldref", "corr_event_count"])
def test_engine_rules(slug):
    rules = RuleSet([ENGINE / (slug + ".yml")], strict=True)
    match = ENGINE / "tests" / (slug + ".match.jsonl")
    nomatch = ENGINE / "tests" / (slug + ".nomatch.jsonl")
    got = list(rules.scan(match))
    if slug.startswith("corr_"):
        assert got and got[0].rule.kind == "correlation"
        assert got[0].window_count >= 3
    else:
        assert sorted({m.record for m in got}) == list(range(len(lines(match))))
    assert list(rules.scan(nomatch)) == []


def test_placeholders():
    path = ENGINE / "expand_placeholder.yml"
    with pytest.raises(RulesRefused) as info:
        RuleSet([path], strict=True)
    assert "AllowedUsers" in str(info.value)
    assert info.value.errors[0].line > 0
    rules = RuleSet([path], placeholders={"AllowedUsers": ["alice", "svc-*"]},
                    strict=True)
    data = (ENGINE / "tests" / "expand_placeholder.match.jsonl").read_bytes()
    assert len(list(rules.scan(data))) == 2


def test_refused_rule_has_position_and_others_load():
    text = ("title: bad\nlogsource: {product: aws, service: cloudtrail}\n"
            "detection:\n  s:\n    a|nosuch: 1\n  condition: s\n---\n"
            "title: good\nlogsource: {product: aws, service: cloudtrail}\n"
            "detection:\n  s:\n    eventName: X\n  condition: s\n")
    rules = RuleSet(texts=[("inline.yml", text)])
    assert [r.title for r in rules.rules] == ["good"]
    (err,) = rules.errors
    assert (err.file, err.line, err.column, err.title) == ("inline.yml", 5, 5, "bad")
    assert "nosuch" in err.message


def test_same_matches_as_the_cli(cli):
    if not SIGMAHQ.is_dir():
        pytest.skip("the shared folder is missing")
    files = sorted(STRATUS.glob("*.json"))
    rules = RuleSet([SIGMAHQ], strict=True)
    assert len(rules) == 57
    mine = sorted((m.file, m.record, m.rule.id, m.rule.author)
                  for f in files for m in rules.scan(f))
    out = subprocess.run([cli, "detect", "--rules", str(SIGMAHQ)] + [str(f) for f in files],
                         capture_output=True, text=True)
    theirs = sorted((j["file"], j["record"], j["rule"]["id"], j["rule"]["author"])
                    for j in map(json.loads, out.stdout.splitlines()))
    assert mine and mine == theirs


def test_threads_share_a_ruleset():
    rules = RuleSet([ENGINE / "string_modifiers.yml"], strict=True)
    data = (ENGINE / "tests" / "string_modifiers.match.jsonl").read_bytes()
    results = []

    def work():
        results.append(sum(len(list(rules.scan(data))) for _ in range(20)))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [40, 40]


def test_stats():
    rules = RuleSet([ENGINE / "of_patterns.yml"], strict=True)
    stats = {}
    list(rules.scan(ENGINE / "tests" / "of_patterns.nomatch.jsonl", stats=stats))
    assert stats["events"] == 4 and stats["matches"] == 0
