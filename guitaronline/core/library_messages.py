"""Messages of Django REST framework and djangorestframework-simplejwt that
reach our API's clients, kept in the project's catalog: the libraries' own
Russian catalogs lack them, word them half in English, or get the number
agreement wrong. Django looks in the project's catalog (LOCALE_PATHS) before
an app's, so these translations win. Listed here so that `makemessages`
keeps them; nothing imports this module."""

from django.utils.translation import gettext_noop

DJANGO_REST_FRAMEWORK = [
    gettext_noop("Not a valid string."),
    gettext_noop("Must be a valid boolean."),
    gettext_noop("Must be a valid UUID."),
    gettext_noop("A valid biginteger is required."),
    gettext_noop("Integer value too large to convert to float"),
    gettext_noop("Surrogate characters are not allowed: U+{code_point:X}."),
    gettext_noop('Enter a valid "slug" consisting of Unicode letters, numbers, underscores, or hyphens.'),
    gettext_noop("Datetime has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Date has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Expected a datetime but got a date."),
    gettext_noop("Expected a date but got a datetime."),
    gettext_noop('Invalid datetime for the timezone "{timezone}".'),
    gettext_noop("Datetime value out of range."),
    gettext_noop('Expected a list of items but got type "{input_type}".'),
    gettext_noop("Ensure this field has at least {min_length} elements."),
    gettext_noop("Ensure this field has no more than {max_length} elements."),
    gettext_noop("This dictionary may not be empty."),
    gettext_noop("Invalid data. Expected a dictionary, but got {datatype}."),
    gettext_noop("Invalid page."),
    gettext_noop("Ensure that there are no more than {max_digits} digits in total."),
    gettext_noop("Ensure that there are no more than {max_decimal_places} decimal places."),
    gettext_noop("Ensure that there are no more than {max_whole_digits} digits before the decimal point."),
]

SIMPLEJWT = [
    gettext_noop("Authorization header must contain two space-delimited values"),
    gettext_noop("Given token not valid for any token type"),
    gettext_noop("Token is invalid"),
    gettext_noop("Token is expired"),
    gettext_noop("The user's password has been changed."),
    gettext_noop("No active account found for the given token."),
]
