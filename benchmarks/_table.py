"""The one table layout every benchmark prints: measure, value, target, met?"""

from __future__ import annotations


def print_table(rows: list[tuple[str, str, str, str]], min_value_width: int = 0) -> None:
    width = max(len(r[0]) for r in rows)
    vwidth = max(min_value_width, *(len(r[1]) for r in rows))
    twidth = max(6, *(len(r[2]) for r in rows))
    print(f"{'measure':<{width}}  {'value':>{vwidth}}  {'target':>{twidth}}  met?")
    for name, value, target, verdict in rows:
        print(f"{name:<{width}}  {value:>{vwidth}}  {target:>{twidth}}  {verdict}")
