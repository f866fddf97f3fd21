# Date and time formats of the dashboard in English: 24-hour clock, as agents read times beside
# the "Updated HH:MM:SS" line. Syntax: https://docs.djangoproject.com/en/6.1/ref/templates/builtins/#date
DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
