import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tickets.auth import DEMO_USERNAME


class Command(BaseCommand):
    help = (
        "Create an agent account, or set a new password for an existing one. "
        "The password is asked for twice on the terminal."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="User name the agent signs in with.")

    def handle(self, *args, username: str, **options):
        if username == DEMO_USERNAME:
            raise CommandError(f"“{DEMO_USERNAME}” is reserved for the demo account.")
        users = get_user_model()
        user = users.objects.filter(username=username).first() or users(username=username)
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ. Nothing was changed.")
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        created = user.pk is None
        user.set_password(password)
        user.save()
        action = "Created" if created else "Updated the password of"
        self.stdout.write(f"{action} agent account {username}.")
