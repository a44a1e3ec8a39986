"""PDF rendering of a receipt snapshot on the CERFA models 2041-RD and 2041-MEC-SD.

The CERFA is a model: our own layout is allowed as long as every mention is
reproduced (receipts-fr.md, sections 0 and 1). The PDF is flat (no form
fields) and rendered only from the frozen snapshot, so a duplicate shows
exactly what the original showed.
"""

import importlib.util
import io
import logging
import os
import threading
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from receipts.snapshot import (
    DEFAULT_FORMS,
    FORMES,
    METHOD_LABELS,
    MODE_OTHER,
    MODES,
    NATURE_MONEY,
    NATURES,
    DonorBlock,
    FoundationBlock,
    ReceiptSnapshot,
)
from receipts.words import amount_framed_fr, amount_in_figures_fr

logger = logging.getLogger(__name__)

FONT_DIR_ENV = "MECENE_PDF_FONT_DIR"
FONT = "MeceneDejaVuSans"
FONT_BOLD = "MeceneDejaVuSans-Bold"
_FONT_FILES = {FONT: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf"}
_SYSTEM_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_fonts_lock = threading.Lock()
_fonts_registered = False

# Ballot boxes rather than drawn squares: they print clearly and come back
# from text extraction, so tests and screen readers see which box is ticked.
TICKED = "☒"
UNTICKED = "☐"

MARGIN = 16 * mm
# SimpleDocTemplate's frame pads its content by 6 points on each side; LEFT
# and WIDTH are those of the text, which page marks and full-width boxes match.
LEFT = MARGIN + 6
WIDTH = A4[0] - 2 * LEFT
SHADE = colors.HexColor("#E6E9EF")
INK = colors.HexColor("#1A1A1A")
DUPLICATE_INK = colors.HexColor("#B00020")

TITLES = {
    "individual": "Reçu des dons et versements effectués par les particuliers "
    "au titre des articles 200 et 978 du code général des impôts",
    "company": "Reçu des dons et versements effectués par les entreprises "
    "au titre de l'article 238 bis du code général des impôts",
}
RECEIVED = (
    "Le bénéficiaire reconnaît avoir reçu au titre des dons et versements "
    "ouvrant droit à réduction d'impôt, la somme de :"
)
CERTIFIED = (
    "Le bénéficiaire certifie sur l'honneur que les dons et versements qu'il "
    "reçoit ouvrent droit à la réduction d'impôt prévue à l'article"
)
NOTE_BOXES = (
    "(1) L'organisme coche une case ou les deux selon l'impôt sur lequel le "
    "don ouvre droit à réduction ; une même somme ne peut pas réduire à la fois "
    "l'impôt sur le revenu (article 200 du CGI) et l'impôt sur la fortune "
    "immobilière (article 978 du CGI). Au titre de l'article 978, seuls les "
    "dons en numéraire et les dons en pleine propriété de titres de sociétés "
    "admis aux négociations sur un marché réglementé ouvrent droit à réduction."
)
NOTE_RESCRIT = (
    "L'organisme bénéficiaire peut s'assurer que les dons qu'il reçoit ouvrent "
    "droit à réduction d'impôt en demandant un rescrit à l'administration "
    "fiscale (article L. 80 C du livre des procédures fiscales)."
)
NOTE_FINE = (
    "Toute personne qui délivre sciemment des documents permettant à un "
    "contribuable d'obtenir indûment une réduction d'impôt encourt une amende "
    "fiscale (article 1740 A du code général des impôts)."
)


class FontNotFoundError(RuntimeError):
    pass


def render_receipt_pdf(
    snapshot: ReceiptSnapshot, *, duplicate_of: date | None = None
) -> bytes:
    """Render the receipt as an A4 PDF.

    With ``duplicate_of``, every page is marked as a duplicate issued on that
    date; the content is otherwise identical to the original.
    """
    kind = snapshot.donor.kind
    expected_code = DEFAULT_FORMS[kind][0]
    if snapshot.form_code != expected_code:
        raise ValueError(f"a {kind} receipt is printed on {expected_code}")
    _register_fonts()

    body = _individual(snapshot) if kind == "individual" else _company(snapshot)
    notes = ([NOTE_BOXES] if kind == "individual" else []) + [NOTE_RESCRIT, NOTE_FINE]
    closing = _signature(snapshot) + [Spacer(0, 3 * mm)]
    closing += [Paragraph(escape(note), NOTE) for note in notes]
    # The signature stays on the page carrying the date it signs, and the
    # notes with it rather than alone on a last page.
    story = _header(snapshot) + body + [KeepTogether(closing)]

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=17 * mm,
        bottomMargin=15 * mm,
        title=f"Reçu fiscal {snapshot.number}",
        author=snapshot.foundation.name,
        subject=f"{snapshot.form_code} N° {snapshot.form_version}",
        creator="Mécène",
        lang="fr-FR",
        # Otherwise each page references Helvetica, a font never embedded.
        initialFontName=FONT,
        # Fixed dates and ids: the same snapshot always gives the same bytes,
        # so a stored SHA-256 can be checked by rendering again.
        invariant=True,
    )

    def mark_page(canvas, doc) -> None:
        _draw_page_marks(canvas, doc, snapshot, duplicate_of)

    doc.build(story, onFirstPage=mark_page, onLaterPages=mark_page)
    return buffer.getvalue()


def find_font_dir() -> Path:
    """The first directory holding DejaVu Sans regular and bold."""
    candidates: list[Path] = []
    if env_dir := os.environ.get(FONT_DIR_ENV):
        candidates.append(Path(env_dir))
    # find_spec locates the package without running it: it is installed with
    # --no-deps and only its font files are wanted.
    spec = importlib.util.find_spec("rinoh_typeface_dejavusans")
    if spec is not None and spec.origin:
        candidates.append(Path(spec.origin).parent)
    candidates.append(_SYSTEM_FONT_DIR)

    for directory in candidates:
        if all((directory / name).is_file() for name in _FONT_FILES.values()):
            return directory
    raise FontNotFoundError(
        "DejaVu Sans (DejaVuSans.ttf and DejaVuSans-Bold.ttf) was not found in "
        f"{', '.join(map(str, candidates))}. Install it with 'pip install "
        "--no-deps rinoh-typeface-dejavusans==0.1.0' or 'apt-get install "
        f"fonts-dejavu-core', or point {FONT_DIR_ENV} to a directory holding it."
    )


def _register_fonts() -> None:
    # The standard PDF fonts have no glyph for "ř" or "Ł", so a TrueType font
    # is embedded. ReportLab's font registry is process-wide, hence once.
    global _fonts_registered
    with _fonts_lock:
        if _fonts_registered:
            return
        directory = find_font_dir()
        for name, filename in _FONT_FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(directory / filename)))
        pdfmetrics.registerFontFamily(
            FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
        )
        _fonts_registered = True


# Styles name the fonts only; ReportLab resolves them when drawing, after
# _register_fonts has run.
BODY = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12.5, textColor=INK)
TITLE = ParagraphStyle("title", BODY, fontName=FONT_BOLD, fontSize=11.5, leading=15)
FORM = ParagraphStyle("form", TITLE, fontSize=11, leading=14, alignment=TA_RIGHT)
NUMBER = ParagraphStyle("number", BODY, fontSize=12.5, leading=16)
SECTION = ParagraphStyle("section", BODY, fontName=FONT_BOLD, fontSize=10)
AMOUNT = ParagraphStyle("amount", SECTION, fontSize=14, leading=19, alignment=TA_CENTER)
NOTE = ParagraphStyle("note", BODY, fontSize=7, leading=9, spaceAfter=1.5)


def _individual(s: ReceiptSnapshot) -> list[Flowable]:
    if s.mode == MODE_OTHER:
        raise ValueError(f"the 2041-RD form has no {MODE_OTHER!r} mode of payment")
    d = s.donor
    story = _section("Donateur")
    story += _fields(("Nom", d.last_name), ("Prénoms", d.first_names))
    story += _address(d)
    story += _section("Dons et versements") + _amount(s)
    if len(s.payments) == 1:
        story += _fields(("Date du versement ou du don", _fr(s.payments[0].date)))
    else:
        story += _payments(s, "Période")
    articles = [("200 du CGI", s.article_200), ("978 du CGI", s.article_978)]
    modes = [m for m in MODES if m != MODE_OTHER]
    certification = [
        Paragraph(f"{escape(CERTIFIED)}<super>(1)</super> :", BODY),
        *_choices(
            ("Article du CGI", _boxes(articles)),
            ("Forme du don", _ticked(FORMES, s.forme)),
            ("Nature du don", _ticked(NATURES, s.nature)),
            (
                "En cas de don en numéraire, mode de versement du don",
                _ticked(modes, s.mode),
            ),
        ),
    ]
    # The certification and its boxes read as one statement: never split them.
    return story + [KeepTogether(certification)]


def _company(s: ReceiptSnapshot) -> list[Flowable]:
    # The company form needs a value and a description for gifts in kind,
    # which the snapshot does not carry: printing a cash total for them would
    # certify the wrong thing.
    if s.nature != NATURE_MONEY:
        raise ValueError("company receipts support gifts in money only")
    d = s.donor
    story = _section("Entreprise donatrice")
    story += _fields(
        ("Dénomination sociale", d.company_name),
        ("Forme juridique", d.legal_form),
        ("N° SIREN", d.siren),
    )
    story += _address(d)
    story += _section("Dons et versements") + _amount(s)
    story += _choices(
        ("Dons en numéraire", f"{amount_framed_fr(s.total)} euros"),
        ("Mode de versement", _ticked(MODES, s.mode)),
        ("Dons en nature (valeur et description)", "néant"),
    )
    if len(s.payments) == 1:
        story += _fields(("Date ou période", _fr(s.payments[0].date)))
    else:
        story += _payments(s, "Date ou période")
    certified = f"{CERTIFIED} 238 bis du code général des impôts."
    return story + [Paragraph(escape(certified), BODY)]


def _header(s: ReceiptSnapshot) -> list[Flowable]:
    form = f"{escape(s.form_code)}<br/>N° {escape(s.form_version)}"
    heading = Table(
        [[Paragraph(escape(TITLES[s.donor.kind]), TITLE), Paragraph(form, FORM)]],
        colWidths=[WIDTH - 36 * mm, 36 * mm],
        style=_grid(padding=0, valign="TOP"),
    )
    number = f"Numéro d'ordre du reçu : <b>{escape(s.number)}</b>"
    if s.replaces_number:
        replaces = f"Ce reçu annule et remplace le reçu n° {s.replaces_number}"
        number += f"<br/>{escape(replaces)}"
    return [
        heading,
        Spacer(0, 3 * mm),
        _boxed(Paragraph(number, NUMBER), WIDTH, box=1.2, padding=5),
        *_beneficiary(s),
    ]


def _beneficiary(s: ReceiptSnapshot) -> list[Flowable]:
    f = s.foundation
    identifiers = [("N° SIREN", f.siren), ("N° RNA", f.rna)]
    return [
        *_section("Bénéficiaire des versements"),
        *_fields(
            ("Nom ou dénomination", f.name),
            *[(label, value) for label, value in identifiers if value],
        ),
        *_address(f),
        *_fields(("Objet", f.object)),
        # Only the category that applies is printed, as the model allows.
        Paragraph(f"Catégorie : {TICKED}&nbsp;{escape(f.category_line)}", BODY),
    ]


def _amount(s: ReceiptSnapshot) -> list[Flowable]:
    framed = Paragraph(f"{amount_framed_fr(s.total)} euros", AMOUNT)
    return [
        Paragraph(escape(RECEIVED), BODY),
        Spacer(0, 1 * mm),
        _boxed(framed, 95 * mm, box=1, padding=4),
        Spacer(0, 2 * mm),
        *_fields(("Somme en toutes lettres", s.words)),
    ]


def _payments(s: ReceiptSnapshot, period_label: str) -> list[Flowable]:
    rows = [["Date du versement", "Mode", "Montant (euros)"]]
    rows += [
        [_fr(p.date), METHOD_LABELS[p.method], amount_in_figures_fr(p.amount)]
        for p in sorted(s.payments, key=lambda p: p.date)
    ]
    rows.append(["Total", "", amount_in_figures_fr(s.total)])
    style = _grid(padding=2.5, box=0.8, inner=0.4)
    style.add("FONTNAME", (0, 0), (-1, 0), FONT_BOLD)
    style.add("FONTNAME", (0, -1), (-1, -1), FONT_BOLD)
    style.add("BACKGROUND", (0, 0), (-1, 0), SHADE)
    style.add("ALIGN", (-1, 0), (-1, -1), "RIGHT")
    table = Table(rows, colWidths=[40 * mm, 50 * mm, 40 * mm], style=style)
    table.hAlign = "LEFT"
    table.repeatRows = 1
    period = f"du {_fr(s.first_payment_on)} au {_fr(s.last_payment_on)}"
    return [
        *_fields((period_label, period)),
        Paragraph("Dates et montants des versements :", BODY),
        table,
        Spacer(0, 2.5 * mm),
    ]


def _signature(s: ReceiptSnapshot) -> list[Flowable]:
    f = s.foundation
    block = _section("Date et signature") + _fields(
        ("Date", _fr(s.issued_on)),
        ("Signataire", f"{f.signatory_name}, {f.signatory_capacity}"),
    )
    path = f.signature_image_path
    if path and Path(path).is_file():
        width, height = ImageReader(path).getSize()
        scale = min(50 * mm / width, 15 * mm / height)
        image = Image(path, width=width * scale, height=height * scale)
        image.hAlign = "LEFT"
        block.append(image)
    elif path:
        logger.warning(
            "Signature image missing, receipt rendered without it",
            extra={"receipt_number": s.number},
        )
    return block


def _section(title: str) -> list[Flowable]:
    bar = _boxed(Paragraph(escape(title), SECTION), WIDTH, padding=3, shade=True)
    return [Spacer(0, 2.5 * mm), bar, Spacer(0, 1 * mm)]


def _fields(*pairs: tuple[str, str]) -> list[Flowable]:
    """One labelled value per line."""
    return [_line(pair) for pair in pairs]


def _line(*pairs: tuple[str, str]) -> Paragraph:
    """Several labelled values on one line."""
    text = "&nbsp;&nbsp;&nbsp;&nbsp; ".join(
        f"{escape(label)} : <b>{escape(value)}</b>" for label, value in pairs
    )
    return Paragraph(text, BODY)


def _address(block: FoundationBlock | DonorBlock) -> list[Flowable]:
    return [
        _line(("Adresse", block.address_line)),
        _line(
            ("Code postal", block.postal_code),
            ("Commune", block.city),
            ("Pays", block.country),
        ),
    ]


def _choices(*rows: tuple[str, str]) -> list[Flowable]:
    """A two-column grid of labels and their boxes (already marked up)."""
    cells = [
        [Paragraph(escape(label), BODY), Paragraph(boxes, BODY)]
        for label, boxes in rows
    ]
    style = _grid(padding=3, box=0.6, inner=0.4)
    style.add("BACKGROUND", (0, 0), (0, -1), SHADE)
    table = Table(cells, colWidths=[50 * mm, WIDTH - 50 * mm], style=style)
    return [Spacer(0, 1 * mm), table, Spacer(0, 1.5 * mm)]


def _ticked(options: list[str] | tuple[str, ...], chosen: str) -> str:
    return _boxes([(option, option == chosen) for option in options])


def _boxes(options: list[tuple[str, bool]]) -> str:
    # No-break spaces keep each box and its label together on one line.
    return "&nbsp;&nbsp; ".join(
        f"{TICKED if ticked else UNTICKED}&nbsp;{escape(text).replace(' ', '&nbsp;')}"
        for text, ticked in options
    )


def _boxed(content: Flowable, width: float, **style) -> Table:
    table = Table([[content]], colWidths=[width], style=_grid(**style))
    table.hAlign = "LEFT"
    return table


def _grid(
    *,
    padding: float,
    box: float = 0,
    inner: float = 0,
    shade: bool = False,
    valign: str = "MIDDLE",
) -> TableStyle:
    commands: list[tuple] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("VALIGN", (0, 0), (-1, -1), valign),
        ("LEFTPADDING", (0, 0), (-1, -1), padding),
        ("RIGHTPADDING", (0, 0), (-1, -1), padding),
        ("TOPPADDING", (0, 0), (-1, -1), padding),
        ("BOTTOMPADDING", (0, 0), (-1, -1), padding),
    ]
    if box:
        commands.append(("BOX", (0, 0), (-1, -1), box, INK))
    if inner:
        commands.append(("INNERGRID", (0, 0), (-1, -1), inner, INK))
    if shade:
        commands.append(("BACKGROUND", (0, 0), (-1, -1), SHADE))
    return TableStyle(commands)


def _draw_page_marks(canvas, doc, s: ReceiptSnapshot, duplicate_of: date | None):
    width, height = A4
    canvas.saveState()
    canvas.setFont(FONT, 7.5)
    canvas.setFillColor(INK)
    footer = f"{s.form_code} – reçu n° {s.number} – page {doc.page}"
    canvas.drawString(LEFT, 8 * mm, footer)
    if duplicate_of is not None:
        # On every page, so that no page of a duplicate passes for an original.
        canvas.setFont(FONT_BOLD, 12)
        canvas.setFillColor(DUPLICATE_INK)
        canvas.setStrokeColor(DUPLICATE_INK)
        canvas.rect(LEFT, height - 14 * mm, WIDTH, 7 * mm)
        mark = f"DUPLICATA – émis le {_fr(duplicate_of)}"
        canvas.drawCentredString(width / 2, height - 11.7 * mm, mark)
    canvas.restoreState()


def _fr(day: date) -> str:
    return day.strftime("%d/%m/%Y")
