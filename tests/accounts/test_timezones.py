"""The time zones people pick from: about 300 real places and UTC, not the
600 names tzdata knows; every IANA name is still accepted."""

import pytest
from django.urls import reverse

from accounts.forms import ProfileForm
from accounts.validators import offered_timezones
from tests.clients import signed_in
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


def test_the_list_has_places_not_aliases_or_technical_names():
    zones = offered_timezones()
    assert 250 < len(zones) < 350
    assert {"Europe/Moscow", "America/New_York", "Asia/Tokyo", "Europe/Kyiv", "UTC"} <= set(zones)
    assert not {"Factory", "GMT-0", "US/Eastern", "Etc/GMT+3", "Europe/Kiev", "W-SU"} & set(zones)
    assert list(zones) == sorted(zones)


def test_an_account_with_an_older_name_keeps_it_and_can_save_its_profile():
    student = StudentFactory(timezone="US/Eastern")
    form = ProfileForm(user=student)
    assert form.fields["timezone"].choices[0] == ("US/Eastern", "US/Eastern")
    response = signed_in(student).post(
        reverse("accounts:profile"), {"full_name": "Same Name", "timezone": "US/Eastern", "language": "en"}
    )
    assert response.status_code == 302
    student.refresh_from_db()
    assert (student.full_name, student.timezone) == ("Same Name", "US/Eastern")


def test_the_sign_up_page_offers_the_short_list_and_guesses_the_visitors_zone(client):
    page = client.get(reverse("accounts:register")).content.decode()
    assert "data-guess-timezone" in page and "js/timezone-guess.js" in page
    assert 'value="Factory"' not in page and 'value="America/New_York"' in page
