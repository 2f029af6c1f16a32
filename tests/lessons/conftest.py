import pytest

from tests.factories import StaffFactory, StudentFactory, TeacherFactory, book, make_package, make_slot
from tests.lessons.factories import LONG


@pytest.fixture
def other_berlin_teacher(db):
    return TeacherFactory(timezone="Europe/Berlin")


@pytest.fixture
def people(db):
    """The homework tests' cast: a teacher, their student with a booked lesson
    (`people.lesson`), another student, another teacher and a staff member."""

    class People:
        teacher = TeacherFactory(timezone="Europe/Berlin", full_name="Tatiana Teacher")
        other_teacher = TeacherFactory()
        student = StudentFactory(timezone="Europe/Moscow", full_name="Sasha Student")
        other_student = StudentFactory(full_name="Olga Other")
        staff = StaffFactory()

    make_package(People.student, lessons=100, expires_in=LONG)
    make_package(People.other_student, lessons=100, expires_in=LONG)
    people = People()
    people.lesson = book(people.student, make_slot(people.teacher)).lesson
    return people
