import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Slot
from tests.scheduling.factories import SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_site(staff):
    client = Client()
    client.force_login(staff)
    return client


def test_slot_changelist_lists_slots_with_filters_and_search(admin_site):
    slots = SlotFactory.create_batch(3)
    url = reverse("admin:scheduling_slot_changelist")

    response = admin_site.get(url)
    assert response.status_code == 200
    assert all(slot.teacher.email in response.content.decode() for slot in slots)

    searched = admin_site.get(url, {"q": slots[0].teacher.email})
    assert list(searched.context["cl"].result_list) == [slots[0]]
    filtered = admin_site.get(url, {"teacher__teacher_profile__is_published__exact": "0"})
    assert filtered.status_code == 200
    assert list(filtered.context["cl"].result_list) == []


def test_slot_changelist_shows_and_filters_removed_slots(admin_site):
    live = SlotFactory()
    removed = SlotFactory(removed_at=timezone.now())
    url = reverse("admin:scheduling_slot_changelist")

    response = admin_site.get(url)
    assert set(response.context["cl"].result_list) == {live, removed}
    assert "removed_at" in response.context["cl"].list_display
    assert "column-removed_at" in response.content.decode()

    only_live = admin_site.get(url, {"removed_at__isnull": "True"})
    assert list(only_live.context["cl"].result_list) == [live]
    only_removed = admin_site.get(url, {"removed_at__isnull": "False"})
    assert list(only_removed.context["cl"].result_list) == [removed]


def test_slots_are_read_only_in_the_admin(admin_site):
    slot = SlotFactory()
    assert admin_site.get(reverse("admin:scheduling_slot_add")).status_code == 403
    assert admin_site.get(reverse("admin:scheduling_slot_change", args=[slot.pk])).status_code == 200  # view only
    assert admin_site.post(reverse("admin:scheduling_slot_delete", args=[slot.pk]), {"post": "yes"}).status_code == 403
    assert Slot.objects.filter(pk=slot.pk).exists()
