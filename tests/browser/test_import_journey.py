"""Bulk work in a browser (issue #12): an officer of a federal service, reading French,
fills in the typed XLSX template, checks it (the unknown category is answered with the
right code), corrects it, checks it again, imports the checked file without choosing it
again, and publishes the drafts in one step from My lots; at 1280 and 390 px."""

import io
import re

import pytest
from openpyxl import load_workbook

from exchange.lots.models import Lot, LotStatus
from tests.browser.checks import at_both_widths
from tests.factories import SiteFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_an_officer_imports_a_spreadsheet_and_publishes_the_drafts(
    browser, page_for, make_member, categories
):
    # given an officer of a verified federal service with a site, reading French
    officer = make_member("admin", kind="federal", name="SPF Démo Logistique")
    SiteFactory(organisation=officer.organisation, name="Siège")
    page = page_for(officer)
    officer.user.language = "fr"
    officer.user.save(update_fields=["language"])

    # when they open the import page from My lots
    page.goto("/lots/mine/")
    page.get_by_role("link", name="Importer une feuille de calcul").click()
    page.wait_for_url("**/lots/import/")
    main = page.get_by_role("main")
    assert "Titre court" in main.inner_text()  # the column list in French
    at_both_widths(page, "import-page")

    # and fill in the XLSX template, typing "chaise" as the category of the first row
    template = page.request.get("/lots/import/template.xlsx")
    workbook = load_workbook(io.BytesIO(template.body()))
    sheet = workbook["lots"]
    header = [c.value for c in sheet[1]]
    example = [c.value for c in sheet[2]]
    first = dict(zip(header, example, strict=True))
    assert first["site"] == "Siège" and isinstance(first["quantity"], int)
    rows = [
        {**first, "title": "Chaises de bureau noires", "category": "chaise", "quantity": 24},
        {
            **first,
            "title": "Bureaux 160x80",
            "category": "desk",
            "quantity": 6,
            "width_cm": 160,
            "depth_cm": 80,
            "height_cm": 75,
        },
    ]

    def upload(rows):
        for number, row in enumerate(rows, start=2):
            for column, name in enumerate(header, start=1):
                sheet.cell(number, column).value = row[name]
        out = io.BytesIO()
        workbook.save(out)
        page.get_by_label("Feuille de calcul (CSV ou XLSX)").set_input_files(
            {
                "name": "etage-4.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": out.getvalue(),
            }
        )
        page.get_by_role("button", name="Vérifier uniquement (simulation)").click()
        page.wait_for_load_state()

    upload(rows)

    # then the check names the row and suggests the code
    alert = page.get_by_role("alert")
    assert "1 problème" in alert.inner_text()
    problems = page.get_by_role("table", name="Problèmes dans le fichier")
    assert "Vouliez-vous dire office-chair ou wooden-chair\u00a0?" in problems.inner_text()
    at_both_widths(page, "import-problems")
    assert not Lot.objects.exists()

    # when they correct it and check again
    rows[0]["category"] = "office-chair"
    upload(rows)

    # then the file is kept: they import it without choosing it again
    assert "Les 2 lignes sont correctes." in page.get_by_role("status").inner_text()
    at_both_widths(page, "import-checked")
    page.get_by_role("button", name=re.compile("Importer le fichier vérifié")).click()
    page.wait_for_url(re.compile(r"/lots/mine/\?status=draft$"))
    assert "2 lots sont importés comme brouillons." in page.get_by_role("main").inner_text()
    assert Lot.objects.filter(status=LotStatus.DRAFT).count() == 2
    assert Lot.objects.get(title="Bureaux 160x80").size == (160, 80, 75)
    # (My lots' wide table becomes stacked cards at 390 px in the phones work of #12;
    # the day journeys check its sideways scroll)
    at_both_widths(page, "my-drafts", sideways_checked=False)

    # when they tick both drafts with the keyboard and publish them in one step
    for title in ("Chaises de bureau noires", "Bureaux 160x80"):
        box = page.get_by_label(f"Sélectionner « {title} » pour le publier")
        box.focus()
        page.keyboard.press("Space")
        assert box.is_checked()
    page.get_by_role("button", name="Publier la sélection").click()
    page.wait_for_load_state()

    # then both are published, and the catalogue card shows the desks' size
    assert "2 lots sont publiés" in page.get_by_role("main").inner_text()
    assert set(Lot.objects.values_list("status", flat=True)) == {LotStatus.PUBLISHED}
    at_both_widths(page, "my-lots-published", sideways_checked=False)
    page.goto("/lots/")
    card = page.get_by_role("listitem").filter(has_text="Bureaux 160x80")
    assert "160 × 80 × 75 cm" in card.inner_text()
