"""The impact of a draft as a self-contained HTML page (issue 17): bilingual, printable, charts
drawn on the server as SVG by pygal, nothing fetched from elsewhere (intranets)."""

import html
import re
from typing import Any

import pygal

_COMMENT = re.compile(r"<!--.*?-->", re.S)  # pygal signs its charts with its home page's URL

STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #999; padding: 0.25em 0.6em; text-align: right; }
.changed { background: #fde2c8; }
figure { margin: 0 0 1.5em; max-width: 720px; }
@media print { figure, table { break-inside: avoid; } }
"""


def _chart(title: str, labels: list[str], series: dict[str, list[int]]) -> str:
    chart = pygal.Bar(
        js=[], disable_xml_declaration=True, width=720, height=320, title=title,
        x_label_rotation=30 if len(labels) > 8 else 0,
    )  # fmt: skip
    chart.x_labels = labels
    for name, values in series.items():
        chart.add(name, values)
    svg: str = chart.render(is_unicode=True)
    return f"<figure>{_COMMENT.sub('', svg)}</figure>"


def _matrix(transitions: dict[str, int]) -> str:
    """Holders by (level before, level after): rows before, columns after."""
    cells = {tuple(int(n) for n in key.split("->")): n for key, n in transitions.items()}
    top = max((max(i, j) for i, j in cells), default=0)
    head = "".join(f"<th>{j}</th>" for j in range(top + 1))
    rows = "".join(
        f"<tr><th>{i}</th>"
        + "".join(
            f'<td class="{"changed" if i != j and cells.get((i, j)) else ""}">'
            f"{cells.get((i, j), '')}</td>"
            for j in range(top + 1)
        )
        + "</tr>"
        for i in range(top + 1)
    )
    return (
        "<table><tr><th>之前 \\ 之后<br>before \\ after</th>" + head + "</tr>" + rows + "</table>"
    )


def render_html(result: dict[str, Any], draft_id: str) -> str:
    """The page of one impact result (`Impact.as_json()`)."""
    e = html.escape
    points = result["total_points"]
    bins = sorted({int(b) for side in points.values() for b in side})
    parts = [
        f"<h1>草案影响评估 · Impact of a draft policy</h1>"
        f"<p>{e(result['policy'])} → {e(draft_id)}，{e(result['as_of'])}："
        f"{result['holders']} 名持证人 / holders with a valid permit.</p>",
        "<h2>总积分分布 · Total points, before and after</h2>",
        _chart(
            "总积分 / total points",
            [str(b) for b in bins],
            {
                "现行 / in force": [points["before"].get(str(b), 0) for b in bins],
                "草案 / draft": [points["after"].get(str(b), 0) for b in bins],
            },
        ),
    ]
    for name, domain in result["domains"].items():
        districts = domain["by_district"]
        parts.append(f"<h2>{e(name)}：等级变化 · level transitions</h2>")
        parts.append(_matrix(domain["transitions"]))
        if districts:
            parts.append(
                _chart(
                    f"{name}：得益与受损 / gainers and losers by district",
                    list(districts),
                    {
                        "得益 / gainers": [d["gainers"] for d in districts.values()],
                        "受损 / losers": [d["losers"] for d in districts.values()],
                    },
                )
            )
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
        f"<title>草案影响评估 · Impact of {e(draft_id)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )
