"""Receipt PDFs, read back with pypdf. No database needed."""

import importlib.util
import io
import logging
from datetime import date
from decimal import Decimal

import pytest
from PIL import Image as PILImage
from pypdf import PdfReader

from receipts import pdf
from receipts.pdf import FontNotFoundError, find_font_dir, render_receipt_pdf
from receipts.snapshot import (
    MODE_CHEQUE,
    MODE_OTHER,
    PaymentLine,
)
from receipts.tests.snapshots import (
    CATEGORY,
    make_annual_snapshot,
    make_company,
    make_company_snapshot,
    make_foundation,
    make_snapshot,
    pages_text,
    text_of,
)

# Individual receipt (2041-RD)


def test_individual_receipt_names_form_2041_rd_and_cerfa_11580_05():
    snapshot = make_snapshot()

    text = text_of(snapshot)

    assert "2041-RD" in text
    assert "N° 11580*05" in text
    assert "2041-MEC-SD" not in text


def test_receipt_number_is_printed_as_the_order_number():
    snapshot = make_snapshot(number="2026-000123")

    text = text_of(snapshot)

    assert "Numéro d'ordre du reçu : 2026-000123" in text


def test_beneficiary_block_shows_identity_address_and_object():
    snapshot = make_snapshot()

    text = text_of(snapshot)

    assert "Nom ou dénomination : Fondation Université Exemple" in text
    assert "N° SIREN : 130026123" in text
    assert "Adresse : 12 rue des Écoles" in text
    assert "Code postal : 75005 Commune : Paris Pays : France" in text
    assert "Objet : Soutenir la formation et la recherche de l'université" in text


def test_rna_is_printed_when_the_beneficiary_has_one():
    foundation = make_foundation(siren="", rna="W751234567")
    snapshot = make_snapshot(foundation=foundation)

    text = text_of(snapshot)

    assert "N° RNA : W751234567" in text
    assert "SIREN" not in text.split("Donateur")[0]


def test_only_the_applicable_category_line_is_printed_ticked():
    snapshot = make_snapshot()

    text = text_of(snapshot)

    assert f"Catégorie : ☒ {CATEGORY}" in text
    assert "Fonds de dotation" not in text


def test_donor_names_outside_latin_1_are_printed_intact():
    snapshot = make_snapshot()

    text = text_of(snapshot)

    assert "Nom : Dvořák" in text
    assert "Prénoms : Łukasz Anton" in text


def test_individual_donor_address_is_complete():
    snapshot = make_snapshot()

    text = text_of(snapshot)

    assert "Adresse : 3 allée des Tilleuls" in text
    assert "Code postal : 69003 Commune : Lyon Pays : France" in text


def test_received_amount_is_framed_with_asterisks():
    snapshot = make_snapshot()

    text = text_of(snapshot)

    assert (
        "Le bénéficiaire reconnaît avoir reçu au titre des dons et versements "
        "ouvrant droit à réduction d'impôt, la somme de : ***120,50*** euros"
    ) in text


def test_received_amount_is_also_printed_in_words():
    snapshot = make_snapshot()

    text = text_of(snapshot)

    assert "Somme en toutes lettres : cent vingt euros et cinquante centimes" in text


def test_single_payment_prints_its_date():
    snapshot = make_snapshot()

    text = text_of(snapshot)

    assert "Date du versement ou du don : 15/03/2026" in text
    assert "Période" not in text


def test_article_200_box_alone_is_ticked_by_default():
    snapshot = make_snapshot()

    text = text_of(snapshot)

    assert "☒ 200 du CGI ☐ 978 du CGI" in text


def test_article_978_box_is_ticked_when_the_flag_is_set():
    snapshot = make_snapshot(article_200=False, article_978=True)

    text = text_of(snapshot)

    assert "☐ 200 du CGI ☒ 978 du CGI" in text


def test_forme_nature_and_mode_tick_only_the_chosen_box():
    snapshot = make_snapshot(mode=MODE_CHEQUE)

    text = text_of(snapshot)

    assert (
        "Forme du don ☐ Acte authentique ☐ Acte sous seing privé "
        "☒ Déclaration de don manuel ☐ Autres"
    ) in text
    assert (
        "Nature du don ☒ Numéraire ☐ Titres de sociétés cotés "
        "☐ Abandon exprès de revenus ou de produits "
        "☐ Frais des bénévoles renonçant au remboursement ☐ Autres"
    ) in text
    assert (
        "En cas de don en numéraire, mode de versement du don "
        "☐ Remise d'espèces ☒ Chèque ☐ Virement, prélèvement, carte bancaire"
    ) in text


def test_certification_on_honour_is_printed():
    snapshot = make_snapshot()

    text = text_of(snapshot)

    assert (
        "Le bénéficiaire certifie sur l'honneur que les dons et versements qu'il "
        "reçoit ouvrent droit à la réduction d'impôt prévue à l'article"
    ) in text


def test_signature_block_shows_date_name_and_capacity():
    snapshot = make_snapshot(issued_on=date(2026, 3, 16))

    text = text_of(snapshot)

    assert "Date et signature Date : 16/03/2026" in text
    assert "Signataire : Claire Martin, Présidente" in text


def test_signature_image_is_embedded_when_the_file_exists(tmp_path):
    image_path = tmp_path / "signature.png"
    PILImage.new("RGB", (300, 100), "navy").save(image_path)
    foundation = make_foundation(signature_image_path=str(image_path))
    snapshot = make_snapshot(foundation=foundation)

    document = render_receipt_pdf(snapshot)

    assert len(PdfReader(io.BytesIO(document)).pages[0].images) == 1


def test_missing_signature_image_is_skipped_with_a_warning(tmp_path, caplog):
    foundation = make_foundation(signature_image_path=str(tmp_path / "none.png"))
    snapshot = make_snapshot(foundation=foundation)

    with caplog.at_level(logging.WARNING, logger="receipts.pdf"):
        document = render_receipt_pdf(snapshot)

    assert len(PdfReader(io.BytesIO(document)).pages[0].images) == 0
    assert "Signature image missing" in caplog.text


def test_footnotes_recall_the_rescrit_and_the_fine():
    snapshot = make_snapshot()

    text = text_of(snapshot)

    assert "article L. 80 C du livre des procédures fiscales" in text
    assert "article 1740 A du code général des impôts" in text


def test_mode_other_is_refused_on_the_individual_form():
    snapshot = make_snapshot(mode=MODE_OTHER)

    with pytest.raises(ValueError, match="no 'Autre' mode"):
        render_receipt_pdf(snapshot)


def test_company_form_code_on_an_individual_snapshot_is_refused():
    snapshot = make_snapshot(form_code="2041-MEC-SD", form_version="16216*03")

    with pytest.raises(ValueError, match="printed on 2041-RD"):
        render_receipt_pdf(snapshot)


# Company receipt (2041-MEC-SD)


def test_company_receipt_names_form_2041_mec_sd_and_cerfa_16216():
    snapshot = make_company_snapshot()

    text = text_of(snapshot)

    assert "2041-MEC-SD" in text
    assert "N° 16216*03" in text
    assert "2041-RD" not in text
    assert "11580" not in text


def test_company_receipt_prints_the_form_version_of_the_snapshot():
    snapshot = make_company_snapshot(form_version="16216*02")

    text = text_of(snapshot)

    assert "N° 16216*02" in text


def test_company_block_shows_name_legal_form_siren_and_address():
    snapshot = make_company_snapshot()

    text = text_of(snapshot)

    assert "Dénomination sociale : Ørsted Énergies" in text
    assert "Forme juridique : SAS" in text
    assert "N° SIREN : 552100554" in text
    assert "Adresse : 5 quai de Seine" in text
    assert "Code postal : 75019 Commune : Paris Pays : France" in text


def test_company_receipt_shows_cash_total_and_ticked_mode():
    snapshot = make_company_snapshot()

    text = text_of(snapshot)

    assert "Dons en numéraire ***1 500,00*** euros" in text
    assert (
        "Mode de versement ☐ Remise d'espèces ☐ Chèque "
        "☒ Virement, prélèvement, carte bancaire ☐ Autre"
    ) in text


def test_company_receipt_shows_total_in_figures_and_words():
    snapshot = make_company_snapshot()

    text = text_of(snapshot)

    assert "la somme de : ***1 500,00*** euros" in text
    assert "Somme en toutes lettres : mille cinq cents euros" in text


def test_company_receipt_shows_the_date_of_the_gift():
    snapshot = make_company_snapshot()

    text = text_of(snapshot)

    assert "Date ou période : 01/06/2026" in text


def test_company_receipt_certifies_article_238_bis_only():
    snapshot = make_company_snapshot()

    text = text_of(snapshot)

    assert "prévue à l'article 238 bis du code général des impôts" in text
    assert "200 du CGI" not in text


def test_company_gift_in_kind_is_refused():
    snapshot = make_company_snapshot(nature="Autres")

    with pytest.raises(ValueError, match="money only"):
        render_receipt_pdf(snapshot)


def test_company_receipt_with_several_payments_prints_the_period():
    payments = [
        PaymentLine(date(2026, 2, 1), Decimal("1000.00"), "transfer"),
        PaymentLine(date(2026, 9, 1), Decimal("500.00"), "cheque"),
    ]
    snapshot = make_snapshot(make_company(), payments)

    text = text_of(snapshot)

    assert "Date ou période : du 01/02/2026 au 01/09/2026" in text


# Annual receipt covering several payments


def test_annual_receipt_lists_each_payment_date_and_amount():
    snapshot = make_annual_snapshot()

    text = text_of(snapshot)

    for month in range(1, 13):
        assert f"05/{month:02d}/2026 Prélèvement 25,00" in text


def test_annual_receipt_prints_the_total_of_its_payments():
    snapshot = make_annual_snapshot()

    text = text_of(snapshot)

    assert "Total 300,00" in text
    assert "la somme de : ***300,00*** euros" in text
    assert "Somme en toutes lettres : trois cents euros" in text


def test_annual_receipt_prints_the_period_from_first_to_last_payment():
    snapshot = make_annual_snapshot()

    text = text_of(snapshot)

    assert "Période : du 05/01/2026 au 05/12/2026" in text
    assert "Date du versement ou du don :" not in text


# Duplicates


def test_duplicate_is_marked_on_every_page_with_its_issue_date():
    snapshot = make_annual_snapshot()

    pages = pages_text(render_receipt_pdf(snapshot, duplicate_of=date(2026, 12, 4)))

    assert len(pages) > 1
    assert all("DUPLICATA – émis le 04/12/2026" in page for page in pages)


def test_original_carries_no_duplicate_mark():
    snapshot = make_annual_snapshot()

    text = text_of(snapshot)

    assert "DUPLICATA" not in text


def test_duplicate_repeats_the_original_apart_from_the_mark():
    snapshot = make_snapshot()
    original = text_of(snapshot)

    duplicate = text_of(snapshot, duplicate_of=date(2026, 12, 4))

    assert duplicate.replace("DUPLICATA – émis le 04/12/2026 ", "") == original


# The document itself


def test_metadata_gives_title_and_foundation_as_author():
    snapshot = make_snapshot()

    metadata = PdfReader(io.BytesIO(render_receipt_pdf(snapshot))).metadata

    assert metadata.title == "Reçu fiscal 2026-000123"
    assert metadata.author == "Fondation Université Exemple"


def test_page_is_a4():
    snapshot = make_snapshot()

    page = PdfReader(io.BytesIO(render_receipt_pdf(snapshot))).pages[0]

    assert (round(page.mediabox.width), round(page.mediabox.height)) == (595, 842)


def test_pdf_is_flat_without_form_fields():
    snapshot = make_snapshot()

    reader = PdfReader(io.BytesIO(render_receipt_pdf(snapshot)))

    assert reader.get_fields() is None
    assert "/AcroForm" not in reader.trailer["/Root"]


def test_only_the_embedded_dejavu_fonts_are_used():
    snapshot = make_snapshot()

    page = PdfReader(io.BytesIO(render_receipt_pdf(snapshot))).pages[0]

    fonts = page["/Resources"]["/Font"].values()
    base_fonts = {font.get_object()["/BaseFont"].split("+")[-1] for font in fonts}
    assert base_fonts == {"DejaVuSans", "DejaVuSans-Bold"}


def test_same_snapshot_renders_to_identical_bytes():
    snapshot = make_snapshot()

    first, second = render_receipt_pdf(snapshot), render_receipt_pdf(snapshot)

    assert first == second


# Font lookup


def test_font_directory_from_the_environment_comes_first(tmp_path, monkeypatch):
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        (tmp_path / name).write_bytes((find_font_dir() / name).read_bytes())
    monkeypatch.setenv("MECENE_PDF_FONT_DIR", str(tmp_path))

    directory = find_font_dir()

    assert directory == tmp_path


def test_missing_font_names_what_to_install(tmp_path, monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setenv("MECENE_PDF_FONT_DIR", str(tmp_path))
    monkeypatch.setattr(pdf, "_SYSTEM_FONT_DIR", tmp_path / "absent")
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: (
            None if name == "rinoh_typeface_dejavusans" else real_find_spec(name, *a)
        ),
    )

    with pytest.raises(FontNotFoundError, match="rinoh-typeface-dejavusans"):
        find_font_dir()
