"""Server-side SVG charts of the dashboard, drawn with pygal.

Each chart is an image for assistive technology (role="img" with a one-
sentence summary as its label); the page also gives its figures as a
table. Colours are dark enough for 3:1 against white (WCAG 1.4.11), and a
white outline separates stacked segments, so no two methods touch.
"""

import re
from decimal import Decimal

import pygal
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.translation import gettext as _
from djmoney.money import Money
from pygal.style import Style

from campaigns.templatetags.money import money_short
from dashboard.selectors import METHODS, Series
from payments.models import Gift

# In the order of Gift.Method: card, SEPA, transfer, cheque, cash. Contrast
# with white: 9.8, 6.4, 6.6, 5.9 and 8.9 to 1.
METHOD_COLOURS = ("#8a1538", "#1a5fb4", "#1d6b3a", "#8f4e00", "#5b3c88")
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1d2433",
    foreground_strong="#1d2433",
    foreground_subtle="#4f5b6d",
    colors=METHOD_COLOURS,
    opacity="1",
    opacity_hover="0.85",
    font_family="system-ui, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    title_font_size=16,
)
STACK_OUTLINE = "inline:.reactive{stroke:#ffffff;stroke-width:1px}"
# pygal always adds a <script> with its settings, for its optional
# tooltips; the page runs no chart scripts, so it is taken out.
SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
METHOD_LABELS = dict(Gift.Method.choices)


def _base(chart_class, *, title: str, **options):
    options = {"width": 800, "height": 320, **options}
    return chart_class(
        style=STYLE,
        title=title,
        js=[],
        css=["file://style.css", "file://graph.css", STACK_OUTLINE],
        disable_xml_declaration=True,
        legend_at_bottom=True,
        legend_at_bottom_columns=5,
        no_data_text=_("No gifts yet"),
        show_minor_x_labels=False,
        truncate_label=-1,
        truncate_legend=-1,
        **options,
    )


def _svg(chart, summary: str) -> str:
    svg = SCRIPT.sub("", chart.render(is_unicode=True))
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(summary)}" ', 1)


def _whole_numbers(top: int) -> list[int]:
    """Round ticks (steps of 1, 2, 5, 10, 20...) from 0 to at least ``top``,
    at most six: counts of gifts have no halves."""
    step = 1
    while top / step > 5:
        lead, zeros = int(str(step)[0]), len(str(step)) - 1
        step = {1: 2, 2: 5, 5: 10}[lead] * 10**zeros
    return list(range(0, top + step, step))


def gifts_chart(series: Series, *, title: str, labels: list[str], summary: str):
    """Gifts per bucket, stacked by payment method."""
    tallest = max((total for _start, total, _net in series.rows()), default=0)
    chart = _base(
        pygal.StackedBar,
        title=title,
        y_labels=_whole_numbers(max(tallest, 1)),
        x_labels_major_every=max(len(labels) // 6, 1),
        value_formatter=lambda value: f"{value:.0f}",
    )
    chart.x_labels = labels
    for method in METHODS:
        # None rather than 0 so empty segments draw nothing, not a line.
        chart.add(str(METHOD_LABELS[method]), [v or None for v in series.gifts[method]])
    return _svg(chart, summary)


def methods_chart(split: list[dict], *, currency: str, summary: str) -> str:
    """Net amount by payment method, one bar each, since the campaign began."""
    chart = _base(
        pygal.HorizontalBar,
        title=_("Amount by payment method"),
        show_legend=False,
        height=240,
        value_formatter=lambda value: money_short(Money(value, currency)),
    )
    chart.x_labels = [row["label"] for row in split]
    # One series, each bar in its method's colour, as in the other charts.
    chart.add(
        _("Net amount"),
        [
            {"value": float(row["net"]), "color": colour}
            for row, colour in zip(split, METHOD_COLOURS, strict=True)
        ],
    )
    return _svg(chart, summary)


def day_labels(series: Series) -> list[str]:
    return [date_format(day, "j M") for day in series.starts]


def series_summary(series: Series, *, currency: str, period: str) -> str:
    best = max(series.rows(), key=lambda row: row[1], default=None)
    text = _("%(period)s: %(gifts)s gifts, %(amount)s net.") % {
        "period": period,
        "gifts": series.total_gifts,
        "amount": money_short(Money(series.total_net, currency)),
    }
    if best and best[1]:
        text += " " + _("Most gifts: %(count)s, in the period starting %(day)s.") % {
            "count": best[1],
            "day": date_format(best[0], "j F"),
        }
    return text


def methods_summary(split: list[dict], *, currency: str) -> str:
    parts = [
        f"{row['label']} {money_short(Money(row['net'], currency))}"
        for row in split
        if row["net"] != Decimal(0) or row["gifts"]
    ]
    if not parts:
        return _("Amount by payment method: no gifts yet.")
    return _("Amount by payment method: %(parts)s.") % {"parts": ", ".join(parts)}
