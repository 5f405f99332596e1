# ruff: noqa: E501 - the template loops are quoted exactly as security.html had them
"""`{% factor_rows %}` and `{% device_rows %}` write exactly what the security page's
template loops wrote before issue 18 replaced them, hostile values included."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from django.template import Context, Template
from django.utils import translation

from carekey.mfa.models import Factor

LABELS = (
    '{% translate "Name" as name_label %}{% translate "Type" as type_label %}'
    '{% translate "Status" as status_label %}{% translate "Added" as added_label %}'
    '{% translate "Last used" as used_label %}{% translate "Passkey" as passkey_label %}'
    '{% translate "Authenticator app" as app_label %}{% translate "Never" as never_label %}'
    '{% translate "Remove" as remove_label %}'
    '{% translate "(default name)" as default_name_label %}'
    '{% translate "This device" as this_device_label %}{% translate "IP address" as ip_label %}'
    '{% translate "unknown" as unknown_label %}{% translate "last active" as active_label %}'
    '{% translate "Sign out" as sign_out_label %}'
)
# The loops as security.html had them (commit 9698108), between <tbody> and </tbody> and
# inside <ul class="devices">.
FACTORS_BEFORE = (
    """{% load i18n portal_tags %}"""
    + LABELS
    + """<tbody>
    {% for factor in factors %}
    <tr>
      <td data-label="{{ name_label }}"><span class="factor-name" id="factor-{{ factor.pk }}-name">{{ factor.friendly_name }}</span>{% if factor|has_default_name %} <span class="cell-note">{{ default_name_label }}</span>{% endif %}</td>
      <td data-label="{{ type_label }}">{% if factor.factor_type == "webauthn" %}{{ passkey_label }}{% else %}{{ app_label }}{% endif %}</td>
      <td data-label="{{ status_label }}">{{ factor.get_status_display }}</td>
      <td data-label="{{ added_label }}">{% utc_time factor.created_at %}</td>
      <td data-label="{{ used_label }}">{% if factor.last_used_at %}{% utc_time factor.last_used_at %}{% else %}{{ never_label }}{% endif %}</td>
      <td><form method="get" action="{% url 'factor-remove' factor.pk %}"><button type="submit" class="button-secondary" aria-describedby="factor-{{ factor.pk }}-name">{{ remove_label }}</button></form></td>
    </tr>
    {% endfor %}
    </tbody>"""
)
FACTORS_AFTER = (
    """{% load i18n security_rows %}"""
    + LABELS
    + """<tbody>
    {% factor_rows factors name=name_label type=type_label status=status_label added=added_label used=used_label passkey=passkey_label app=app_label never=never_label remove=remove_label default_name=default_name_label %}
    </tbody>"""
)
DEVICES_BEFORE = (
    """{% load i18n portal_tags %}"""
    + LABELS
    + """<ul class="devices">
    {% for device in devices %}
    <li>
      <strong>{{ device.name }}</strong>{% if device.this_device %} <span class="tag">{{ this_device_label }}</span>{% endif %}<br>
      <span id="device-{{ device.id }}-details">{{ ip_label }} {{ device.ip|default:unknown_label }} · {{ active_label }} {% utc_time device.last_active_at %}</span>
      {% if not device.this_device %}<form method="post" action="{% url 'device-signout' device.id %}">{% csrf_token %}
        <button type="submit" class="button-secondary" aria-describedby="device-{{ device.id }}-details">{{ sign_out_label }}<span class="visually-hidden"> {{ device.name }}</span></button>
      </form>{% endif %}
    </li>
    {% endfor %}
  </ul>"""
)
DEVICES_AFTER = (
    """{% load i18n security_rows %}"""
    + LABELS
    + """<ul class="devices">
    {% device_rows devices this_device=this_device_label ip=ip_label unknown=unknown_label active=active_label sign_out=sign_out_label %}
  </ul>"""
)

WHEN = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)
HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"


def factors() -> list[Factor]:
    def factor(name: str, kind: str, status: str, used: datetime | None) -> Factor:
        return Factor(
            id=uuid.uuid4(),
            friendly_name=name,
            factor_type=kind,
            status=status,
            created_at=WHEN,
            last_used_at=used,
        )

    return [
        factor("Authenticator app", "totp", "verified", WHEN),
        factor("Authenticator app 2", "totp", "unverified", None),
        factor("Passkey", "webauthn", "verified", None),
        factor(HOSTILE, "webauthn", "verified", WHEN),
        factor("Work phone", "totp", "verified", WHEN),
    ]


def devices() -> list[dict[str, Any]]:
    def device(device_id: str, this: bool, name: str, ip: str | None) -> dict[str, Any]:
        return {
            "id": device_id,
            "this_device": this,
            "name": name,
            "ip": ip,
            "last_active_at": WHEN,
        }

    return [
        device("a1b2c3", True, "Firefox on Linux", "192.0.2.1"),
        device("d4e5f6", False, HOSTILE, None),
        device("0789ab", False, "Safari on iPhone", "2001:db8::1"),
    ]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("csrf_token", ['tok<en>&"', "NOTPROVIDED", None])
def test_the_tags_write_what_the_loops_wrote(language: str, csrf_token: str | None) -> None:
    listed, signed_in = factors(), devices()
    context = {"factors": listed, "devices": signed_in, "csrf_token": csrf_token}
    cases = (
        (FACTORS_BEFORE, FACTORS_AFTER, "<tr>", len(listed)),
        (DEVICES_BEFORE, DEVICES_AFTER, "<li>", len(signed_in)),
    )
    with translation.override(language):
        for before, after, row, rows in cases:
            old = Template(before).render(Context(context))
            new = Template(after).render(Context(context))
            assert new == old
            assert new.count(row) == rows
    assert "<script>" not in old and "&lt;script&gt;" in old


def test_no_rows_write_nothing() -> None:
    for after in (FACTORS_AFTER, DEVICES_AFTER):
        rendered = Template(after).render(Context({"factors": [], "devices": []}))
        assert "<tr>" not in rendered and "<li>" not in rendered
