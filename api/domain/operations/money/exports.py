"""The money reports as files: CSV for spreadsheets and a printable HTML statement per host.

Text that people typed (host names, contacts, location names) is escaped in HTML, and in CSV a cell that a
spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage return) is prefixed with an
apostrophe.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable
from decimal import Decimal

from api.csv_cells import text_cell
from api.domain.operations.money.schemas import ReconciliationReport, RevenueShareReport


def _cell(value: object) -> str:
    if value is None:
        return ""
    return text_cell(value) if isinstance(value, str) else str(value)


def _csv(header: list[str], rows: Iterable[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def reconciliation_csv(report: ReconciliationReport) -> str:
    """Every billed session of the period with its status, then every mismatch (one row each)."""
    rows: list[list[object]] = [
        [
            "session",
            line.session_id,
            line.location_name,
            line.billed_at.isoformat(),
            line.currency,
            line.billed,
            line.captured,
            line.refunded,
            line.status,
            line.payment_reference,
            "",
            "",
        ]
        for line in report.lines
    ]
    rows.extend(
        [
            "mismatch",
            item.session_id,
            item.location_name,
            item.at.isoformat() if item.at else "",
            item.currency,
            item.billed,
            item.captured,
            item.amount,
            item.kind,
            item.payment_reference,
            item.provider_id,
            item.detail,
        ]
        for item in report.mismatches
    )
    header = [
        "row",
        "session_id",
        "location",
        "at",
        "currency",
        "billed",
        "captured",
        "refunded_or_amount",
        "status",
        "payment_reference",
        "provider_id",
        "detail",
    ]
    return _csv(header, rows)


def revenue_share_csv(report: RevenueShareReport) -> str:
    """One row per host, location and agreement in the period."""
    rows: list[list[object]] = [
        [
            statement.host_name,
            statement.contact,
            line.location_name,
            line.location_id,
            line.basis,
            line.rate,
            line.days_from.isoformat(),
            line.days_to.isoformat(),
            line.sessions,
            line.energy_kwh,
            line.currency,
            line.net_revenue,
            line.share,
            line.share_currency,
        ]
        for statement in report.statements
        for line in statement.lines
    ]
    header = [
        "host",
        "contact",
        "location",
        "location_id",
        "basis",
        "rate",
        "from",
        "to",
        "sessions",
        "energy_kwh",
        "currency",
        "net_revenue_excl_vat",
        "host_share",
        "share_currency",
    ]
    return _csv(header, rows)


def _terms(basis: str, rate: Decimal, currency: str) -> str:
    return f"{rate} % of net revenue" if basis == "percent" else f"{rate} {currency} per kWh"


def revenue_share_html(report: RevenueShareReport, operator_name: str) -> str:
    """A self-contained page, one statement per host, each starting on a new sheet when printed."""
    e = html.escape
    period = f"{report.period_from.isoformat()} to {report.period_to.isoformat()}"
    sections = []
    for statement in report.statements:
        rows = "".join(
            f"<tr><td>{e(line.location_name or str(line.location_id))}</td>"
            f"<td>{e(_terms(line.basis, line.rate, line.share_currency))}</td>"
            f"<td>{line.days_from.isoformat()} to {line.days_to.isoformat()}</td>"
            f"<td class=n>{line.sessions}</td><td class=n>{line.energy_kwh}</td>"
            f"<td class=n>{line.net_revenue} {e(line.currency)}</td>"
            f"<td class=n>{line.share} {e(line.share_currency)}</td></tr>"
            for line in statement.lines
        )
        totals = "".join(
            f"<tr><td colspan=3>Total ({e(total.currency)})</td><td class=n>{total.sessions}</td>"
            f"<td class=n>{total.energy_kwh}</td><td class=n>{total.net_revenue} {e(total.currency)}</td>"
            f'<td class="n share-total">{total.share} {e(total.currency)}</td></tr>'
            for total in statement.totals
        )
        contact = f"<br>{e(statement.contact)}" if statement.contact else ""
        sections.append(
            f'<section class="statement"><h1>Revenue-share statement</h1>'
            f'<p class="host"><strong>{e(statement.host_name)}</strong>{contact}</p>'
            f"<p>Period {period} (UTC days) &middot; from {e(operator_name)}</p>"
            "<table><thead><tr><th>Location</th><th>Terms</th><th>Days</th><th class=n>Sessions</th>"
            "<th class=n>kWh</th><th class=n>Net revenue excl. VAT</th><th class=n>Host share</th></tr></thead>"
            f"<tbody>{rows}</tbody><tfoot>{totals}</tfoot></table>"
            "<p class=note>Net revenue: what drivers were billed, less refunds and adjustments, excluding VAT. "
            "Sessions count on the day they ended.</p></section>"
        )
    body = "".join(sections) or "<p>No host agreement covers this period.</p>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Revenue-share statements {period}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:56rem;margin:2rem auto;color:#111}}
table{{width:100%;border-collapse:collapse}}td,th{{padding:.35rem;border-bottom:1px solid #ddd;text-align:left}}
.n{{text-align:right}}tfoot td{{font-weight:600}}.note{{color:#444;font-size:.9rem}}
.statement+.statement{{margin-top:3rem}}
@media print{{body{{margin:0}}.statement{{break-after:page}}}}
</style></head><body>{body}</body></html>
"""
