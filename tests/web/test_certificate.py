"""The printable certificate: a real PDF (rendered with PDFium) whose QR code decodes (zxing-cpp) to the
badge page's URL, with the earner's name in any script; and the badge page's LinkedIn link (issue 15, 4)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pypdfium2
import zxingcpp

from mcbadge.db.models import Person
from mcbadge.db.session import transaction
from tests.factories.credentials import award_one
from tests.factories.tenants import Tenant
from tests.live_server import SQLITE_ONLY, LiveServer

pytestmark = SQLITE_ONLY  # pages render what the services give; the services run on both databases


def _pages(pdf: bytes) -> list[Any]:
    document = pypdfium2.PdfDocument(pdf)
    return [document[i] for i in range(len(document))]


def test_the_certificate_is_a_pdf_whose_qr_code_leads_to_the_badge_page(server: LiveServer, client: httpx.Client,
                                                                       tenant: Tenant) -> None:
    with server.app.state.services.sessions() as session, transaction(session):
        session.get_one(Person, tenant.educator.id).name = "Nguyễn Thị Zoë"    # beyond Latin-1
    issued = award_one(server, tenant)
    url = issued.document["id"]
    response = client.get(f"/credentials/{issued.id}/certificate.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    [sheet] = _pages(response.content)
    text = sheet.get_textpage().get_text_range()
    assert "Nguyễn Thị Zoë" in text and "Checking for Understanding" in text and url in text
    image = sheet.render(scale=3).to_pil()
    image.save(server.settings.blob_dir.parent / "certificate.png")
    [code] = zxingcpp.read_barcodes(image)
    assert code.format == zxingcpp.BarcodeFormat.QRCode and code.text == url

    # A private credential has no certificate either: the same 404 as its page.
    hidden = client.patch(f"/api/v1/credentials/{issued.id}/visibility", json={"public": False},
                          headers=tenant.headers(tenant.educator.role))
    assert hidden.status_code == 200, hidden.text
    assert client.get(f"/credentials/{issued.id}/certificate.pdf").status_code == 404


def test_the_badge_page_links_the_certificate_and_linkedin(server: LiveServer, tenant: Tenant, page: Any) -> None:
    issued = award_one(server, tenant)
    page.goto(issued.document["id"])
    certificate = page.get_by_role("link", name="A printable certificate (PDF), whose QR code leads back here")
    assert certificate.get_attribute("href").endswith(f"/credentials/{issued.id}/certificate.pdf")
    linkedin = urlsplit(page.get_by_role("link", name="Add it to a LinkedIn profile").get_attribute("href"))
    assert (linkedin.netloc, linkedin.path) == ("www.linkedin.com", "/profile/add")
    query = {k: v[0] for k, v in parse_qs(linkedin.query).items()}
    assert query["startTask"] == "CERTIFICATION_NAME" and query["certUrl"] == issued.document["id"]
    assert query["name"] == "Checking for Understanding" and query["certId"] == str(issued.id)
    assert query["issueYear"].isdigit() and 1 <= int(query["issueMonth"]) <= 12
