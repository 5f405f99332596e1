"""A patient whose browser asks for Spanish enrolls an authenticator entirely in Spanish."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from carekey.core import totp
from tests.conftest import PASSWORD


def test_enrollment_in_spanish(chromium, live_server, transactional_db, make_patient) -> None:
    patient = make_patient("es@example.org", name="Lucía Gómez")
    context = chromium.new_context(
        base_url=live_server.url, locale="es-ES", extra_http_headers={"Accept-Language": "es-ES,es"}
    )
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto("/portal/security")
        expect(page.locator("html")).to_have_attribute("lang", "es")
        page.get_by_label("Correo electrónico").fill(patient.email)
        page.get_by_label("Contraseña").fill(PASSWORD)
        page.get_by_role("button", name="Iniciar sesión", exact=True).click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Configuración de seguridad")
        nav = page.get_by_role("navigation", name="Portal")
        expect(nav.get_by_role("link", name="Seguridad")).to_have_attribute("aria-current", "page")
        page.get_by_role("button", name="Activar MFA").click()

        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Configure su aplicación de autenticación"
        )
        expect(page.get_by_role("img", name=re.compile("^Código QR"))).to_be_visible()
        secret = re.sub(r"\s", "", page.locator("#secret").inner_text())
        page.get_by_label("Código de 6 dígitos").fill("000000")
        page.get_by_role("button", name="Verificar").click()
        expect(page.get_by_role("alert")).to_contain_text("Ese código no funcionó.")

        code = totp.code_at_step(secret, totp.step_at(time.time()))
        page.get_by_label("Código de 6 dígitos").fill(code)
        page.get_by_role("button", name="Verificar").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Guarde sus códigos de recuperación"
        )
        expect(page.locator("ol.recovery-codes li")).to_have_count(10)
        page.get_by_label("He guardado mis códigos de recuperación").check()
        page.get_by_role("button", name="Hecho").click()
        expect(page.get_by_role("cell", name="Verificada")).to_be_visible()
        expect(
            page.get_by_role("button", name="Añadir aplicación de autenticación")
        ).to_be_visible()
    finally:
        context.close()
