"""One table for every benchmark: a row is a metric, lavavisor's figure, each peer's, the ratio and the goal."""
from dataclasses import dataclass, field


@dataclass
class Row:
    metric: str
    lavavisor: object  # a number, None (not measured) or a sentence
    peers: list = field(default_factory=list)  # (name, number or None)
    ratio: float = None
    goal: str = ""
    met: bool = None  # None: no goal for this row, or not measured


def cell(value):
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    return f"{value:.1f}" if abs(value) >= 100 else f"{value:.2f}" if abs(value) >= 0.1 else f"{value:.3f}"


def markdown(rows):
    lines = ["| metric | lavavisor | peers, same run | ratio | goal | met |", "|---|---:|---|---:|---|---|"]
    for r in rows:
        peers = "; ".join(f"{name} {cell(value)}" for name, value in r.peers) or "none"
        met = "n/a" if r.met is None else "yes" if r.met else "**no**"
        lines.append(f"| {r.metric} | {cell(r.lavavisor)} | {peers} | {cell(r.ratio)} | {r.goal or 'none set'} | {met} |")
    return "\n".join(lines)
