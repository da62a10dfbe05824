"""Importers from the FlowAgent corpus layout to evaluation cases.

Two layouts are understood (see ``../shared/corpus/SOURCE.md``):

* a **workflow folder** (FlowAgent ``dataset/sample``, FA ``dataset/v241127``...) with ``pdl/NNN.yaml``,
  optional ``tools/NNN.yaml`` and ``user_profile/NNN.json``. Each profile becomes ``repeats`` simulated-
  user sessions with an OOW slot from the fixed balanced schedule; a workflow without profiles gets one
  session with a generic profile built from ``task_infos.json``.
* a **fixed-query folder** (FA ``dataset/eval_fixed_queries/<version>/NNN.jsonl``): each line's
  ``user_queries`` become a scripted-user case for the workflow ``NNN`` found in ``workflows``.

Expected APIs default to the APIs the workflow declares: a first approximation a team refines by
editing the exported JSONL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentflow.errors import Location, UserError
from agentflow.eval.dataset import EvalCase, UserSpec, read_api_rules
from agentflow.eval.oow import balanced_schedule
from agentflow.safeload import load_json, read_json, read_text

__all__ = ["import_fixed_queries", "import_path", "import_workflows"]


def import_path(path: str | Path, *, workflows: str | Path | None = None, seed: int = 0, repeats: int = 1,
                oow_every: int = 1) -> list[EvalCase]:
    """Import whichever corpus layout ``path`` holds (a workflow folder or a fixed-query folder)."""
    p = Path(path)
    if (p / "pdl").is_dir():
        return import_workflows(p, seed=seed, repeats=repeats, oow_every=oow_every)
    if p.is_dir() and any(p.glob("*.jsonl")):
        if workflows is None:
            raise UserError(f"{p} holds fixed user queries but no workflows were named",
                            hint="add `--workflows DIR` (a folder with pdl/NNN.yaml)")
        return import_fixed_queries(p, workflows, seed=seed)
    raise UserError(f"{p} is not a dataset: expected a .jsonl file, a folder with pdl/, or a folder of *.jsonl queries",
                    hint="see docs/eval.md, section Datasets")


def _task_infos(folder: Path) -> dict[str, dict[str, Any]]:
    for candidate in (folder / "task_infos.json", folder.parent / "task_infos.json"):
        if candidate.is_file():
            raw = read_json(candidate, "task infos")
            infos = raw.get("task_infos", raw) if isinstance(raw, dict) else {}
            if isinstance(infos, dict) and folder.name in infos and isinstance(infos[folder.name], dict):
                infos = infos[folder.name]  # eval_fixed_queries nests per version
            return {k: v for k, v in infos.items() if isinstance(v, dict)}
    return {}


def _profiles(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    raw = read_json(path, "profiles")
    items = raw if isinstance(raw, list) else [raw]
    return [p for p in items if isinstance(p, dict)]


def import_workflows(folder: str | Path, *, seed: int = 0, repeats: int = 1, oow_every: int = 1) -> list[EvalCase]:
    """Simulated-user cases for every ``pdl/*.yaml`` workflow of a FlowAgent-layout folder.

    Args:
        folder: the folder holding ``pdl/`` (and optionally ``tools/``, ``user_profile/``).
        seed: the evaluation seed (also places the OOW turns).
        repeats: sessions per profile (each gets the next slot of the schedule).
        oow_every: one session in ``oow_every`` is an in-workflow control (1: all sessions deviate).
    """
    root = Path(folder).resolve()
    infos = _task_infos(root)
    cases: list[EvalCase] = []
    index = 0
    for pdl in sorted((root / "pdl").glob("*.y*ml")):
        stem = pdl.stem
        tools = root / "tools" / f"{stem}.yaml"
        rules = read_api_rules(pdl)
        profiles = _profiles(root / "user_profile" / f"{stem}.json")
        if not profiles:
            info = infos.get(stem, {})
            need = str(info.get("task_description") or info.get("name") or stem)
            profiles = [{"persona": "A customer", "user_needs": need}]
        name = str(infos.get(stem, {}).get("name", stem))
        for p_idx, profile in enumerate(profiles):
            for rep in range(repeats):
                cases.append(EvalCase(
                    id=f"{root.name}-{stem}-p{p_idx}-r{rep}",
                    workflow=str(pdl),
                    tools_spec=str(tools) if tools.is_file() else None,
                    user=UserSpec(profile=profile),
                    expected_apis=list(rules),
                    preconditions=rules,
                    oow=balanced_schedule(index, seed, every=oow_every),
                    seed=seed,
                    tags={"workflow": name, "source": root.name},
                ))
                index += 1
    if not cases:
        raise UserError(f"no workflows in {root / 'pdl'}", hint="expected files like pdl/000.yaml")
    return cases


def import_fixed_queries(folder: str | Path, workflows: str | Path, *, seed: int = 0) -> list[EvalCase]:
    """Scripted-user cases from FA ``eval_fixed_queries``: file ``NNN.jsonl`` tests workflow ``pdl/NNN.yaml``."""
    qdir = Path(folder).resolve()
    wroot = Path(workflows).resolve()
    cases: list[EvalCase] = []
    for qfile in sorted(qdir.glob("*.jsonl")):
        pdl = next(iter(sorted((wroot / "pdl").glob(f"{qfile.stem}.y*ml"))), None)
        lines = [ln for ln in read_text(qfile, "fixed queries").splitlines() if ln.strip()]
        if not lines:
            continue
        if pdl is None:
            raise UserError(f"no workflow pdl/{qfile.stem}.yaml for {qfile.name}", location=Location(str(wroot)),
                            hint="point `--workflows` at the folder holding the matching pdl/ files")
        tools = wroot / "tools" / f"{qfile.stem}.yaml"
        rules = read_api_rules(pdl)
        for lineno, line in enumerate(lines, start=1):
            raw = load_json(line, str(qfile), lineno)
            queries = raw.get("user_queries") if isinstance(raw, dict) else None
            if not isinstance(queries, list) or not queries:
                raise UserError("a fixed query needs a non-empty `user_queries` list",
                                location=Location(str(qfile), lineno, 1))
            sid = str(raw.get("eval_session_id") or f"{qfile.stem}-{lineno}")
            cases.append(EvalCase(
                id=f"{qfile.stem}-{lineno:03d}-{sid[:8]}",
                workflow=str(pdl),
                tools_spec=str(tools) if tools.is_file() else None,
                user=UserSpec(turns=[str(q) for q in queries]),
                preconditions=rules,
                seed=seed,
                max_turns=len(queries) + 2,
                tags={"workflow": str(raw.get("workflow_name", qfile.stem)),
                      "description": str(raw.get("eval_description", "")), "source": qdir.name},
            ))
    if not cases:
        raise UserError(f"no fixed queries in {qdir}", hint="expected NNN.jsonl files with `user_queries`")
    return cases
