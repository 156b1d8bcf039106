"""Citation precision and recall of a retrieval-augmented system, on a question set whose
relevant chunks are known: how many of the chunks an answer cited are relevant (precision) and
how many of the relevant chunks it cited (recall)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["citation_figures"]


def citation_figures(
    relevant: Mapping[str, Sequence[str]], cited: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """Per question and overall. ``relevant`` maps each question to its relevant chunk ids,
    ``cited`` each answered question to the chunk ids its answer cited (``retrieval_ids``).

    Macro figures average the questions (a question whose answer cited nothing has no
    precision and is left out of that average; a question without relevant chunks has no
    recall); micro figures pool every citation. Questions without an answer are listed and
    count as recall 0 in both recalls (nothing relevant was cited)."""
    rows = []
    hits_total = cited_total = relevant_total = 0
    precisions: list[float] = []
    recalls: list[float] = []
    unanswered = []
    for question, chunks in relevant.items():
        wanted = set(chunks)
        answered = question in cited
        got = set(cited.get(question, ()))
        hits = len(wanted & got)
        precision = hits / len(got) if got else None
        recall = hits / len(wanted) if wanted else None
        if not answered:
            unanswered.append(question)
        if precision is not None:
            precisions.append(precision)
        if recall is not None:
            recalls.append(recall)
        hits_total += hits
        cited_total += len(got)
        relevant_total += len(wanted)
        rows.append(
            {
                "question": question,
                "relevant": len(wanted),
                "cited": len(got),
                "correct": hits,
                "precision": precision,
                "recall": recall,
                "answered": answered,
            }
        )
    return {
        "questions": len(relevant),
        "answered": len(relevant) - len(unanswered),
        "precision": {
            "macro": sum(precisions) / len(precisions) if precisions else None,
            "micro": hits_total / cited_total if cited_total else None,
        },
        "recall": {
            "macro": sum(recalls) / len(recalls) if recalls else None,
            "micro": hits_total / relevant_total if relevant_total else None,
        },
        "unanswered": unanswered,
        "answers_without_question": sorted(set(cited) - set(relevant)),
        "per_question": rows,
    }
