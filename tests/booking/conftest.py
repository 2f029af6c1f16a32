import pytest

from tests.booking.waitlist_helpers import join, student_with_package
from tests.factories import book


@pytest.fixture
def waiting(school):
    """`school` plus a third student with a confirmed booking of the teacher's slot,
    and two more students waiting for the teacher in this order: first, second."""
    school.booker = student_with_package()
    school.booking = book(school.booker, school.slot)
    school.first, school.second = student_with_package(), student_with_package()
    school.first_entry = join(school.first, school.teacher)
    school.second_entry = join(school.second, school.teacher)
    return school
