"""Pages of one role's area, opened by another role."""

from django.http import HttpResponse


def assert_other_area(response: HttpResponse, area: str) -> None:
    """403, and a page that says whose area this is ("students", "teachers")
    with a link to the user's own area: never the page itself."""
    assert response.status_code == 403
    assert response.templates[0].name == "errors/wrong_area.html"
    assert (
        response.context["area"]
        == {
            "students": "This area is for students",
            "teachers": "This area is for teachers",
        }[area]
    )
