import pytest

from guitaronline.core.errors import NotFound
from guitaronline.core.ids import MAX_ID, object_id


@pytest.mark.parametrize("value", ["1", 7, MAX_ID])
def test_object_id_accepts_a_row_id(value):
    assert object_id(value) == int(value)


@pytest.mark.parametrize("value", [None, "", "abc", "1.5", 0, -3, MAX_ID + 1, 10**30])
def test_object_id_refuses_what_no_row_can_have(value):
    with pytest.raises(NotFound):
        object_id(value)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/api/v1/teachers/1552599170398313512960", "/api/v1/billing/packages/99999999999999999999999"],
)
def test_a_huge_id_in_the_url_is_a_404_not_a_500(staff_api, path):
    response = staff_api.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
